/**
 * Lua of the steps that read an oidc entry together with what sits beside it in other keys (a
 * gate's slot, as gpClaimSlot takes it; a record): never for a Cluster. See scripts.ts for the
 * conventions.
 */
export const modelGateScripts = {
  /**
   * Not for a Cluster (its keys span slots): gpClaimSlot, and when claimed the model hash's fields,
   * in one step. KEYS: slot, model hash. ARGV: ttl ms, now ms. Returns { 1 if claimed else 0, held
   * until, the hash's field, value, … (none when not claimed) }. The hash is read before the
   * slot is claimed: a read that fails ends the script with nothing claimed (a script is never
   * rolled back after a write), so the step it gates can be tried again.
   */
  gpClaimSlotAndFindModel: {
    numberOfKeys: 2,
    lua: `
local now = tonumber(ARGV[2])
local fields = redis.call('HGETALL', KEYS[2])
local heldUntil = tonumber(redis.call('GET', KEYS[1]))
if heldUntil and heldUntil > now then return { 0, heldUntil, {} } end
heldUntil = now + tonumber(ARGV[1])
redis.call('SET', KEYS[1], heldUntil, 'PX', ARGV[1])
return { 1, heldUntil, fields }`,
  },
  /** KEYS: model hash, record. Returns { the hash's field, value, …, 1 and the record's JSON, or 0 and '' }. */
  gpFindModelWithRecord: {
    numberOfKeys: 2,
    readOnly: true,
    lua: `
local record = redis.call('GET', KEYS[2])
if record then return { redis.call('HGETALL', KEYS[1]), 1, record } end
return { redis.call('HGETALL', KEYS[1]), 0, '' }`,
  },
} as const;
