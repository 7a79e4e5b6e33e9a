/**
 * Lua, one script per atomic step: each runs on one key, or on keys that share the hash tag
 * `{outbox}` and so one slot, which is what makes it atomic on a Cluster too. Scripts return no
 * Lua booleans: over RESP3 they would reach the client as booleans rather than 1/nil, so they
 * return numbers, strings or nil instead. ioredis defines each as a command on the client.
 */

import { auditScripts } from './audit_scripts.ts';
import { modelGateScripts } from './model_gate_scripts.ts';
import { modelScripts } from './model_scripts.ts';
import { slotScripts } from './slot_scripts.ts';
import { spanningScripts } from './spanning_scripts.ts';

/**
 * Extends a key's expiry to at least `ttl` ms; a key without expiry (just created) gets one. (PEXPIRE
 * GT first would save the PTTL only when it extends: code mails are queued at a random moment,
 * out of the order of their expiries, and measured it extended the due set's about one time in ten.)
 */
const extendExpiryLua = `
local function extendExpiry(key, ttl)
  local current = redis.call('PTTL', key)
  if current < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/** A record's `version` as text: '' when there is none, '-' when it holds no readable version. */
const storedVersionLua = `
local function storedVersion(key)
  local current = redis.call('GET', key)
  if not current then return '' end
  local ok, decoded = pcall(cjson.decode, current)
  if ok and type(decoded) == 'table' and type(decoded.version) == 'number' then return tostring(decoded.version) end
  return '-'
end
`;

export const scripts = {
  /** KEYS: code hash. ARGV: codeId. Deletes the code only while it is still the current one. */
  gpConsumeCode: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'codeId') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  },
  /**
   * KEYS: counter hash {count, resetAt}. ARGV: by, window ms, now ms. The window is measured on
   * the caller's clock; Redis's expiry (the window's length) only cleans up. Returns { count, resetAt }.
   */
  gpIncrementCounter: {
    numberOfKeys: 1,
    lua: `
local now = tonumber(ARGV[3])
local resetAt = tonumber(redis.call('HGET', KEYS[1], 'resetAt'))
if not resetAt or resetAt <= now then
  resetAt = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'count', ARGV[1], 'resetAt', resetAt)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { tonumber(ARGV[1]), resetAt }
end
return { redis.call('HINCRBY', KEYS[1], 'count', ARGV[1]), resetAt }`,
  },
  /**
   * KEYS: counter hashes, any slots (so never on a Cluster). ARGV: now ms, then window ms and
   * limit for each counter. Adds 1 to each in order as gpIncrementCounter does, stopping after
   * the first whose count passes its limit. Returns { count, resetAt, … } for those incremented.
   */
  gpIncrementCountersWithin: {
    // No numberOfKeys: the caller passes the count of keys first, as EVALSHA takes it.
    lua: `
local now = tonumber(ARGV[1])
local states = {}
for i = 1, #KEYS do
  local window, limit = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local resetAt = tonumber(redis.call('HGET', KEYS[i], 'resetAt'))
  local count
  if not resetAt or resetAt <= now then
    resetAt = now + window
    count = 1
    redis.call('HSET', KEYS[i], 'count', 1, 'resetAt', resetAt)
    redis.call('PEXPIRE', KEYS[i], window)
  else
    count = redis.call('HINCRBY', KEYS[i], 'count', 1)
  end
  states[#states + 1] = count
  states[#states + 1] = resetAt
  if count > limit then break end
end
return states`,
  },
  /** KEYS: counter hash. ARGV: now ms. Returns { count, resetAt } or nil when there is no live window. */
  gpReadCounter: {
    numberOfKeys: 1,
    readOnly: true,
    lua: `
local values = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
local resetAt = tonumber(values[2])
if not resetAt or resetAt <= tonumber(ARGV[1]) then return nil end
return { tonumber(values[1]), resetAt }`,
  },
  /**
   * KEYS: record (or the keyring). ARGV: expected version ('' for "no record"), JSON value, ttl
   * ms (0: none, durable). Writes only when the stored record's version is the expected one. A
   * record without a version field never matches, so it cannot be mistaken for "no record".
   */
  gpPutRecordIfVersion: {
    numberOfKeys: 1,
    lua: `${storedVersionLua}
if storedVersion(KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`,
  },
  /**
   * KEYS: settings. ARGV: expected version ('' for none), settings, channel. Saves durable
   * settings as gpPutRecordIfVersion does and, in the same step, tells every instance on
   * `channel` (PUBLISH reaches every node of a Cluster): no save is ever left unannounced. The
   * message first: a PUBLISH the server refuses (an ACL without the channel) ends the script
   * before anything is written, where a script is never rolled back after a write.
   */
  gpPutSettings: {
    numberOfKeys: 1,
    lua: `${storedVersionLua}
if storedVersion(KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PUBLISH', ARGV[3], '1')
redis.call('SET', KEYS[1], ARGV[2])
return 1`,
  },
  /** KEYS: key. ARGV: expected, replacement. Replaces (or, without replacement, deletes) the value only if it is the expected one. */
  gpCompareAndSet: {
    numberOfKeys: 1,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('DEL', KEYS[1]) end
return 1`,
  },
  /**
   * KEYS: {outbox}:due, {outbox}:mail:<id>. ARGV: id, ttl ms, due at, 1 if claimable, field, value, …
   * A mail's id is new, so HSET's count of added fields finds no hash to replace; when one was
   * there (a write tried again) or the key is not a hash, it is written again on its own, as a whole.
   */
  gpEnqueueMail: {
    numberOfKeys: 2,
    lua: `${extendExpiryLua}
local added = redis.pcall('HSET', KEYS[2], unpack(ARGV, 5))
if type(added) == 'table' and not string.find(added.err, 'WRONGTYPE', 1, true) then return added end
if type(added) == 'table' or added < (#ARGV - 4) / 2 then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], unpack(ARGV, 5))
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  extendExpiry(KEYS[1], tonumber(ARGV[2]))
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1`,
  },
  /**
   * KEYS: {outbox}:due. ARGV: mail key prefix, now, lease end, limit. The mail hashes are named
   * from the ids found in the due set; they are not in KEYS, which is safe only because every
   * one shares the \`{outbox}\` tag of KEYS[1] and so its slot.
   */
  gpClaimDueMail: {
    numberOfKeys: 1,
    lua: `
local due, prefix, now, leaseEnd, limit = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local claimed = {}
-- Each pass leases or drops every id it reads, so the next pass sees new ones (the lease ends after now).
for _ = 1, 100 do
  if #claimed >= limit then break end
  local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit - #claimed)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local key = prefix .. id
    local state = redis.call('HGET', key, 'state')
    local waiting = state == 'queued' or state == 'retrying' or state == 'sending'
    if waiting and redis.call('HEXISTS', key, 'sealed') == 1 then
      redis.call('HSET', key, 'state', 'sending', 'nextAttemptAt', leaseEnd)
      redis.call('HINCRBY', key, 'attempts', 1)
      redis.call('ZADD', due, leaseEnd, id)
      claimed[#claimed + 1] = redis.call('HGETALL', key)
    else
      redis.call('ZREM', due, id)
    end
  end
end
return claimed`,
  },
  /**
   * KEYS: {outbox}:due. ARGV: mail key prefix, limit. Reads the first `limit` ids of the due set
   * (every waiting mail is in it) and answers {waiting, oldest createdAt or '', 1 if that was all}.
   * Read-only; the mail hashes share the \`{outbox}\` tag of KEYS[1], as in gpClaimDueMail.
   */
  gpOutboxBacklog: {
    numberOfKeys: 1,
    lua: `
local limit = tonumber(ARGV[2])
local ids = redis.call('ZRANGE', KEYS[1], 0, limit - 1)
local waiting, oldest, oldestText = 0, nil, ''
for _, id in ipairs(ids) do
  local fields = redis.call('HMGET', ARGV[1] .. id, 'state', 'createdAt', 'sealed')
  local state = fields[1]
  if (state == 'queued' or state == 'retrying' or state == 'sending') and fields[3] then
    waiting = waiting + 1
    local created = tonumber(fields[2])
    if created and (not oldest or created < oldest) then oldest, oldestText = created, fields[2] end
  end
end
local complete = redis.call('ZCARD', KEYS[1]) <= limit and 1 or 0
return {waiting, oldestText, complete}`,
  },
  /**
   * KEYS: {outbox}:due, {outbox}:mail:<id>. ARGV: id, state, finished ttl ms, error, nextAttemptAt,
   * the claim's attempts or ''. A sent mail is forgotten; a retried one is due again; one given up
   * keeps its status and error (not its body) for the finished ttl; any other than a send from a
   * claim that no longer holds the mail (another has more attempts) is not recorded (0). */
  gpCompleteMail: {
    numberOfKeys: 2,
    lua: `${extendExpiryLua}
local state = ARGV[2]
if state == 'sent' then
  -- DEL answers whether the mail was there.
  if redis.call('DEL', KEYS[2]) == 0 then return 0 end
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[2], 'attempts') ~= ARGV[6] then return 0 end
redis.call('HSET', KEYS[2], 'state', state, 'lastError', ARGV[4])
if state == 'retrying' then
  redis.call('HSET', KEYS[2], 'nextAttemptAt', ARGV[5])
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  extendExpiry(KEYS[1], redis.call('PTTL', KEYS[2]))
  return 1
end
redis.call('HDEL', KEYS[2], 'sealed')
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`,
  },
  /**
   * KEYS: a durable JSON record with a `version` (a link, a person). ARGV: expected version,
   * createdAt, JSON value. Replaces the record only while it is still the version the caller
   * read, and returns the JSON it replaced (0 when it wrote nothing) so the caller unindexes
   * exactly what left. The createdAt check tells apart a record deleted and created again under
   * the same id, which starts again at version 1.
   */
  gpSaveIfVersion: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, decoded = pcall(cjson.decode, current)
if not ok or type(decoded) ~= 'table' then return 0 end
if decoded.version ~= tonumber(ARGV[1]) or decoded.createdAt ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
return current`,
  },
  /**
   * KEYS: links:recipient:<address>. ARGV: link id, version of the save that removed the address.
   * Removes the entry only if it was added before that version: a save that added the address
   * again meanwhile (a later version) keeps it, however late this removal runs.
   */
  gpUnindexRecipient: {
    numberOfKeys: 1,
    lua: `
local addedIn = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if not addedIn or addedIn >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1`,
  },
  /**
   * KEYS: link-grants:<id>. ARGV: grant id, entry expires at (ms), now (ms), ttl ms. Drops the
   * entries that expired, adds this one; the set lives as long as its longest entry.
   */
  gpIndexLinkGrant: {
    numberOfKeys: 1,
    lua: `${extendExpiryLua}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
extendExpiry(KEYS[1], tonumber(ARGV[4]))
return 1`,
  },
  /**
   * KEYS: links:checks. ARGV: now, lease end, limit. Returns the due checks as id, due-at pairs
   * and leases each until the lease end, which is after now and so out of the next caller's range.
   */
  gpClaimLinkChecks: {
    numberOfKeys: 1,
    lua: `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], ARGV[2], due[i]) end
return due`,
  },
  /**
   * KEYS: links:checks. ARGV: link id, the time the check was taken under, next time ('' for
   * none). Changes nothing when the check was scheduled again meanwhile (its time moved).
   */
  gpFinishLinkCheck: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not current or tonumber(current) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1`,
  },
  ...auditScripts,
  ...spanningScripts,
  ...modelGateScripts,
  ...modelScripts,
  ...slotScripts,
} as const;

export type ScriptName = keyof typeof scripts;
