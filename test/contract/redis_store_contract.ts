/**
 * The store contract on RedisStores, for each Redis setup (one server, Cluster, Sentinel): every
 * store gets a fresh config (so its own key prefix) and afterwards only its keys are deleted.
 */
import { createRedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import type { Store } from '../../adapters/store.ts';
import { storeContract } from './store_contract.ts';

export function redisStoreContract(name: string, config: () => RedisStoreConfig, deleteKeysUnder: (prefix: string) => Promise<unknown>): void {
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
}
