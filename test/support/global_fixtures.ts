/**
 * Mocha global fixtures: one real redis-server for the whole run (unless REDIS_URL names one),
 * shared by every suite; each suite keeps to its own key prefix (see `testRedisUrl`).
 */
import { startRedisServer, type RunningRedis } from './redis_server.ts';

let redis: RunningRedis | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    process.env.GUESTPASS_TEST_REDIS_URL = process.env.REDIS_URL;
    return;
  }
  redis = await startRedisServer();
  process.env.GUESTPASS_TEST_REDIS_URL = redis.url;
}

export async function mochaGlobalTeardown(): Promise<void> {
  await redis?.stop();
}
