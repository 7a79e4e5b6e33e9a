/**
 * The Redis store: one server, Sentinel or Cluster, shared by every guestpass instance. One
 * connection (`connection.ts`) serves a part per concern, each in its own file; `keys.ts` lays out
 * every key they write, `scripts.ts` holds the Lua of each atomic step.
 */
import { ComposedStore } from '../composed_store.ts';
import { StoreUnavailableError } from '../errors.ts';
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

  close(): Promise<void> {
    this.#settings.close();
    return this.#connection.close();
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
