/**
 * The store calls on the hot paths of a sign-in, on the in-memory store and on the Redis store
 * (a private redis-server on a free port, never one already running): one call at a time, and
 * for Redis also with many calls in flight, as several parallel requests would have.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { MemoryStore } from '../adapters/memory.ts';
import { createRedisStore } from '../adapters/redis.ts';
import type { AuditEvent, OidcPayload, Store, StoredCode } from '../adapters/store.ts';
import { redisSchema } from '../config/schema.ts';
import { startRedisServer, type RunningRedis } from '../test/support/redis_server.ts';
import { asyncRunner, formatCost, formatOps, formatTable, measureInterleaved, type RoundRunner } from './measure.ts';

export const concurrency = 50;

interface StoreOperation {
  name: string;
  run(store: Store, worker: number, sequence: number): Promise<unknown>;
}

const tag = randomBytes(4).toString('hex');

function storedCode(sequence: number): StoredCode {
  const now = Date.now();
  return { codeId: `c${sequence}`, email: 'guest@example.com', digest: randomBytes(32).toString('base64url'), issuedAt: now, expiresAt: now + 600_000, attempts: 0 };
}

const accessToken = (id: string): OidcPayload => ({
  jti: id,
  kind: 'AccessToken',
  accountId: `acct-${tag}`,
  grantId: `grant-${tag}`,
  clientId: 'rp',
  scope: 'openid email profile',
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 3600,
  claims: { id_token: { email: null } },
});

const auditEvent: Omit<AuditEvent, 'id'> = {
  time: new Date().toISOString(),
  operation: 'VerificationCodeRejected',
  actor: { type: 'anonymous', id: '203.0.113.7' },
  detail: { email: 'guest@example.com', attempts: 2 },
  ip: '203.0.113.7',
  userAgent: 'bench',
  result: 'failure',
};

const ping: StoreOperation = { name: 'ping (baseline)', run: (store) => store.ping() };

export const storeOperations: StoreOperation[] = [
  ping,
  {
    name: 'code: put, countCodeEntry, consumeCode',
    async run(store, worker, sequence) {
      const uid = `i-${tag}-${worker}-${sequence}`;
      const code = storedCode(sequence);
      await store.putCode(uid, code, 600);
      // The address's count and lockout too, as an entered code is counted (never locks: one entry per address).
      const address = `${uid}@example.com`;
      await store.countCodeEntry(uid, { counter: { key: `failures:${address}`, windowSeconds: 600 }, lockout: { key: `lockout:${address}`, ttlSeconds: 600, lockAt: 5 } }, Date.now());
      if (!(await store.consumeCode(uid, code.codeId))) throw new Error('consumeCode refused the current code');
    },
  },
  { name: 'incrementCounter', run: (store, worker, sequence) => store.incrementCounter(`codes:${worker}:${sequence % 100}`, 3600, Date.now()) },
  {
    name: 'upsertModel + findModel',
    async run(store, worker, sequence) {
      const id = `at-${tag}-${worker}-${sequence % 1000}`;
      await store.upsertModel('AccessToken', id, accessToken(id), 3600);
      if (!(await store.findModel('AccessToken', id))) throw new Error('findModel missed the entry just stored');
    },
  },
  { name: 'appendAudit (1 event)', run: (store) => store.appendAudit([auditEvent]) },
  // What a sign-in for a link adds (one index entry), and what removing someone adds around the change.
  { name: 'indexLinkGrant', run: (store, worker, sequence) => store.indexLinkGrant(`link-${tag}-${sequence % 100}`, `grant-${worker}-${sequence}`, 3600) },
  {
    name: 'scheduleLinkCheck + finishLinkCheck',
    async run(store, worker, sequence) {
      const id = `link-${tag}-${worker}-${sequence % 100}`;
      const at = Date.now();
      await store.scheduleLinkCheck(id, at);
      await store.finishLinkCheck(id, at, undefined);
    },
  },
];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

export async function benchStoreOperations(): Promise<string> {
  let redisServer: RunningRedis | undefined;
  let redisStore: Store | undefined;
  let note = '';
  if (onPath('redis-server')) {
    try {
      redisServer = await startRedisServer();
      redisStore = await createRedisStore({ redis: redisSchema.parse({ url: redisServer.url, keyPrefix: `bench:${tag}:` }) });
      await redisStore.ping();
    } catch (error) {
      note = `\n(Redis skipped: ${(error as Error).message})`;
      await redisStore?.close().catch(() => {});
      await redisServer?.stop();
      redisStore = undefined;
      redisServer = undefined;
    }
  } else {
    note = '\n(Redis skipped: redis-server is not on PATH)';
  }

  const rows: string[][] = [];
  try {
    for (const operation of storeOperations) {
      // A fresh memory store per operation, so what one benchmark left behind cannot slow the next.
      const memoryStore = new MemoryStore();
      const runners: Record<string, RoundRunner> = { memory: asyncRunner((worker, sequence) => operation.run(memoryStore, worker, sequence)) };
      const store = redisStore;
      if (store) {
        // Redis's own round trip, measured alongside each operation as its baseline.
        if (operation !== ping) runners.ping = asyncRunner((worker, sequence) => ping.run(store, worker, sequence));
        runners.redis = asyncRunner((worker, sequence) => operation.run(store, worker, sequence));
        runners.redisParallel = asyncRunner((worker, sequence) => operation.run(store, worker, sequence), concurrency);
      }
      const { memory, redis, redisParallel, ping: pingBaseline = redis } = await measureInterleaved(runners);
      await memoryStore.close();
      rows.push([
        operation.name,
        formatOps(memory!.opsPerSecond),
        redis ? formatOps(redis.opsPerSecond) : '-',
        redis ? formatCost(redis.opsPerSecond, memory!.opsPerSecond) : '-',
        redis && pingBaseline ? formatCost(redis.opsPerSecond, pingBaseline.opsPerSecond) : '-',
        redisParallel ? formatOps(redisParallel.opsPerSecond) : '-',
        redis && redisParallel ? formatCost(redis.opsPerSecond, redisParallel.opsPerSecond) : '-',
      ]);
    }
  } finally {
    await redisStore?.close();
    await redisServer?.stop();
  }
  return (
    formatTable(
      ['store operation', 'memory ops/s', 'redis ops/s', 'redis/memory', 'redis/ping', `redis ×${concurrency} ops/s`, `×${concurrency} gain`],
      rows,
    ) + note
  );
}
