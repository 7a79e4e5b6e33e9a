/**
 * What managed keys cost each instance (src/keyring/): the poll every `keys.pollIntervalSeconds`
 * when nothing changed (one GET), and reading a changed keyring (GET, open the AES-256-GCM seal,
 * parse, compute the keys in use), each against a Redis round trip (PING) in the same run.
 * Run alone with `npx tsx bench/keyring.ts`.
 */
import { MemoryStore } from '../adapters/memory.ts';
import { createRedisStore } from '../adapters/redis.ts';
import { parseConfig } from '../config/load.ts';
import { redisSchema } from '../config/schema.ts';
import { systemClock } from '../src/clock.ts';
import { openManagedKeys } from '../src/keyring/managed_keys.ts';
import { createLogger } from '../src/log.ts';
import { startRedisServer } from '../test/support/redis_server.ts';
import { asyncRunner, formatCost, formatOps, formatTable, measureInterleaved } from './measure.ts';

export async function benchKeyring(): Promise<string> {
  const redisServer = await startRedisServer();
  const store = await createRedisStore({ redis: redisSchema.parse({ url: redisServer.url, keyPrefix: 'bench-keyring:' }) });
  const config = parseConfig({ keys: { encryptionKey: 'bench-key-encryption-key-0123456789abcdef' } });
  const logger = createLogger('silent');
  try {
    const keys = await openManagedKeys(config, store, systemClock, logger);
    const memory = new MemoryStore();
    await openManagedKeys(config, memory, systemClock, logger);
    const results = await measureInterleaved({
      ping: asyncRunner(() => store.ping()),
      poll: asyncRunner(() => keys.refresh()),
      open: asyncRunner(() => openManagedKeys(config, store, systemClock, logger)),
      openInMemory: asyncRunner(() => openManagedKeys(config, memory, systemClock, logger)),
    });
    const ping = results.ping!.opsPerSecond;
    const rows = [
      ['PING (baseline)', formatOps(ping), '×1.00'],
      ['poll, keyring unchanged', formatOps(results.poll!.opsPerSecond), formatCost(results.poll!.opsPerSecond, ping)],
      ['read a changed keyring (unseal, parse, view)', formatOps(results.open!.opsPerSecond), formatCost(results.open!.opsPerSecond, ping)],
      ['the same on the in-memory store (no round trip)', formatOps(results.openInMemory!.opsPerSecond), formatCost(results.openInMemory!.opsPerSecond, ping)],
    ];
    await memory.close();
    return `managed keys, per instance (Redis on this machine)\n${formatTable(['operation', 'ops/s', 'cost vs PING'], rows)}`;
  } finally {
    await store.close();
    await redisServer.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchKeyring());
