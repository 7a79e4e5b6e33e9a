/** The Redis store, as `src/` and the tests import it; it lives in `redis/`, one file per concern. */
export type { RedisNode, RedisStoreConfig, RedisStoreOptions } from './redis/connection.ts';
export { createRedisStore, RedisStore } from './redis/store.ts';
