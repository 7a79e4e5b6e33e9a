/**
 * The Lua of oidc entries, their indexes and other whole-hash records (codes). See scripts.ts for
 * the conventions. Each keeps to the fewest commands that leave the same state as the plain
 * sequence it names: a write's reply answers what a read before it would have asked.
 */

/**
 * Writes field, value, … from ARGV[from] as the hash's whole content: HSET's reply (fields it
 * added) tells a new hash from one it replaced, and only one it replaced loses `stale` (the one
 * field it may hold that this write leaves out; '' for none) and, with ttl 0, its expiry. The
 * same state as DEL, HSET and PEXPIRE, in one command fewer for a new hash. A key that is not a
 * hash (WRONGTYPE) is replaced as DEL and HSET replaced it; any other error is returned, before
 * anything was written, for the script to answer with.
 */
const replaceHashLua = `
local function replaceHash(key, ttl, stale, from)
  local written = (#ARGV - from + 1) / 2
  local added = redis.pcall('HSET', key, unpack(ARGV, from))
  if type(added) == 'table' then
    if not string.find(added.err, 'WRONGTYPE', 1, true) then return added end
    redis.call('DEL', key)
    redis.call('HSET', key, unpack(ARGV, from))
  elseif added < written then
    if stale ~= '' then redis.call('HDEL', key, stale) end
    if ttl <= 0 then redis.call('PERSIST', key) end
  end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
  return nil
end
`;

/**
 * Adds a member to an index set that lives as long as its longest member (ttl 0: for ever).
 * Its PTTL before the SADD tells a new set (-2) from a kept one (-1) and from an earlier expiry,
 * so no EXISTS is needed: a new set gets the ttl, a shorter expiry is extended, a longer one kept.
 */
const addMemberLua = `
local function addMember(key, member, ttl)
  local current = redis.call('PTTL', key)
  redis.call('SADD', key, member)
  if ttl <= 0 then
    if current >= 0 then redis.call('PERSIST', key) end
  elseif current == -2 or (current >= 0 and current < ttl) then
    redis.call('PEXPIRE', key, ttl)
  end
end
`;

/**
 * Adds one to a code's attempt count and returns its fields and values after it, nil when there
 * is no code: the HGETALL comes first, so it answers whether there is one (HINCRBY alone would
 * create the hash), and the count in its reply is set to what HINCRBY answered.
 */
export const countCodeAttemptLua = `
local function countCodeAttempt(key)
  local code = redis.call('HGETALL', key)
  if #code == 0 then return nil end
  local attempts = tostring(redis.call('HINCRBY', key, 'attempts', 1))
  for i = 1, #code, 2 do
    if code[i] == 'attempts' then
      code[i + 1] = attempts
      return code
    end
  end
  code[#code + 1] = 'attempts'
  code[#code + 1] = attempts
  return code
end
`;

export const modelScripts = {
  /**
   * KEYS: hash. ARGV: ttl ms (0: none), the field a hash it replaces may hold that this write
   * leaves out ('' for none), field, value, … Replaces the whole hash at once.
   */
  gpReplaceHash: {
    numberOfKeys: 1,
    lua: `${replaceHashLua}
local failed = replaceHash(KEYS[1], tonumber(ARGV[1]), ARGV[2], 3)
if failed then return failed end
return 1`,
  },
  /** KEYS: index set. ARGV: member, ttl ms (0: none). The set lives as long as its longest member. */
  gpAddMember: {
    numberOfKeys: 1,
    lua: `${addMemberLua}
addMember(KEYS[1], ARGV[1], tonumber(ARGV[2]))
return 1`,
  },
  /**
   * Not for a Cluster (its keys span slots): an oidc entry and its indexes in one step, on a
   * single server or behind Sentinel (the indexes are written in the same step, so no crash can
   * come between them and the entry). KEYS: model hash, then one key per letter of ARGV[4]
   * ('m': an index set that gets the member, as gpAddMember; 's': an index string that gets the
   * id; 'r': a record written beside the entry, as putRecord writes it). ARGV: ttl ms (0: none),
   * member, id, key letters, then the JSON value and ttl ms of each 'r' in order, then the field
   * a replaced entry may hold that this write leaves out ('' for none), then field, value, … of
   * the entry.
   */
  gpUpsertModel: {
    // No numberOfKeys: the caller passes the count of keys first, as EVALSHA takes it.
    lua: `${addMemberLua}${replaceHashLua}
local ttl, member, id, kinds = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local fieldsFrom = 5
for i = 1, #kinds do
  local key = KEYS[i + 1]
  local kind = string.sub(kinds, i, i)
  if kind == 'r' then
    redis.call('SET', key, ARGV[fieldsFrom], 'PX', ARGV[fieldsFrom + 1])
    fieldsFrom = fieldsFrom + 2
  elseif kind == 'm' then
    addMember(key, member, ttl)
  elseif ttl > 0 then
    redis.call('SET', key, id, 'PX', ttl)
  else
    redis.call('SET', key, id)
  end
end
local failed = replaceHash(KEYS[1], ttl, ARGV[fieldsFrom], fieldsFrom + 1)
if failed then return failed end
return 1`,
  },
  /** KEYS: model hash. ARGV: now (epoch s). HSETNX's reply says whether it was consumed already. */
  gpConsumeModel: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) == 0 then return 'already_consumed' end
return 'consumed'`,
  },
  /**
   * KEYS: code hash. ARGV: the codeId it must hold, ttl ms (0: keep its expiry), field, value, … of a
   * whole code. 1 when replaced, 0 when it held another. Every field of a code is written, so none
   * is left to delete.
   */
  gpReplaceCode: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], 'codeId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`,
  },
  /** KEYS: code hash. Counts the attempt and returns the code as stored after it. */
  gpCountCodeAttempt: {
    numberOfKeys: 1,
    lua: `${countCodeAttemptLua}
return countCodeAttempt(KEYS[1])`,
  },
} as const;
