/** Where the tests' Redis is, and a key prefix per suite so suites never see each other's keys. */
import { randomBytes } from 'node:crypto';

export function testRedisUrl(): string {
  const url = process.env.GUESTPASS_TEST_REDIS_URL;
  if (!url) throw new Error('the global fixtures did not start Redis (is test/support/global_fixtures.ts required by .mocharc?)');
  return url;
}

export function uniqueKeyPrefix(label = 'test'): string {
  return `gptest:${label}:${randomBytes(4).toString('hex')}:`;
}
