/** The store a configuration asks for: Redis when any Redis setting is present, else in-memory. */
import { MemoryStore } from '../adapters/memory.ts';
import { createRedisStore } from '../adapters/redis.ts';
import type { Store } from '../adapters/store.ts';
import type { Config } from '../config/schema.ts';
import { auditOperations } from './audit.ts';
import type { Logger } from './log.ts';

export function usesRedis(config: Config): boolean {
  const { url, sentinels, cluster } = config.redis;
  return Boolean(url || sentinels || cluster);
}

export async function createStore(config: Config, logger: Logger): Promise<Store> {
  if (!usesRedis(config)) return new MemoryStore();
  return createRedisStore({
    redis: config.redis,
    auditOperations,
    onConnectionError: (error) => logger.warn({ err: { message: error.message } }, 'redis connection error'),
  });
}

/** Where the store is, for the start-up banner; never a password. */
export function describeStore(config: Config): string {
  const { url, sentinels, sentinelName, cluster } = config.redis;
  if (url) {
    const parsed = new URL(url);
    return `redis ${parsed.protocol}//${parsed.hostname}:${parsed.port || 6379}${parsed.pathname}`;
  }
  if (sentinels) return `redis sentinel "${sentinelName}" via ${sentinels.map((node) => `${node.host}:${node.port}`).join(', ')}`;
  if (cluster) return `redis cluster via ${cluster.map((node) => `${node.host}:${node.port}`).join(', ')}`;
  return 'in-memory (nothing survives a restart)';
}
