/**
 * A slot: a string holding the time (ms, the caller's clock) until which it is held, with the
 * same expiry, which only cleans up: the value decides, so a caller whose clock is ahead finds a
 * slot free before Redis drops it. See scripts.ts for the conventions.
 */

/**
 * Lua: claims the slot at `now` for `ttl` ms unless it is held then; returns the held-until
 * it found (nothing claimed), or nil (claimed until now + ttl). SET NX claims a slot that is not
 * there in one command; only a key still there is read (GET) to tell held from run out.
 */
export const claimSlotLua = `
local function claimSlot(key, now, ttl)
  local heldUntil = now + ttl
  if redis.call('SET', key, heldUntil, 'PX', ttl, 'NX') then return nil end
  local current = tonumber(redis.call('GET', key))
  if current and current > now then return current end
  redis.call('SET', key, heldUntil, 'PX', ttl)
  return nil
end
`;

export const slotScripts = {
  /** KEYS: slot. ARGV: ttl ms, now ms. Returns { 1 if claimed else 0, held until }. */
  gpClaimSlot: {
    numberOfKeys: 1,
    lua: `${claimSlotLua}
local now, ttl = tonumber(ARGV[2]), tonumber(ARGV[1])
local held = claimSlot(KEYS[1], now, ttl)
if held then return { 0, held } end
return { 1, now + ttl }`,
  },
} as const;
