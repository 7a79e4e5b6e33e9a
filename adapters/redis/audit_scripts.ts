/**
 * The audit log's Lua. The stream `P audit` and its indexes `P audit-by:{P audit}:<term>` share a
 * slot (the index keys' hash tag is the stream's whole name), so a script may touch them all and
 * stays atomic on a Cluster. Index keys are built here from the prefix the caller passes, as
 * the outbox's claiming script builds its mail keys.
 *
 * An index is a sorted set, every score 0, whose members sort as the stream ids do
 * (`auditIndexMember`): ZRANGE … BYLEX walks it in id order from any id or time.
 */

/** Lua twin of `auditIndexMember`: ms zero-padded to 14 digits, then a letter saying how long the sequence is, then the sequence. */
const memberLua = `
local function member(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return string.rep('0', 14 - #ms) .. ms .. string.char(96 + #seq) .. seq
end
`;

export const auditScripts = {
  /**
   * KEYS: audit stream, index registry (zset: index key → ms of its newest member), start mark
   * (string: the first id appended with indexes). ARGV: index key prefix, '1' to set the start
   * mark if it is not set yet ('0': this instance has seen it set), then per event: its time
   * (ms), its JSON, the number of its terms, the terms. Appends each event under the id
   * `<its time>-*`, or after the stream's last id when that is later, and its id to each of its
   * terms' indexes; registers the indexes in one ZADD per call. Returns the ids.
   */
  gpAppendAudit: {
    numberOfKeys: 3,
    lua: `${memberLua}
local ids = {}
local newest = {}
local i = 3
local last = nil
while i <= #ARGV do
  local ms, json, count = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if last and tonumber(ms) < last then ms = tostring(last) end
  local id = redis.pcall('XADD', KEYS[1], ms .. '-*', 'event', json)
  if type(id) == 'table' then
    local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
    if #top > 0 then id = redis.pcall('XADD', KEYS[1], string.match(top[1][1], '^(%d+)') .. '-*', 'event', json) end
    if type(id) == 'table' then id = redis.call('XADD', KEYS[1], '*', 'event', json) end
  end
  ids[#ids + 1] = id
  last = tonumber(string.match(id, '^(%d+)'))
  local m = member(id)
  for t = 1, count do
    local key = ARGV[1] .. ARGV[i + 2 + t]
    redis.call('ZADD', key, 0, m)
    newest[key] = last
  end
  i = i + 3 + count
end
if ARGV[2] == '1' and #ids > 0 then redis.call('SET', KEYS[3], ids[1], 'NX') end
-- In ZADDs of at most 500 indexes: unpack has a limit on how many values it spreads.
local registered = {}
for key, ms in pairs(newest) do
  registered[#registered + 1] = ms
  registered[#registered + 1] = key
  if #registered == 1000 then
    redis.call('ZADD', KEYS[2], 'GT', unpack(registered))
    registered = {}
  end
end
if #registered > 0 then redis.call('ZADD', KEYS[2], 'GT', unpack(registered)) end
return ids`,
  },
  /**
   * KEYS: audit stream. ARGV: ids. Returns id, event JSON ('' when the entry has no \`event\`
   * field), … for the ids still in the stream (an index may name one trimmed a moment ago).
   */
  gpReadAudit: {
    numberOfKeys: 1,
    lua: `
local out = {}
for i = 1, #ARGV do
  local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
  if entry then
    local json = ''
    for f = 1, #entry[2], 2 do if entry[2][f] == 'event' then json = entry[2][f + 1] end end
    out[#out + 1] = entry[1]
    out[#out + 1] = json
  end
end
return out`,
  },
  /**
   * KEYS: index registry. ARGV: exclusive upper bound ('(' and a member), first rank, how many.
   * Drops the members before the bound from that many indexes; an index left empty leaves the
   * registry. Returns how many indexes it read and how many remain (the next batch's first rank
   * moves by those).
   */
  gpTrimAuditIndexes: {
    numberOfKeys: 1,
    lua: `
local keys = redis.call('ZRANGE', KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1)
local kept = 0
for _, key in ipairs(keys) do
  redis.call('ZREMRANGEBYLEX', key, '-', ARGV[1])
  if redis.call('EXISTS', key) == 0 then redis.call('ZREM', KEYS[1], key) else kept = kept + 1 end
end
return {#keys, kept}`,
  },
} as const;

/** The index member of a stream id `<ms>-<seq>`: sorts as the ids do, byte by byte. */
export function auditIndexMember(id: string): string {
  const [ms = '0', seq = '0'] = id.split('-');
  return ms.padStart(14, '0') + String.fromCharCode(96 + seq.length) + seq;
}

/** The stream id of an index member. */
export function auditIdOfMember(member: string): string {
  return `${Number(member.slice(0, 14))}-${member.slice(15)}`;
}

/** Where members of time `ms` start: every member of that ms sorts after it, every earlier one before. */
export function auditIndexTime(ms: number): string {
  return String(Math.min(99_999_999_999_999, Math.max(0, Math.floor(ms)))).padStart(14, '0');
}
