/**
 * The store contract on RedisStores, for each Redis setup (one server, Cluster, Sentinel): every
 * store gets a fresh config (so its own key prefix) and afterwards only its keys are deleted.
 */
import { expect } from 'chai';

import { createRedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import type { Store } from '../../adapters/store.ts';
import { storeContract } from './store_contract.ts';
import { until } from './store/fixtures.ts';

/**
 * `plant` writes a raw string under a key (a client of the setup's own, outside any store): what a
 * corrupt or foreign entry looks like to the store.
 */
export function redisStoreContract(
  name: string,
  config: () => RedisStoreConfig,
  deleteKeysUnder: (prefix: string) => Promise<unknown>,
  plant: (key: string, value: string) => Promise<unknown>,
): void {
  const prefixes = new WeakMap<Store, string>();
  storeContract(
    name,
    async () => {
      const redis = config();
      const store = await createRedisStore({ redis });
      prefixes.set(store, redis.keyPrefix);
      return store;
    },
    async (store) => {
      await deleteKeysUnder(prefixes.get(store)!);
      await store.close();
    },
  );
  settingsWatchContract(name, config, deleteKeysUnder);
  unreadableEntryContract(name, config, deleteKeysUnder, plant);
}

/** A store step that fails on an entry it cannot read leaves nothing half done. */
function unreadableEntryContract(name: string, config: () => RedisStoreConfig, deleteKeysUnder: (prefix: string) => Promise<unknown>, plant: (key: string, value: string) => Promise<unknown>): void {
  describe(`${name}: an entry it cannot read`, () => {
    // On a Cluster the entry's master is apart from the slot's, so the claim there is a command of its own.
    it('claimSlotAndFindModel claims nothing when the entry cannot be read, so the resume it gates can be tried again', async () => {
      const redis = config();
      const store = await createRedisStore({ redis });
      try {
        const now = Date.now();
        await plant(`${redis.keyPrefix}model:Interaction:interaction-1`, 'not a hash');
        const failed = await store.claimSlotAndFindModel({ key: 'resume:interaction-1', ttlSeconds: 60, now }, 'Interaction', 'interaction-1').then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).to.be.instanceOf(Error);
        expect(await store.peekSlot('resume:interaction-1', now)).to.equal(undefined);
      } finally {
        await store.close();
        await deleteKeysUnder(redis.keyPrefix);
      }
    });
  });
}

/**
 * Two stores of one deployment (one Redis setup, one key prefix), as two instances have: a save
 * through either reaches the other's settings watch.
 */
function settingsWatchContract(name: string, config: () => RedisStoreConfig, deleteKeysUnder: (prefix: string) => Promise<unknown>): void {
  describe(`${name}: the settings watch between instances`, () => {
    const settings = (sharingLevel: string) => ({ sharingLevel, reverificationDays: 30 });

    it('moves on in every instance when one of them saves', async () => {
      const redis = config();
      const [a, b] = await Promise.all([createRedisStore({ redis }), createRedisStore({ redis })]);
      try {
        const watchA = a.settingsWatch();
        const watchB = b.settingsWatch();
        await until(() => watchA.live && watchB.live, 'both watches to be live');

        const seenByB = watchB.generation;
        expect(await a.saveSettings(settings('existingGuests'), 1_700_000_000_000, undefined)).to.equal(true);
        await until(() => watchB.generation !== seenByB, 'the save through A to reach B');
        expect(watchB.live).to.equal(true);
        expect(await b.getSettings()).to.deep.include({ version: 1, value: settings('existingGuests') });

        const seenByA = watchA.generation;
        expect(await b.saveSettings(settings('organizationOnly'), 1_700_000_001_000, 1)).to.equal(true);
        await until(() => watchA.generation !== seenByA, 'the save through B to reach A');
        expect(await a.getSettings()).to.deep.include({ version: 2, value: settings('organizationOnly') });
      } finally {
        await Promise.all([a.close(), b.close()]);
        await deleteKeysUnder(redis.keyPrefix);
      }
    });
  });
}
