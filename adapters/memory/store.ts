/**
 * The in-memory store: one process, nothing survives a restart. It is the embedded default for
 * `npm start` and the reference the Redis store is checked against by the contract suite.
 * Node runs one callback at a time, so each method of its parts is atomic as long as it does not
 * await in the middle — none does.
 */
import { ComposedStore } from '../composed_store.ts';
import { MemoryAudit } from './audit.ts';
import { MemoryClients } from './clients.ts';
import { MemoryCodes } from './codes.ts';
import { MemoryCounters } from './counters.ts';
import { ExpiringMaps } from './maps.ts';
import { MemoryLinks } from './links.ts';
import { MemoryOidcModels } from './oidc_models.ts';
import { MemoryOutbox } from './outbox.ts';
import { MemoryPeople } from './people.ts';
import { MemoryRecords } from './records.ts';
import { MemorySettings } from './settings.ts';
import { MemoryKeyring } from './keyring.ts';

export class MemoryStore extends ComposedStore {
  readonly kind = 'memory' as const;
  readonly #sweeper: NodeJS.Timeout;

  constructor() {
    const maps = new ExpiringMaps();
    const records = new MemoryRecords(maps);
    const counters = new MemoryCounters(maps);
    super({
      models: new MemoryOidcModels(maps, records, counters),
      records,
      codes: new MemoryCodes(maps, counters),
      counters,
      outbox: new MemoryOutbox(maps),
      people: new MemoryPeople(),
      settings: new MemorySettings(),
      keyring: new MemoryKeyring(),
      audit: new MemoryAudit(),
      links: new MemoryLinks(),
      clients: new MemoryClients(),
    });
    // Expired entries are invisible at once; this only frees their memory now and then.
    this.#sweeper = setInterval(() => maps.sweep(), 60_000);
    this.#sweeper.unref();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }
}
