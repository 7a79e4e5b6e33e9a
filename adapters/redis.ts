/**
 * The Redis store: one server, Sentinel or Cluster, shared by every guestpass instance.
 *
 * Keys are laid out for Redis Cluster from the start. The configured `keyPrefix` (P below, which
 * cannot hold braces) is applied here, not by ioredis, so the hash tags below are part of the key
 * Redis sees: `guestpass:model:Session:abc`, `guestpass:{outbox}:due`. Each atomic step
 * is one Lua script on one key, or on keys that share the hash tag `{outbox}` and so one slot.
 * Where a step spans slots (an oidc entry and its indexes, a person and their indexes, a link
 * and its indexes) it is a sequence of single-key commands, ordered so that a crash half-way
 * leaves nothing unsafe.
 *
 *   key (after P)                     type    TTL                            purpose
 *   P model:<Model>:<id>              hash    expiresIn of the entry         oidc-provider entry: `payload` (JSON) and, once consumed, `consumed` (epoch s)
 *   P grant:<grantId>                 set     longest member                 "<Model>:<id>" of every token and code of a grant (revokeByGrantId)
 *   P account:<accountId>             set     longest member                 "Session:<id>" / "Grant:<id>" of an account (findModelsByAccount)
 *   P uid:<uid>                       string  the session's                  session id for a session uid
 *   P userCode:<userCode>             string  the entry's                    entry id for a device-flow user code
 *   P record:<namespace>:<id>         string  ttlSeconds                     small JSON record
 *   P code:<interactionUid>           hash    ttlSeconds                     the current one-time code (codeId, email, digest, issuedAt, expiresAt, attempts)
 *   P counter:<key>                   hash    the window's length            {count, resetAt}: rate-limit and lockout counter
 *   P slot:<key>                      string  ttlSeconds                     held-until (ms): single-holder slot (cooldown, lockout)
 *   P{outbox}:due                     zset    longest mail                   mail id → epoch ms of its next attempt (or end of its lease)
 *   P{outbox}:mail:<id>               hash    notAfter + 1 day; 1 day once   one queued mail; the sealed body goes when it is sent or dropped
 *                                             sent or dropped
 *   P person:<id>                     string  none (durable)                 a person (JSON with its `version`)
 *   P person-email:<emailNormalized>  string  none (durable)                 id of the person with the address (unique index)
 *   P person-identity:<["iss","sub"]> string  none (durable)                 id of the person who holds (or is linking) the federated
 *                                                                            identity; the key ends in JSON [issuer, subject] (unique index)
 *   P person-deleted:<emailNormalized> string none (durable)                 id of the person deleted with the address (the deletion
 *                                                                            mark); creating a person for the address removes it
 *   P people:by-email                 zset    none (durable)                 "<emailNormalized>\0<id>", every score 0: every person in
 *                                                                            address order (ZRANGEBYLEX), for the directory list
 *   P settings                        string  none (durable)                 the runtime policy: JSON {version, value, updatedAt}
 *   P link:<id>                       string  none (durable)                 a secure link (JSON with its `version`)
 *   P links:all                       zset    none (durable)                 link id → createdAt: every link, for lists and the sharing report
 *   P links:client:<clientId>         zset    none (durable)                 link id → createdAt: the links a client owns
 *   P links:recipient:<email>         zset    none (durable)                 link id → version of the link that (last) added the normalised
 *                                                                            address: the links a person is a recipient of
 *   P audit                           stream  none (durable; trimAudit)      the audit log, one JSON field `event` per entry
 *
 * People, links, the settings and the audit log are the only durable keys: they are the
 * directory (with the marks of deleted addresses, which must outlive the person they name), what
 * is shared with whom, the policy, and the record of what happened; a person goes with
 * `deletePerson`, a link with `deleteLink`, the audit log is trimmed by age with `trimAudit`.
 * The one other exception is an oidc entry that oidc-provider saves without `expiresIn` (a
 * dynamically registered Client, an initial or registration access token): it keeps no TTL, as
 * in the in-memory store, and so do its index entries.
 *
 * A link and its index entries sit in different slots (no hash tag: every step on links touches
 * one key at a time). Indexes are written before the link and cleaned after it, so an entry may
 * name a link that is gone or no longer matches — every list checks the link itself and skips
 * it — but an index never misses a link. The recipient index scores each entry with the link
 * version that added the address, so removing an address never undoes a later save that added
 * it again, however late the removal runs (see `saveLink`).
 *
 * A person and their index entries sit in different slots too. The address index and the
 * listing entry are written before the person, the identity index before the person holds the
 * identity, and all are removed after the person is deleted; a read checks the person behind
 * every entry (it exists, has that address, holds that identity) and skips one that does not.
 * The deletion mark is written before the person is deleted, and counts only while no person has
 * the address, so a crash can neither unmark a deleted address nor make a live one look deleted.
 *
 * Threats this layout answers: parallel requests on two instances must not both consume a code
 * or win a slot (one script per step), a crash between two writes must not leave a token that
 * revocation cannot find (indexes are written before the entry), nor wedge an address (a dangling
 * address index is reused) or give a deleted person's `sub` to the next person with the address,
 * nor let two people hold one federated identity; and a Redis outage must fail requests fast
 * and closed (no offline queue; every error that is not a reply becomes `StoreUnavailableError`).
 */
import { Cluster, Redis, ReplyError } from 'ioredis';

import { StoreContentionError, StoreError, StoreUnavailableError } from './errors.ts';
import type {
  AuditEvent,
  CodeInspection,
  AuditQuery,
  ConsumeOutcome,
  CounterState,
  FederatedIdentity,
  LinkIdentityOutcome,
  LinkQuery,
  LinkRecord,
  MailOutcome,
  MailState,
  OidcPayload,
  OutboxMail,
  Page,
  PeopleQuery,
  PersonRecord,
  RecordNamespace,
  Store,
  StoredCode,
  StoredSettings,
} from './store.ts';
import {
  assertLinkIdentityKept,
  assertPageLimit,
  assertPersonFixedFieldsKept,
  auditMatches,
  compareNewestFirst,
  decodeAuditCursor,
  decodeLinkCursor,
  decodePersonCursor,
  encodeAuditCursor,
  finishedMailTtlSeconds,
  grantable,
  holdsIdentity,
  linkMatches,
  type LinkPosition,
  pageOfLinks,
  personListingMember,
  personMatches,
  recipientAddresses,
  toLinkPage,
  toPeoplePage,
} from './store_shared.ts';

export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where Redis is and how to talk to it: what `config.redis` holds once validated (exactly one of
 * `url`, `sentinels` or `cluster`; `keyPrefix` without braces, so no hash tag of ours is broken).
 */
export interface RedisStoreConfig {
  /** A single server, `redis://` or `rediss://`. */
  url?: string | undefined;
  sentinels?: RedisNode[] | undefined;
  /** The master the Sentinels watch; needed with `sentinels`. */
  sentinelName?: string | undefined;
  /** Start-up nodes of a Cluster. */
  cluster?: RedisNode[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** TLS to Sentinel-managed or Cluster nodes (a single server says so with `rediss://`). */
  tls: boolean;
  keyPrefix: string;
  /** A command that takes longer fails with `StoreUnavailableError`. */
  commandTimeoutMs: number;
}

export interface RedisStoreOptions {
  redis: RedisStoreConfig;
  /** Told about every connection error (they are also the cause of each `StoreUnavailableError`). */
  onConnectionError?: ((error: Error) => void) | undefined;
}

type RedisClient = Redis | Cluster;

// ---------------------------------------------------------------------------------------------
// Lua, one script per atomic step. Scripts return no Lua booleans: over RESP3 they would reach
// the client as booleans rather than 1/nil, so they return numbers, strings or nil instead.

/** Extends a key's expiry to at least `ttl` ms; a key without expiry (just created) gets one. */
const extendExpiryLua = `
local function extendExpiry(key, ttl)
  local current = redis.call('PTTL', key)
  if current < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

const scripts = {
  /** KEYS: hash. ARGV: ttl ms (0: none), field, value, … Replaces the whole hash at once. */
  gpReplaceHash: {
    numberOfKeys: 1,
    lua: `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`,
  },
  /** KEYS: index set. ARGV: member, ttl ms (0: none). The set lives as long as its longest member. */
  gpAddMember: {
    numberOfKeys: 1,
    lua: `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl <= 0 then
  redis.call('PERSIST', KEYS[1])
  return 1
end
local current = redis.call('PTTL', KEYS[1])
if existed == 0 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
  },
  /** KEYS: model hash. ARGV: now (epoch s). */
  gpConsumeModel: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'not_found' end
if redis.call('HEXISTS', KEYS[1], 'consumed') == 1 then return 'already_consumed' end
redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
return 'consumed'`,
  },
  /** KEYS: code hash. Counts the attempt and returns the code as stored after it. */
  gpCountCodeAttempt: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return redis.call('HGETALL', KEYS[1])`,
  },
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
  /** KEYS: slot (its value: held until, ms). ARGV: ttl ms, now ms. Returns { 1 if claimed else 0, held until }. */
  gpClaimSlot: {
    numberOfKeys: 1,
    lua: `
local now = tonumber(ARGV[2])
local heldUntil = tonumber(redis.call('GET', KEYS[1]))
if heldUntil and heldUntil > now then return { 0, heldUntil } end
heldUntil = now + tonumber(ARGV[1])
redis.call('SET', KEYS[1], heldUntil, 'PX', ARGV[1])
return { 1, heldUntil }`,
  },
  /**
   * KEYS: record (or the settings). ARGV: expected version ('' for "no record"), JSON value, ttl
   * ms (0: none, durable). Writes only when the stored record's version is the expected one. A
   * record without a version field never matches, so it cannot be mistaken for "no record".
   */
  gpPutRecordIfVersion: {
    numberOfKeys: 1,
    lua: `
local current = redis.call('GET', KEYS[1])
local version = ''
if current then
  local ok, decoded = pcall(cjson.decode, current)
  version = '-'
  if ok and type(decoded) == 'table' and type(decoded.version) == 'number' then version = tostring(decoded.version) end
end
if version ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
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
  /** KEYS: {outbox}:due, {outbox}:mail:<id>. ARGV: id, ttl ms, due at, 1 if claimable, field, value, … */
  gpEnqueueMail: {
    numberOfKeys: 2,
    lua: `${extendExpiryLua}
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
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
  /** KEYS: {outbox}:due, {outbox}:mail:<id>. ARGV: id, state, finished ttl ms, sentAt, error, nextAttemptAt. */
  gpCompleteMail: {
    numberOfKeys: 2,
    lua: `${extendExpiryLua}
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local state = ARGV[2]
redis.call('HSET', KEYS[2], 'state', state)
if state == 'sent' then
  redis.call('HSET', KEYS[2], 'sentAt', ARGV[4])
  redis.call('HDEL', KEYS[2], 'lastError')
else
  redis.call('HSET', KEYS[2], 'lastError', ARGV[5])
end
if state == 'retrying' then
  redis.call('HSET', KEYS[2], 'nextAttemptAt', ARGV[6])
  redis.call('ZADD', KEYS[1], ARGV[6], ARGV[1])
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
  /** KEYS: audit stream. ARGV: event JSON, … Appends them in order; returns their ids. */
  gpAppendAudit: {
    numberOfKeys: 1,
    lua: `
local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', 'event', ARGV[i]) end
return ids`,
  },
} as const;

type ScriptName = keyof typeof scripts;
type ScriptCommands = Record<ScriptName, (...keysAndArgs: (string | number)[]) => Promise<unknown>>;

// ---------------------------------------------------------------------------------------------
// Connection and failure.

/** Replies that mean the server cannot serve us now (loading, failing over, full, locked out), not that we asked wrongly. */
const unavailableReply = /^(LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|NOREPLICAS|OOM|NOAUTH|WRONGPASS|NOPERM)\b/;

/**
 * A reply error is the server answering (a bug on our side unless it is one of the above);
 * anything else thrown by ioredis is the connection: refused, closed, timed out, not ready, or
 * out of retries. Errors of our own code (TypeError, SyntaxError, …) stay what they are.
 */
function toStoreError(error: unknown): unknown {
  if (error instanceof StoreError || !(error instanceof Error)) return error;
  if (error instanceof ReplyError) return unavailableReply.test(error.message) ? new StoreUnavailableError(error) : error;
  const ownBug = error instanceof TypeError || error instanceof SyntaxError || error instanceof RangeError || error instanceof ReferenceError;
  return ownBug ? error : new StoreUnavailableError(error);
}

/** Reconnect after 50 ms, doubling up to 2 s, for as long as it takes; requests meanwhile fail fast. */
const reconnectDelayMs = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

function connect(config: RedisStoreConfig): RedisClient {
  const failFast = {
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: Math.max(config.commandTimeoutMs, 1000),
    // Nothing waits in a queue while Redis is away, and nothing is sent twice after a reconnect:
    // a resent consume could report "already consumed" to the caller that consumed.
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
  };
  if (config.cluster) {
    return new Cluster(config.cluster, {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelayMs,
      redisOptions: { ...failFast, ...(config.tls ? { tls: {} } : {}) },
      scripts,
    });
  }
  const common = { ...failFast, enableOfflineQueue: false, retryStrategy: reconnectDelayMs, scripts };
  if (config.sentinels) {
    return new Redis({
      ...common,
      sentinels: config.sentinels,
      name: config.sentinelName,
      ...(config.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  if (config.url) return new Redis(config.url, common);
  throw new TypeError('the Redis store needs redis.url, redis.sentinels or redis.cluster');
}

// ---------------------------------------------------------------------------------------------

const toMs = (seconds: number) => Math.max(1, Math.round(seconds * 1000));

/** Audit entries read per XRANGE while paging; a page never holds the whole stream. */
const auditChunk = (limit: number) => Math.min(1000, Math.max(100, limit + 1));

/** Index entries read at most per round while listing links. */
const linkChunkMax = 1000;

/** Listing entries read at most per round while listing people. */
const peopleChunkMax = 1000;

export class RedisStore implements Store, CodeInspection {
  readonly kind = 'redis' as const;

  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  /** Resolves on the next 'ready'; shared by every caller waiting for a connection. */
  #nextReady: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    this.#client = connect(options.redis);
    this.#prefix = options.redis.keyPrefix;
    this.#commandTimeoutMs = options.redis.commandTimeoutMs;
    // Without a listener ioredis prints every connection error; they reach callers as causes.
    this.#client.on('error', (error: Error) => options.onConnectionError?.(error));
  }

  /** Resolves once connected; throws `StoreUnavailableError` after `timeoutMs`. The store keeps reconnecting either way. */
  async waitUntilReady(timeoutMs = this.#commandTimeoutMs): Promise<void> {
    const status = this.#client.status;
    if (status === 'ready') return;
    if (status === 'end') throw new StoreUnavailableError(new Error('the store is closed'));
    this.#nextReady ??= new Promise<void>((resolve) => {
      this.#client.once('ready', () => {
        this.#nextReady = undefined;
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(new Error(`not connected within ${timeoutMs} ms`))), timeoutMs);
    });
    try {
      await Promise.race([this.#nextReady, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Every Redis call goes through here. A connection attempt under way is waited for (up to the
   * command timeout); a connection known to be down fails at once rather than queueing.
   */
  async #redis<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      const status = this.#client.status;
      if (status === 'wait' || status === 'connecting' || status === 'connect') await this.waitUntilReady();
      return await operation(this.#client);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  #script(name: ScriptName, ...keysAndArgs: (string | number)[]): Promise<unknown> {
    return this.#redis((client) => (client as unknown as ScriptCommands)[name](...keysAndArgs));
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }

  // --- oidc-provider models -------------------------------------------------------------------

  async upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
    const ttlMs = expiresInSeconds === undefined ? 0 : toMs(expiresInSeconds);
    const member = `${model}:${id}`;
    // The indexes first: if we stop half-way, an index names a missing entry (harmless), never
    // a token that revokeByGrantId or "revoke every session" cannot find.
    const indexes: Promise<unknown>[] = [];
    if (grantable.has(model) && payload.grantId) indexes.push(this.#script('gpAddMember', this.#key('grant', payload.grantId), member, ttlMs));
    if ((model === 'Session' || model === 'Grant') && payload.accountId) {
      indexes.push(this.#script('gpAddMember', this.#key('account', payload.accountId), member, ttlMs));
    }
    if (model === 'Session' && payload.uid) indexes.push(this.#setString(this.#key('uid', payload.uid), id, ttlMs));
    if (payload.userCode) indexes.push(this.#setString(this.#key('userCode', payload.userCode), id, ttlMs));
    await Promise.all(indexes);
    const fields: (string | number)[] = ['payload', JSON.stringify(payload)];
    if (payload.consumed) fields.push('consumed', String(payload.consumed));
    await this.#script('gpReplaceHash', this.#key('model', model, id), ttlMs, ...fields);
  }

  async findModel(model: string, id: string): Promise<OidcPayload | undefined> {
    const stored = await this.#redis((client) => client.hgetall(this.#key('model', model, id)));
    if (stored.payload === undefined) return undefined;
    const payload = JSON.parse(stored.payload) as OidcPayload;
    if (stored.consumed !== undefined) payload.consumed = Number(stored.consumed) || stored.consumed;
    return payload;
  }

  async findModelByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    const id = await this.#redis((client) => client.get(this.#key('uid', uid)));
    return id === null ? undefined : this.findModel(model, id);
  }

  async findModelByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    const id = await this.#redis((client) => client.get(this.#key('userCode', userCode)));
    return id === null ? undefined : this.findModel(model, id);
  }

  async consumeModel(model: string, id: string): Promise<ConsumeOutcome> {
    return (await this.#script('gpConsumeModel', this.#key('model', model, id), Math.floor(Date.now() / 1000))) as ConsumeOutcome;
  }

  async destroyModel(model: string, id: string): Promise<void> {
    await this.#redis((client) => client.del(this.#key('model', model, id)));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const indexKey = this.#key('grant', grantId);
    const members = await this.#redis((client) => client.smembers(indexKey));
    // Members live in other slots, so one DEL each; the index goes last, so a retry after a
    // failure still finds what is left.
    await Promise.all(members.map((member) => this.#redis((client) => client.del(this.#key('model', member)))));
    await this.#redis((client) => client.del(this.#key('model', 'Grant', grantId)));
    await this.#redis((client) => client.del(indexKey));
  }

  async findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }> {
    const members = await this.#redis((client) => client.smembers(this.#key('account', accountId)));
    const payloads = await Promise.all(members.map((member) => this.#redis((client) => client.hget(this.#key('model', member), 'payload'))));
    const sessions: string[] = [];
    const grants: string[] = [];
    members.forEach((member, index) => {
      const payload = payloads[index];
      // Gone (expired, destroyed) or saved again for another account: not this account's any more.
      if (payload === null || payload === undefined || (JSON.parse(payload) as OidcPayload).accountId !== accountId) return;
      const [model, id] = splitModelKey(member);
      if (model === 'Session') sessions.push(id);
      else grants.push(id);
    });
    return { sessions, grants };
  }

  // --- records ---------------------------------------------------------------------------------

  async putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void> {
    await this.#setString(this.#key('record', namespace, id), JSON.stringify(value), toMs(ttlSeconds));
  }

  async putRecordIfVersion<T extends { version: number }>(
    namespace: RecordNamespace,
    id: string,
    value: T,
    ttlSeconds: number,
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    const expected = expectedVersion === undefined ? '' : String(expectedVersion);
    const written = await this.#script('gpPutRecordIfVersion', this.#key('record', namespace, id), expected, JSON.stringify(value), toMs(ttlSeconds));
    return written === 1;
  }

  async getRecord<T>(namespace: RecordNamespace, id: string): Promise<T | undefined> {
    const value = await this.#redis((client) => client.get(this.#key('record', namespace, id)));
    return value === null ? undefined : (JSON.parse(value) as T);
  }

  async deleteRecord(namespace: RecordNamespace, id: string): Promise<void> {
    await this.#redis((client) => client.del(this.#key('record', namespace, id)));
  }

  #setString(key: string, value: string, ttlMs: number): Promise<unknown> {
    return this.#redis((client) => (ttlMs > 0 ? client.set(key, value, 'PX', ttlMs) : client.set(key, value)));
  }

  // --- codes -----------------------------------------------------------------------------------

  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    const fields = [
      ['codeId', code.codeId],
      ['email', code.email],
      ['digest', code.digest],
      ['issuedAt', code.issuedAt],
      ['expiresAt', code.expiresAt],
      ['attempts', code.attempts],
    ].flat();
    await this.#script('gpReplaceHash', this.#key('code', interactionUid), toMs(ttlSeconds), ...fields);
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    return parseCode(await this.#redis((client) => client.hgetall(this.#key('code', interactionUid))));
  }

  async countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const reply = (await this.#script('gpCountCodeAttempt', this.#key('code', interactionUid))) as string[] | null;
    return reply === null ? undefined : parseCode(pairsToRecord(reply));
  }

  async consumeCode(interactionUid: string, codeId: string): Promise<boolean> {
    return (await this.#script('gpConsumeCode', this.#key('code', interactionUid), codeId)) === 1;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    await this.#redis((client) => client.del(this.#key('code', interactionUid)));
  }

  // --- counters and slots ----------------------------------------------------------------------

  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const [count, resetAt] = (await this.#script('gpIncrementCounter', this.#key('counter', key), by, toMs(windowSeconds), Math.floor(now))) as [number, number];
    return { count, resetAt };
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const reply = (await this.#script('gpReadCounter', this.#key('counter', key), Math.floor(now))) as [number, number] | null;
    return reply === null ? undefined : { count: reply[0], resetAt: reply[1] };
  }

  async deleteCounter(key: string): Promise<void> {
    await this.#redis((client) => client.del(this.#key('counter', key)));
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    const [claimed, heldUntil] = (await this.#script('gpClaimSlot', this.#key('slot', key), toMs(ttlSeconds), Math.floor(now))) as [number, number];
    return { claimed: claimed === 1, availableAt: heldUntil };
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    const value = await this.#redis((client) => client.get(this.#key('slot', key)));
    const heldUntil = value === null ? undefined : Number(value);
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }

  async releaseSlot(key: string): Promise<void> {
    await this.#redis((client) => client.del(this.#key('slot', key)));
  }

  // --- outbox ----------------------------------------------------------------------------------

  #outboxDueKey(): string {
    return `${this.#prefix}{outbox}:due`;
  }

  #outboxMailKey(id: string): string {
    return `${this.#prefix}{outbox}:mail:${id}`;
  }

  async enqueueMail(mail: OutboxMail): Promise<void> {
    const ttlSeconds = Math.max(1, Math.ceil((mail.notAfter - Date.now()) / 1000)) + finishedMailTtlSeconds;
    const claimable = isWaiting(mail.state) && mail.sealed !== undefined;
    await this.#script(
      'gpEnqueueMail',
      this.#outboxDueKey(),
      this.#outboxMailKey(mail.id),
      mail.id,
      toMs(ttlSeconds),
      mail.nextAttemptAt,
      claimable ? '1' : '0',
      ...mailToFields(mail),
    );
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    if (limit <= 0) return [];
    // A lease that ends after `now` takes a claimed mail out of the due range, which the script relies on.
    const leaseEnd = now + Math.max(1, Math.ceil(leaseMs));
    const reply = (await this.#script('gpClaimDueMail', this.#outboxDueKey(), this.#outboxMailKey(''), now, leaseEnd, limit)) as string[][];
    return reply.map((pairs) => parseMail(pairsToRecord(pairs)));
  }

  async completeMail(id: string, outcome: MailOutcome): Promise<void> {
    await this.#script(
      'gpCompleteMail',
      this.#outboxDueKey(),
      this.#outboxMailKey(id),
      id,
      outcome.state,
      finishedMailTtlSeconds * 1000,
      outcome.state === 'sent' ? outcome.at : '',
      outcome.state === 'sent' ? '' : outcome.error,
      outcome.state === 'retrying' ? outcome.nextAttemptAt : '',
    );
  }

  async getMail(id: string): Promise<OutboxMail | undefined> {
    const stored = await this.#redis((client) => client.hgetall(this.#outboxMailKey(id)));
    return stored.id === undefined ? undefined : parseMail(stored);
  }

  // --- people ----------------------------------------------------------------------------------
  // A person is one key; the address index, the identity index, the listing and the deletion mark
  // live in other slots and are written with single-key commands. Index entries are written
  // before the person and removed after, so a crash leaves at worst an entry naming a person who
  // is gone or no longer matches it — every read checks the person and skips such an entry.

  #personKey(id: string): string {
    return this.#key('person', id);
  }

  #addressIndexKey(emailNormalized: string): string {
    return this.#key('person-email', emailNormalized);
  }

  /** JSON keeps (issuer, subject) apart whatever either holds: `person-identity:["https://login.example.com","sub-1"]`. */
  #identityIndexKey(identity: FederatedIdentity): string {
    return this.#key('person-identity', JSON.stringify([identity.issuer, identity.subject]));
  }

  #deletionMarkKey(emailNormalized: string): string {
    return this.#key('person-deleted', emailNormalized);
  }

  #peopleListingKey(): string {
    return this.#key('people', 'by-email');
  }

  /**
   * Two writes in two slots, each atomic on its own: the address index (SET NX) decides the id,
   * then the person under that id (SET NX) decides who created it. An index left without its
   * person (a crash between the writes, or a creator still on its way) is taken over under the
   * id it names, so parallel callers all meet on one person key and it never wedges the address.
   * An index naming a deleted person — the deletion mark names that id — is pointed at a new id
   * instead: a deleted person's `sub` is never handed to the next person with the address.
   */
  async createPersonIfAbsent(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }> {
    const emailNormalized = person.emailNormalized;
    const indexKey = this.#addressIndexKey(emailNormalized);
    const markKey = this.#deletionMarkKey(emailNormalized);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const indexed = await this.#redis((client) => client.set(indexKey, person.id, 'NX'));
      const id = indexed === 'OK' ? person.id : await this.#redis((client) => client.get(indexKey));
      if (id === null) continue;
      const existing = indexed === 'OK' ? undefined : await this.getPerson(id);
      if (existing?.emailNormalized === emailNormalized) return { person: existing, created: false };
      const mark = await this.#redis((client) => client.get(markKey));
      if (existing || mark === id) {
        await this.#script('gpCompareAndSet', indexKey, id, person.id);
        continue;
      }
      const candidate: PersonRecord = { ...person, id, version: 1 };
      await this.#redis((client) => client.zadd(this.#peopleListingKey(), 0, personListingMember(candidate)));
      const written = await this.#redis((client) => client.set(this.#personKey(id), JSON.stringify(candidate), 'NX'));
      if (written === 'OK') {
        // Compare-and-delete: were this new person deleted meanwhile, that deletion's mark stays.
        if (mark !== null) await this.#script('gpCompareAndSet', markKey, mark);
        return { person: candidate, created: true };
      }
      const winner = await this.getPerson(id);
      if (winner?.emailNormalized === emailNormalized) return { person: winner, created: false };
    }
    throw new StoreContentionError(`could not create a person for ${emailNormalized}: the address index keeps changing`);
  }

  async getPerson(id: string): Promise<PersonRecord | undefined> {
    const stored = await this.#redis((client) => client.get(this.#personKey(id)));
    return stored === null ? undefined : (JSON.parse(stored) as PersonRecord);
  }

  async findPersonByEmail(emailNormalized: string): Promise<PersonRecord | undefined> {
    const id = await this.#redis((client) => client.get(this.#addressIndexKey(emailNormalized)));
    if (id === null) return undefined;
    const person = await this.getPerson(id);
    // An index left behind by an interrupted creation or deletion names no one, or someone else.
    return person?.emailNormalized === emailNormalized ? person : undefined;
  }

  async findPersonByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined> {
    const identity = { issuer, subject };
    const id = await this.#redis((client) => client.get(this.#identityIndexKey(identity)));
    if (id === null) return undefined;
    const person = await this.getPerson(id);
    // A claim whose link never completed, or an entry a deletion did not get to, names no holder.
    return person && holdsIdentity(person, identity) ? person : undefined;
  }

  /**
   * One key: a compare-and-set on the version. Nothing indexed can change here (address and
   * identities are fixed), so no index is touched; the version check in the script also proves
   * the identities are still the ones compared below.
   */
  async savePerson(person: PersonRecord, expectedVersion: number): Promise<boolean> {
    const stored = await this.getPerson(person.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertPersonFixedFieldsKept(stored, person);
    const saved = { ...person, version: expectedVersion + 1 };
    const replaced = await this.#script('gpSaveIfVersion', this.#personKey(person.id), expectedVersion, stored.createdAt, JSON.stringify(saved));
    return typeof replaced === 'string';
  }

  /**
   * The identity index is claimed first (SET NX: of N parallel claimers one wins), then the
   * person is saved with the identity by compare-and-set on the version. The person is read
   * before anything is written, so a stale version or a second identity from one issuer claims
   * nothing; a save that loses to a newer version releases the claim this call made.
   */
  async linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome> {
    const person = await this.getPerson(personId);
    if (!person) return { outcome: 'stale' };
    if (holdsIdentity(person, identity)) return { outcome: 'linked', person };
    if (person.version !== expectedVersion) return { outcome: 'stale' };
    if (person.identities.some((held) => held.issuer === identity.issuer)) return { outcome: 'issuer_already_linked' };
    const indexKey = this.#identityIndexKey(identity);
    const claim = await this.#claimIdentity(indexKey, personId, identity);
    if (claim.outcome === 'taken') return claim;
    const linked: PersonRecord = { ...person, identities: [...person.identities, { issuer: identity.issuer, subject: identity.subject }], version: expectedVersion + 1 };
    const replaced = await this.#script('gpSaveIfVersion', this.#personKey(personId), expectedVersion, person.createdAt, JSON.stringify(linked));
    if (typeof replaced === 'string') return { outcome: 'linked', person: linked };
    if (claim.outcome === 'claimed') await this.#releaseIdentityClaim(indexKey, personId, identity);
    return { outcome: 'stale' };
  }

  /**
   * `claimed`: this call wrote the entry. `held`: it named this person already (an earlier claim
   * of theirs). An entry naming a person who is gone is left over (a deletion or a failed link
   * stopped half-way) and is taken over. An entry naming another person who exists is `taken`,
   * even while that person does not hold the identity yet: that is another link under way, and
   * taking it over would let both links succeed.
   */
  async #claimIdentity(indexKey: string, personId: string, identity: FederatedIdentity): Promise<{ outcome: 'claimed' | 'held' } | { outcome: 'taken'; personId: string }> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if ((await this.#redis((client) => client.set(indexKey, personId, 'NX'))) === 'OK') return { outcome: 'claimed' };
      const holderId = await this.#redis((client) => client.get(indexKey));
      if (holderId === null) continue;
      if (holderId === personId) return { outcome: 'held' };
      if (await this.getPerson(holderId)) return { outcome: 'taken', personId: holderId };
      if ((await this.#script('gpCompareAndSet', indexKey, holderId, personId)) === 1) return { outcome: 'claimed' };
    }
    throw new StoreContentionError(`could not claim the identity ${identity.subject} of ${identity.issuer}: its index keeps changing`);
  }

  /**
   * Releases a claim whose save lost, unless the person holds the identity after all: another
   * link of the same person, relying on this claim, may have won. That link can also win between
   * the check and the delete, so the claim is put back if the person holds the identity after.
   */
  async #releaseIdentityClaim(indexKey: string, personId: string, identity: FederatedIdentity): Promise<void> {
    const before = await this.getPerson(personId);
    if (before && holdsIdentity(before, identity)) return;
    if ((await this.#script('gpCompareAndSet', indexKey, personId)) !== 1) return;
    const after = await this.getPerson(personId);
    if (after && holdsIdentity(after, identity)) await this.#redis((client) => client.set(indexKey, personId, 'NX'));
  }

  /**
   * The deletion mark goes first and the person next, so once the person is gone the address is
   * marked, crash or not; the index entries go last (a leftover entry is skipped by every read).
   * A mark written while the person is still there (a crash before the delete) does not count:
   * `isEmailDeleted` asks whether anyone still has the address.
   */
  async deletePerson(id: string): Promise<PersonRecord | undefined> {
    const found = await this.getPerson(id);
    if (!found) return undefined;
    await this.#redis((client) => client.set(this.#deletionMarkKey(found.emailNormalized), id));
    const stored = await this.#redis((client) => client.getdel(this.#personKey(id)));
    if (stored === null) return undefined;
    const person = JSON.parse(stored) as PersonRecord;
    await Promise.all([
      this.#script('gpCompareAndSet', this.#addressIndexKey(person.emailNormalized), id),
      ...person.identities.map((identity) => this.#script('gpCompareAndSet', this.#identityIndexKey(identity), id)),
      this.#redis((client) => client.zrem(this.#peopleListingKey(), personListingMember(person))),
    ]);
    return person;
  }

  async isEmailDeleted(emailNormalized: string): Promise<boolean> {
    const mark = await this.#redis((client) => client.get(this.#deletionMarkKey(emailNormalized)));
    return mark !== null && (await this.findPersonByEmail(emailNormalized)) === undefined;
  }

  /**
   * Reads the listing index in address order from the cursor (or the prefix) on, `limit + 1`
   * entries at first and twice as many each round after (up to `peopleChunkMax`), until one
   * match more than the page is found; entries whose person is gone are skipped.
   */
  async listPeople(query: PeopleQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<PersonRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : personListingMember(decodePersonCursor(page.cursor));
    const prefix = query.emailPrefix ?? '';
    // `[` is inclusive, `(` exclusive. No byte of UTF-8 is 0xff, so prefix + 0xff is past every address with the prefix.
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]);
    let min = prefix === '' ? '-' : `[${prefix}`;
    if (after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0) min = `(${after}`;
    const found: PersonRecord[] = [];
    let count = Math.min(peopleChunkMax, page.limit + 1);
    while (found.length <= page.limit) {
      const members = await this.#redis((client) => client.zrangebylex(this.#peopleListingKey(), min, max, 'LIMIT', 0, count));
      const people = await Promise.all(members.map((member) => this.#personOfListing(member)));
      for (const person of people) {
        if (person && personMatches(person, query)) found.push(person);
        if (found.length > page.limit) break;
      }
      if (members.length < count) break;
      min = `(${members.at(-1)!}`;
      count = Math.min(peopleChunkMax, count * 2);
    }
    return toPeoplePage(found, page.limit);
  }

  /** One GET per entry: people live in many slots, which one MGET may not span on a Cluster. */
  async #personOfListing(member: string): Promise<PersonRecord | undefined> {
    const separator = member.indexOf('\u0000');
    const person = await this.getPerson(member.slice(separator + 1));
    return person?.emailNormalized === member.slice(0, separator) ? person : undefined;
  }

  // --- settings --------------------------------------------------------------------------------

  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    const stored = await this.#redis((client) => client.get(this.#key('settings')));
    return stored === null ? undefined : (JSON.parse(stored) as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    const settings: StoredSettings<T> = { version: (expectedVersion ?? 0) + 1, value, updatedAt };
    const expected = expectedVersion === undefined ? '' : String(expectedVersion);
    return (await this.#script('gpPutRecordIfVersion', this.#key('settings'), expected, JSON.stringify(settings), 0)) === 1;
  }

  // --- secure links ----------------------------------------------------------------------------
  // The link is one key; its index entries live in other slots and are written with single-key
  // commands, ordered so that an index may name a link that is gone or has changed (every read
  // checks the link itself) but never misses a link it should name.

  #linkKey(id: string): string {
    return this.#key('link', id);
  }

  #recipientIndexKey(emailNormalized: string): string {
    return this.#key('links', 'recipient', emailNormalized);
  }

  async createLink(link: LinkRecord): Promise<boolean> {
    const key = this.#linkKey(link.id);
    // A taken id writes no index entry, so the existing link keeps its place in the lists.
    if ((await this.#redis((client) => client.exists(key))) === 1) return false;
    await Promise.all([
      this.#redis((client) => client.zadd(this.#key('links', 'all'), link.createdAt, link.id)),
      this.#redis((client) => client.zadd(this.#key('links', 'client', link.clientId), link.createdAt, link.id)),
      ...[...recipientAddresses(link)].map((address) => this.#redis((client) => client.zadd(this.#recipientIndexKey(address), 'GT', 1, link.id))),
    ]);
    const written = await this.#redis((client) => client.set(key, JSON.stringify({ ...link, version: 1 }), 'NX'));
    return written === 'OK';
  }

  async getLink(id: string): Promise<LinkRecord | undefined> {
    const stored = await this.#redis((client) => client.get(this.#linkKey(id)));
    return stored === null ? undefined : (JSON.parse(stored) as LinkRecord);
  }

  /**
   * An address added is indexed before the write, under the version being written (ZADD GT,
   * so the score only grows); an address removed is unindexed after it, and only if its entry
   * is older than this version — so a later save that adds it again is never undone by this one.
   */
  async saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean> {
    const stored = await this.getLink(link.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertLinkIdentityKept(stored, link);
    const version = expectedVersion + 1;
    const before = recipientAddresses(stored);
    const after = recipientAddresses(link);
    const added = [...after].filter((address) => !before.has(address));
    await Promise.all(added.map((address) => this.#redis((client) => client.zadd(this.#recipientIndexKey(address), 'GT', version, link.id))));
    const replaced = await this.#script('gpSaveIfVersion', this.#linkKey(link.id), expectedVersion, link.createdAt, JSON.stringify({ ...link, version }));
    if (typeof replaced !== 'string') return false;
    const removed = [...recipientAddresses(JSON.parse(replaced) as LinkRecord)].filter((address) => !after.has(address));
    await Promise.all(removed.map((address) => this.#script('gpUnindexRecipient', this.#recipientIndexKey(address), link.id, version)));
    return true;
  }

  async deleteLink(id: string): Promise<LinkRecord | undefined> {
    const stored = await this.#redis((client) => client.getdel(this.#linkKey(id)));
    if (stored === null) return undefined;
    const link = JSON.parse(stored) as LinkRecord;
    await Promise.all([
      this.#redis((client) => client.zrem(this.#key('links', 'all'), id)),
      this.#redis((client) => client.zrem(this.#key('links', 'client', link.clientId), id)),
      ...[...recipientAddresses(link)].map((address) => this.#redis((client) => client.zrem(this.#recipientIndexKey(address), id))),
    ]);
    return link;
  }

  /**
   * The narrowest index answers: one person's links (a bounded set, sorted here), else one
   * client's or all links by creation time, read newest first in chunks. Every entry is checked
   * against its link, so entries left by an interrupted write are skipped.
   */
  async listLinks(query: LinkQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<LinkRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeLinkCursor(page.cursor);
    if (query.recipient !== undefined) {
      const ids = await this.#redis((client) => client.zrange(this.#recipientIndexKey(query.recipient!), 0, '-1'));
      const links = await this.#getLinks(ids);
      return pageOfLinks(
        links.filter((link) => link !== undefined),
        query,
        after,
        page.limit,
      );
    }
    const index = query.clientId === undefined ? this.#key('links', 'all') : this.#key('links', 'client', query.clientId);
    return this.#listLinksByCreation(index, query, after, page.limit);
  }

  /**
   * Reads the index newest first from the cursor on, `limit + 1` entries at first and twice as
   * many each round after (up to `linkChunkMax`), until one match more than the page is found.
   * Links created in the same ms share a score and may span chunks, so a chunk starts at the
   * last score read, inclusive, past the entries of that score already read (`offset`); an
   * exclusive bound would skip the rest of them.
   */
  async #listLinksByCreation(indexKey: string, query: LinkQuery, after: LinkPosition | undefined, limit: number): Promise<Page<LinkRecord>> {
    const found: { link: LinkRecord; position: LinkPosition }[] = [];
    let last = after;
    let max = after === undefined ? '+inf' : String(after.createdAt);
    let offset = 0;
    let count = Math.min(linkChunkMax, limit + 1);
    while (found.length <= limit) {
      const reply = await this.#redis((client) => client.zrevrangebyscore(indexKey, max, '-inf', 'WITHSCORES', 'LIMIT', offset, count));
      const entries = scoredMembers(reply);
      // Entries at or before the last one read are those the cursor or an earlier chunk covered.
      const fresh = entries.filter((entry) => last === undefined || compareNewestFirst(last, entry) < 0);
      const links = await this.#getLinks(fresh.map((entry) => entry.id));
      for (const [index, link] of links.entries()) {
        if (link && linkMatches(link, query)) found.push({ link, position: fresh[index]! });
        if (found.length > limit) break;
      }
      if (entries.length < count) break;
      const lastEntry = entries.at(-1)!;
      const atLastScore = entries.filter((entry) => entry.createdAt === lastEntry.createdAt).length;
      offset = String(lastEntry.createdAt) === max ? offset + atLastScore : atLastScore;
      max = String(lastEntry.createdAt);
      // A chunk may end before the cursor (ties of its ms that the cursor had passed).
      if (last === undefined || compareNewestFirst(last, lastEntry) < 0) last = lastEntry;
      count = Math.min(linkChunkMax, count * 2);
    }
    return toLinkPage(found, limit);
  }

  /** One GET per link: the links live in many slots, which one MGET may not span on a Cluster. */
  #getLinks(ids: string[]): Promise<(LinkRecord | undefined)[]> {
    return Promise.all(ids.map((id) => this.getLink(id)));
  }

  // --- audit -----------------------------------------------------------------------------------

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    if (events.length === 0) return [];
    const ids = (await this.#script('gpAppendAudit', this.#key('audit'), ...events.map((event) => JSON.stringify(event)))) as string[];
    return events.map((event, index) => ({ id: ids[index]!, ...structuredClone(event) }));
  }

  async listAudit(query: AuditQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<AuditEvent>> {
    const afterId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const key = this.#key('audit');
    const chunk = auditChunk(page.limit);
    const items: AuditEvent[] = [];
    let start = afterId === undefined ? '-' : `(${afterId}`;
    // One match more than asked tells whether another page exists.
    while (items.length <= page.limit) {
      const entries = await this.#redis((client) => client.xrange(key, start, '+', 'COUNT', chunk));
      for (const [id, fields] of entries) {
        const event = parseAuditEntry(id, fields);
        if (auditMatches(event, query)) items.push(event);
        if (items.length > page.limit) break;
      }
      if (entries.length < chunk) break;
      start = `(${entries.at(-1)![0]}`;
    }
    const more = items.length > page.limit;
    if (more) items.pop();
    return { items, nextCursor: more ? encodeAuditCursor(items.at(-1)!.id) : null };
  }

  async trimAudit(before: number): Promise<void> {
    // Stream ids start with the append time, so MINID drops exactly the entries appended before `before`.
    await this.#redis((client) => client.xtrim(this.#key('audit'), 'MINID', Math.max(0, Math.floor(before))));
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async ping(): Promise<void> {
    await this.#redis((client) => client.ping());
  }

  async close(): Promise<void> {
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // The connection went meanwhile; disconnecting below stops the reconnect loop all the same.
      }
    }
    this.#client.disconnect();
  }
}

/**
 * Connects and waits up to the command timeout for the connection, then returns the store even
 * if Redis is not there yet: it keeps reconnecting, and until it is back every call throws
 * `StoreUnavailableError` (as `ping()` does for health checks).
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  await store.waitUntilReady().catch((error: unknown) => {
    if (!(error instanceof StoreUnavailableError)) throw error;
  });
  return store;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function pairsToRecord(pairs: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) record[pairs[index]!] = pairs[index + 1]!;
  return record;
}

function parseCode(stored: Record<string, string>): StoredCode | undefined {
  if (stored.codeId === undefined) return undefined;
  return {
    codeId: stored.codeId,
    email: stored.email ?? '',
    digest: stored.digest ?? '',
    issuedAt: Number(stored.issuedAt),
    expiresAt: Number(stored.expiresAt),
    attempts: Number(stored.attempts),
  };
}

function isWaiting(state: MailState): boolean {
  return state === 'queued' || state === 'retrying' || state === 'sending';
}

function mailToFields(mail: OutboxMail): string[] {
  const fields: [string, string | number | undefined][] = [
    ['id', mail.id],
    ['sealed', mail.sealed],
    ['label', mail.label],
    ['state', mail.state],
    ['attempts', mail.attempts],
    ['createdAt', mail.createdAt],
    ['nextAttemptAt', mail.nextAttemptAt],
    ['notAfter', mail.notAfter],
    ['sentAt', mail.sentAt],
    ['lastError', mail.lastError],
  ];
  return fields.flatMap(([field, value]) => (value === undefined ? [] : [field, String(value)]));
}

function parseMail(stored: Record<string, string>): OutboxMail {
  const mail: OutboxMail = {
    id: stored.id ?? '',
    label: stored.label ?? '',
    state: stored.state as MailState,
    attempts: Number(stored.attempts),
    createdAt: Number(stored.createdAt),
    nextAttemptAt: Number(stored.nextAttemptAt),
    notAfter: Number(stored.notAfter),
  };
  if (stored.sealed !== undefined) mail.sealed = stored.sealed;
  if (stored.sentAt !== undefined) mail.sentAt = Number(stored.sentAt);
  if (stored.lastError !== undefined) mail.lastError = stored.lastError;
  return mail;
}

function parseAuditEntry(id: string, fields: string[]): AuditEvent {
  const json = pairsToRecord(fields).event;
  if (json === undefined) throw new Error(`audit entry ${id} has no event field`);
  return { id, ...(JSON.parse(json) as Omit<AuditEvent, 'id'>) };
}

/** A `WITHSCORES` reply of a link index: member (link id) and score (its createdAt) alternate. */
function scoredMembers(reply: string[]): LinkPosition[] {
  const positions: LinkPosition[] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) positions.push({ id: reply[index]!, createdAt: Number(reply[index + 1]) });
  return positions;
}

function splitModelKey(key: string): [string, string] {
  const at = key.indexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}
