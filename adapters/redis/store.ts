/**
 * The Redis store: one server, Sentinel or Cluster, shared by every guestpass instance. One
 * connection (`connection.ts`) serves a part per concern, each in its own file; `keys.ts` lays out
 * every key they write, `scripts.ts` holds the Lua of each atomic step.
 */
import { ComposedStore } from '../composed_store.ts';
import { StoreUnavailableError, UnsupportedStoreError } from '../errors.ts';
import type { SettingsWatch } from '../store/settings.ts';
import { RedisAudit } from './audit.ts';
import { RedisClients } from './clients.ts';
import { RedisCodes } from './codes.ts';
import { RedisConnection, type RedisStoreOptions } from './connection.ts';
import { RedisCounters } from './counters.ts';
import { RedisLinks } from './links.ts';
import { RedisOidcModels } from './oidc_models.ts';
import { RedisOutbox } from './outbox.ts';
import { RedisPeople } from './people.ts';
import { RedisRecords } from './records.ts';
import { RedisSettings } from './settings.ts';
import { RedisKeyring } from './keyring.ts';

export class RedisStore extends ComposedStore {
  readonly kind = 'redis' as const;
  readonly #connection: RedisConnection;
  readonly #settings: RedisSettings;

  constructor(options: RedisStoreOptions) {
    const redis = new RedisConnection(options);
    const counters = new RedisCounters(redis);
    const settings = new RedisSettings(redis);
    super({
      models: new RedisOidcModels(redis),
      records: new RedisRecords(redis),
      codes: new RedisCodes(redis, counters),
      counters,
      outbox: new RedisOutbox(redis),
      people: new RedisPeople(redis),
      settings,
      keyring: new RedisKeyring(redis),
      audit: new RedisAudit(redis, options.auditOperations),
      links: new RedisLinks(redis),
      clients: new RedisClients(redis),
    });
    this.#connection = redis;
    this.#settings = settings;
  }

  /** Resolves once connected; throws `StoreUnavailableError` after `timeoutMs`. The store keeps reconnecting either way. */
  waitUntilReady(timeoutMs?: number): Promise<void> {
    return this.#connection.waitUntilReady(timeoutMs);
  }

  override settingsWatch(): SettingsWatch {
    return this.#settings.settingsWatch();
  }

  ping(): Promise<void> {
    return this.#connection.ping();
  }

  /** `INFO server` of the server (on a Cluster, of one node). */
  serverInfo(): Promise<string> {
    return this.#connection.run((client) => client.info('server'));
  }

  close(): Promise<void> {
    this.#settings.close();
    return this.#connection.close();
  }
}

/** The oldest Redis whose commands the scripts use: `SET … NX GET` and `XADD` ids of `<ms>-*` came with 7.0. */
export const minimumRedisVersion = '7.0';

/**
 * Refuses a server older than `minimumRedisVersion`, from its `INFO server` text (Valkey reports
 * the Redis version it matches there too). A text without a version is let through.
 */
export function checkRedisVersion(info: string): void {
  const version = /^redis_version:(\d+)\.(\d+)/m.exec(info);
  if (!version) return;
  const [major, minor] = minimumRedisVersion.split('.').map(Number) as [number, number];
  const [, seenMajor, seenMinor] = version.map(Number) as [number, number, number];
  if (seenMajor > major || (seenMajor === major && seenMinor >= minor)) return;
  throw new UnsupportedStoreError(`the Redis server is version ${seenMajor}.${seenMinor}: guestpass needs Redis ${minimumRedisVersion} or newer`);
}

/**
 * Connects and waits up to the command timeout for the connection, then returns the store even
 * if Redis is not there yet: it keeps reconnecting, and until it is back every call throws
 * `StoreUnavailableError` (as `ping()` does for health checks). A server that answers but is
 * older than Redis 7.0 stops start-up (`UnsupportedStoreError`).
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  try {
    await store.waitUntilReady();
    checkRedisVersion(await store.serverInfo());
  } catch (error) {
    if (error instanceof StoreUnavailableError) return store;
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
