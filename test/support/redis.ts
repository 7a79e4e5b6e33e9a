/** Where the tests' Redis is, a key prefix per suite so suites never see each other's keys, and helpers over both. */
import { randomBytes } from 'node:crypto';

import type { Redis } from 'ioredis';

import type { Store } from '../../adapters/store.ts';
import { StoreUnavailableError } from '../../src/errors.ts';

export function testRedisUrl(): string {
  const url = process.env.GUESTPASS_TEST_REDIS_URL;
  if (!url) throw new Error('the global fixtures did not start Redis (is test/support/global_fixtures.ts required by .mocharc?)');
  return url;
}

export function uniqueKeyPrefix(label = 'test'): string {
  return `gptest:${label}:${randomBytes(4).toString('hex')}:`;
}

/**
 * `describe` for a suite that starts its own Redis Cluster or Sentinel setup. A setup that
 * cannot start fails the suite with the reason; only GUESTPASS_SKIP_CLUSTER_TESTS=1 skips it,
 * and says so in its title.
 */
export function describeWithRedisSetup(title: string, suite: () => void): void {
  if (process.env.GUESTPASS_SKIP_CLUSTER_TESTS === '1') describe.skip(`${title} (skipped: GUESTPASS_SKIP_CLUSTER_TESTS=1)`, suite);
  else describe(title, suite);
}

/** The keys under `prefix` on one server, sorted (on a Cluster, ask each master). */
export async function keysUnder(node: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.toSorted();
}

/** Deletes only the keys under `prefix` on one server, one by one (on a Cluster, call it for each master). */
export async function deleteKeysUnder(node: Redis, prefix: string): Promise<void> {
  for (const key of await keysUnder(node, prefix)) await node.del(key);
}

export async function elapsedMs(action: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await action();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** Pings until the store answers again; until then every failure must be `StoreUnavailableError`. */
export async function waitUntilStoreAnswers(store: Store, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = await elapsedMs(() => store.ping());
    if (attempt.error === undefined) return;
    if (!(attempt.error instanceof StoreUnavailableError)) throw attempt.error;
    if (Date.now() > deadline) throw new Error(`the store did not answer again within ${timeoutMs} ms`, { cause: attempt.error });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
