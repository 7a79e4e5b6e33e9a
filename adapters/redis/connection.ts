/**
 * The connection to Redis, and what a failure of it means. A Redis outage must fail requests
 * fast and closed: there is no offline queue, nothing is resent after a reconnect, and every
 * error that is not a reply from the server becomes `StoreUnavailableError`; the store keeps
 * reconnecting meanwhile and answers again, without a restart, once Redis is back.
 */
import { Cluster, Redis, ReplyError } from 'ioredis';

import { StoreError, StoreUnavailableError } from '../errors.ts';
import { RedisKeys } from './keys.ts';
import { scripts, type ScriptName } from './scripts.ts';
import { coalesceWrites } from './write_coalescing.ts';

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
  /** The audit operations there are (the domain's list); an event read back naming another is corrupt. Absent: any name. */
  auditOperations?: readonly string[] | undefined;
}

type RedisClient = Redis | Cluster;
type ScriptCommands = Record<ScriptName, (...keysAndArgs: (string | number)[]) => Promise<unknown>>;

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

function rejectAsStoreError(error: unknown): Promise<never> {
  return Promise.reject(toStoreError(error));
}

/** Reconnect after 50 ms, doubling up to 2 s, for as long as it takes; requests meanwhile fail fast. */
export const reconnectDelayMs = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/** Options of every connection: fail fast, never queue or resend (see the header). */
function failFastOptions(config: RedisStoreConfig) {
  return {
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: Math.max(config.commandTimeoutMs, 1000),
    // Nothing waits in a queue while Redis is away, and nothing is sent twice after a reconnect:
    // a resent consume could report "already consumed" to the caller that consumed.
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    // No auto-pipelining: ioredis builds a Pipeline (binding every script) per batch, and measured
    // A/B that cost more server CPU per sign-in than the writes it saved (bench/README.md);
    // commands of one turn share a socket write through coalesceWrites instead.
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
  };
}

function connect(config: RedisStoreConfig): RedisClient {
  const failFast = failFastOptions(config);
  if (config.cluster) {
    return coalesceWrites(
      new Cluster(config.cluster, {
        enableOfflineQueue: false,
        clusterRetryStrategy: reconnectDelayMs,
        redisOptions: { ...failFast, ...(config.tls ? { tls: {} } : {}) },
        scripts,
      }),
    );
  }
  const common = { ...failFast, enableOfflineQueue: false, retryStrategy: reconnectDelayMs, scripts };
  if (config.sentinels) {
    return coalesceWrites(
      new Redis({
        ...common,
        sentinels: config.sentinels,
        name: config.sentinelName,
        ...(config.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      }),
    );
  }
  if (config.url) return coalesceWrites(new Redis(config.url, common));
  throw new TypeError('the Redis store needs redis.url, redis.sentinels or redis.cluster');
}

/** Seconds as the ms Redis expiries take, never 0 (which would mean "no expiry" to our scripts). */
export const toMs = (seconds: number) => Math.max(1, Math.round(seconds * 1000));

/** One client for the whole store, and the key names; every concern of the store talks to Redis through it. */
export class RedisConnection {
  readonly keys: RedisKeys;
  /** A Cluster: a script may touch only keys of one slot. Elsewhere (one server, Sentinel) one script may span any keys. */
  readonly cluster: boolean;
  readonly #client: RedisClient;
  readonly #config: RedisStoreConfig;
  readonly #commandTimeoutMs: number;
  /** Which known Cluster node the next subscriber connection goes to. */
  #subscriberTurn = 0;
  /** Resolves on the next 'ready'; shared by every caller waiting for a connection. */
  #nextReady: Promise<void> | undefined;
  readonly #onConnectionError: ((error: Error) => void) | undefined;

  constructor(options: RedisStoreOptions) {
    this.#onConnectionError = options.onConnectionError;
    this.#client = connect(options.redis);
    this.#config = options.redis;
    this.keys = new RedisKeys(options.redis.keyPrefix);
    this.cluster = options.redis.cluster !== undefined;
    this.#commandTimeoutMs = options.redis.commandTimeoutMs;
    // Without a listener ioredis prints every connection error; they reach callers as causes.
    this.#client.on('error', (error: Error) => options.onConnectionError?.(error));
  }

  /** Tells whoever watches the connection (the log) about a fault on a connection of the store's own, such as its subscriber's. */
  reportError(error: Error): void {
    this.#onConnectionError?.(error);
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
  run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    const status = this.#client.status;
    if (status === 'wait' || status === 'connecting' || status === 'connect') return this.#runWhenReady(operation);
    // Connected (or known down: the client fails it at once). As `#runWhenReady` without the wait,
    // with one promise per command instead of an async function's two (bench/README.md, round 8).
    try {
      return operation(this.#client).then(undefined, rejectAsStoreError);
    } catch (error) {
      return rejectAsStoreError(error);
    }
  }

  async #runWhenReady<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      await this.waitUntilReady();
      return await operation(this.#client);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  script(name: ScriptName, ...keysAndArgs: (string | number)[]): Promise<unknown> {
    return this.run((client) => (client as unknown as ScriptCommands)[name](...keysAndArgs));
  }

  /** SET with an expiry in ms, or without one (durable) when `ttlMs` is 0. */
  setString(key: string, value: string, ttlMs: number): Promise<unknown> {
    return this.run((client) => (ttlMs > 0 ? client.set(key, value, 'PX', ttlMs) : client.set(key, value)));
  }

  /**
   * A connection of its own for SUBSCRIBE (a subscribed connection can send nothing else but
   * PING), with the store's options, that does not reconnect by itself: its owner opens another
   * after its `end`. On a Cluster each one goes to the next node the cluster client knows (a
   * message published on any node reaches every node), so a node that went away is left behind.
   */
  openSubscriber(): Redis {
    const config = this.#config;
    const options = { ...failFastOptions(config), enableOfflineQueue: false, autoResubscribe: false, retryStrategy: () => null };
    if (config.cluster) {
      const known = (this.#client as Cluster).nodes('all').map((node) => ({ host: node.options.host, port: node.options.port }));
      const nodes = known.length > 0 ? known : config.cluster;
      const node = nodes[this.#subscriberTurn++ % nodes.length]!;
      return new Redis({ ...options, host: node.host, port: node.port, ...(config.tls ? { tls: {} } : {}) });
    }
    if (config.sentinels) {
      return new Redis({ ...options, sentinels: config.sentinels, name: config.sentinelName, ...(config.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}) });
    }
    return new Redis(config.url!, options);
  }

  async ping(): Promise<void> {
    await this.run((client) => client.ping());
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

/** Where each concern of the Redis store starts from: the one connection, and the key names. */
export abstract class RedisPart {
  protected readonly redis: RedisConnection;
  protected readonly keys: RedisKeys;

  constructor(redis: RedisConnection) {
    this.redis = redis;
    this.keys = redis.keys;
  }
}
