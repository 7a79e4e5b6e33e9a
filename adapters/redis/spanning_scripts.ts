/**
 * Scripts whose keys span hash slots, so never run on a Cluster: on a single server or behind
 * Sentinel they make one atomic step (and one round trip) of what the Cluster path does as
 * separate single-key commands in a safe order. Each names the calls it stands for; its answers
 * must be the answers of those calls one after another (the contract suite runs both paths).
 */

import { countCodeAttemptLua } from './model_scripts.ts';
import { claimSlotLua } from './slot_scripts.ts';

/** Lua: a counter hash {count, resetAt} incremented by 1 on the caller's clock, as gpIncrementCounter; returns count, resetAt. */
const incrementLua = `
local function increment(key, now, window)
  local resetAt = tonumber(redis.call('HGET', key, 'resetAt'))
  if not resetAt or resetAt <= now then
    resetAt = now + window
    redis.call('HSET', key, 'count', 1, 'resetAt', resetAt)
    redis.call('PEXPIRE', key, window)
    return 1, resetAt
  end
  return redis.call('HINCRBY', key, 'count', 1), resetAt
end
`;

/** Lua: a slot's held-until (ms) when it is held at now, else nil, as peekSlot. */
const heldUntilLua = `
local function heldUntil(key, now)
  local value = tonumber(redis.call('GET', key))
  if value and value > now then return value end
  return nil
end
`;

/**
 * Lua: an attempt counted unless the lockout slot is held, claiming it at `lockAt`, as
 * peekSlot, incrementCounter, claimSlot. Returns { 0, held until } (nothing counted) |
 * { 1, count, resetAt } | { 2, count, resetAt, locked until } (claimed: free, as the first read found).
 */
const countAttemptLua = `${incrementLua}${heldUntilLua}
local function countAttempt(slot, counter, now, window, ttl, lockAt)
  local held = heldUntil(slot, now)
  if held then return { 0, held } end
  local count, resetAt = increment(counter, now, window)
  if count < lockAt then return { 1, count, resetAt } end
  redis.call('SET', slot, now + ttl, 'PX', ttl)
  return { 2, count, resetAt, now + ttl }
end
`;

export const spanningScripts = {
  /**
   * passLimits: gpPeekSlot, gpClaimSlot, gpIncrementCountersWithin in one step. KEYS: slot
   * refusing while held, slot to claim, then the counters. ARGV: now ms, claim ttl ms, then
   * window ms and limit per counter. Returns { 0, held until } | { 1, claimed slot held until } |
   * { 2, count, resetAt, … } for the counters incremented (stopping after the first over its limit).
   */
  gpPassLimits: {
    // No numberOfKeys: the caller passes the count of keys first, as EVALSHA takes it.
    lua: `${incrementLua}${heldUntilLua}${claimSlotLua}
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local held = heldUntil(KEYS[1], now)
if held then return { 0, held } end
local cooling = claimSlot(KEYS[2], now, ttl)
if cooling then return { 1, cooling } end
local reply = { 2 }
for i = 1, #KEYS - 2 do
  local window, limit = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  local count, resetAt = increment(KEYS[i + 2], now, window)
  reply[#reply + 1] = count
  reply[#reply + 1] = resetAt
  if count > limit then break end
end
return reply`,
  },
  /**
   * countCodeEntry: peekSlot, incrementCounter, claimSlot, then gpCountCodeAttempt when they allow
   * the entry. KEYS: lockout slot, counter, code hash. ARGV: now ms, counter window ms, lockout
   * ttl ms, count that locks. Returns { 0, held until } (nothing counted) | { 1 or 2 (this entry
   * claimed the lockout; it was free, as the first read found), count, resetAt, locked until
   * (0: not claimed), the code's fields and values after counting (empty: no code) }.
   */
  gpCountCodeEntry: {
    numberOfKeys: 3,
    lua: `${countAttemptLua}${countCodeAttemptLua}
local reply = countAttempt(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
if reply[1] == 0 then return reply end
local code = countCodeAttempt(KEYS[3]) or {}
return { reply[1], reply[2], reply[3], reply[4] or 0, code }`,
  },
  /**
   * consumeCode with a reset: gpConsumeCode, then DEL of each other key, in one step. KEYS: code
   * hash, then the keys to delete once it is consumed. ARGV: codeId. Returns 1 when consumed.
   */
  gpConsumeCodeAndClear: {
    // No numberOfKeys: the caller passes the count of keys first, as EVALSHA takes it.
    lua: `
if redis.call('HGET', KEYS[1], 'codeId') ~= ARGV[1] then return 0 end
redis.call('DEL', unpack(KEYS))
return 1`,
  },
  /**
   * createPersonIfAbsent for an address no one has: SET of the address index, ZADD of the listing
   * entry, SET of the person, DEL of the deletion mark, in one step. KEYS: address index,
   * deletion mark, listing, person. ARGV: id, listing member, person JSON. Returns 1 when created,
   * the id the index names when there is one, 0 when the person key is taken (nothing kept either way).
   */
  gpCreatePerson: {
    numberOfKeys: 4,
    lua: `
-- SET NX GET answers the id an index names (writing nothing) or takes the index; SET NX answers
-- whether the person key was taken, and then the index taken a moment ago is given back.
local id = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'GET')
if id then return id end
if not redis.call('SET', KEYS[4], ARGV[3], 'NX') then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('DEL', KEYS[2])
return 1`,
  },
} as const;
