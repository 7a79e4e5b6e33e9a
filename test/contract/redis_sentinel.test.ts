/**
 * The contract against a real Redis Sentinel setup started for this file (one master, two
 * sentinels), each store under its own key prefix and finding the master only through the
 * sentinels; then what Sentinel adds: the store rides out a restart of its master.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';

import { createRedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import { StoreUnavailableError } from '../../src/errors.ts';
import { deleteKeysUnder, describeWithRedisSetup, elapsedMs, uniqueKeyPrefix, waitUntilStoreAnswers } from '../support/redis.ts';
import { freePort } from '../support/redis_server.ts';
import { startRedisSentinel, type RunningRedisSentinel } from '../support/redis_sentinel.ts';
import { redisStoreContract } from './redis_store_contract.ts';

describeWithRedisSetup('RedisStore behind Redis Sentinel', () => {
  let setup: RunningRedisSentinel;
  let admin: Redis;

  const sentinelConfig = (overrides: Partial<RedisStoreConfig> = {}): RedisStoreConfig => ({
    sentinels: setup.sentinels,
    sentinelName: setup.name,
    tls: false,
    keyPrefix: uniqueKeyPrefix('sentinel'),
    commandTimeoutMs: 2000,
    ...overrides,
  });

  before(async () => {
    setup = await startRedisSentinel();
    admin = new Redis({ host: setup.master.host, port: setup.master.port });
    // It reconnects by itself after the restart test; its errors meanwhile are expected.
    admin.on('error', () => {});
  });

  after(async () => {
    admin?.disconnect();
    await setup?.stop();
  });

  redisStoreContract('redis sentinel', sentinelConfig, (prefix) => deleteKeysUnder(admin, prefix), (key, value) => admin.set(key, value), (key) => admin.pttl(key));

  describe('redis store behind sentinel', () => {
    it('finds the master through the next sentinel when the first one is down', async () => {
      const unreachable = { host: '127.0.0.1', port: await freePort() };
      const config = sentinelConfig({ sentinels: [unreachable, ...setup.sentinels] });
      const store = await createRedisStore({ redis: config });
      try {
        await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 60);
        expect(await admin.exists(`${config.keyPrefix}record:signin:interaction-1`)).to.equal(1);
      } finally {
        await deleteKeysUnder(admin, config.keyPrefix);
        await store.close();
      }
    });

    it('fails fast while its master is down and answers again through the same store once it is back', async () => {
      const config = sentinelConfig({ commandTimeoutMs: 500 });
      const store = await createRedisStore({ redis: config });
      try {
        await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 60);
        await setup.master.stop();

        const during = await elapsedMs(() => store.getRecord('signin', 'interaction-1'));
        expect(during.error).to.be.instanceOf(StoreUnavailableError);
        expect(during.ms).to.be.below(2000);
        const consume = await elapsedMs(() => store.consumeCode('interaction-1', 'code-a'));
        expect(consume.error).to.be.instanceOf(StoreUnavailableError);
        expect(consume.ms).to.be.below(2000);

        await setup.master.start();
        await waitUntilStoreAnswers(store);
        // The restarted master persisted nothing, so the record is gone; new writes land.
        expect(await store.getRecord('signin', 'interaction-1')).to.equal(undefined);
        await store.putRecord('signin', 'interaction-2', { step: 'verified' }, 60);
        expect(await store.getRecord('signin', 'interaction-2')).to.deep.equal({ step: 'verified' });
      } finally {
        await deleteKeysUnder(admin, config.keyPrefix);
        await store.close();
      }
    });
  });
});
