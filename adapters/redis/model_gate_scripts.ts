/** Lua of the steps that pair a gate (a slot, as gpClaimSlot takes it) with an oidc entry; see scripts.ts for the conventions. */
export const modelGateScripts = {
  /**
   * Not for a Cluster (its keys span slots): gpClaimSlot, and when claimed the model hash's fields,
   * in one step. KEYS: slot, model hash. ARGV: ttl ms, now ms. Returns { 1 if claimed else 0, held
   * until, the hash's field, value, … (none when not claimed) }.
   */
  gpClaimSlotAndFindModel: {
    numberOfKeys: 2,
    lua: `
local now = tonumber(ARGV[2])
local heldUntil = tonumber(redis.call('GET', KEYS[1]))
if heldUntil and heldUntil > now then return { 0, heldUntil, {} } end
heldUntil = now + tonumber(ARGV[1])
redis.call('SET', KEYS[1], heldUntil, 'PX', ARGV[1])
return { 1, heldUntil, redis.call('HGETALL', KEYS[2]) }`,
  },
} as const;
