/**
 * The sharing policy kept in memory between changes (src/policy.ts), on a real redis-server of
 * its own: two instances' policy sources on one key prefix. While the store's watch is live a
 * decision reads no settings from Redis, and a change through either instance is what the other
 * decides with next; while the watch is not live every read goes to Redis, and fails closed
 * with it.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';

import { createRedisStore, type RedisStore } from '../../adapters/redis.ts';
import { withRequestCache } from '../../adapters/request_cache.ts';
import { policySchema } from '../../config/schema.ts';
import { systemClock } from '../../src/clock.ts';
import { StoreUnavailableError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { StorePolicySource } from '../../src/policy.ts';
import { until } from '../contract/store/fixtures.ts';
import { uniqueKeyPrefix, waitUntilStoreAnswers } from '../support/redis.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';

describe('the sharing policy kept between changes', () => {
  const initial = policySchema.parse({});
  let server: RunningRedis;
  let control: Redis;
  let stores: RedisStore[];
  let one: StorePolicySource;
  let two: StorePolicySource;

  /** GETs Redis has answered so far: reading the settings is the only GET these tests make. */
  const settingsReads = async () => Number(/cmdstat_get:calls=(\d+)/.exec(String(await control.info('commandstats')))?.[1] ?? 0);
  const source = (store: RedisStore) => new StorePolicySource({ store, initial, clock: systemClock, logger: createLogger('silent') });
  const decide = (policy: StorePolicySource) => withRequestCache(() => policy.get());

  beforeEach(async () => {
    server = await startRedisServer();
    control = new Redis(server.url);
    const redis = { url: server.url, tls: false, keyPrefix: uniqueKeyPrefix('policy-kept'), commandTimeoutMs: 500 };
    stores = await Promise.all([createRedisStore({ redis }), createRedisStore({ redis })]);
    [one, two] = stores.map(source) as [StorePolicySource, StorePolicySource];
    await until(() => stores.every((store) => store.settingsWatch().live), 'both watches to be live');
  });

  afterEach(async () => {
    await control.quit();
    await Promise.all(stores.map((store) => store.close()));
    await server.stop();
  });

  it('reads the settings once while nothing changes, and a change through one instance is what the other decides with next', async () => {
    await decide(two);
    const readsBefore = await settingsReads();
    for (let request = 0; request < 10; request += 1) expect((await decide(two)).sharingLevel).to.equal('newAndExistingGuests');
    expect(await settingsReads(), 'no read while nothing changed').to.equal(readsBefore);

    const seenByTwo = stores[1]!.settingsWatch().generation;
    expect((await one.replace({ ...initial, sharingLevel: 'existingGuests' }, 0))?.version).to.equal(1);
    await until(() => stores[1]!.settingsWatch().generation !== seenByTwo, 'the change to reach the other instance');
    expect((await decide(two)).sharingLevel).to.equal('existingGuests');

    // And back through the other instance: the one that saved decides with it at once, the first one once told.
    expect((await decide(one)).sharingLevel).to.equal('existingGuests');
    const seenByOne = stores[0]!.settingsWatch().generation;
    expect((await two.replace({ ...initial, sharingLevel: 'organizationOnly' }, 1))?.version).to.equal(2);
    expect((await decide(two)).sharingLevel).to.equal('organizationOnly');
    await until(() => stores[0]!.settingsWatch().generation !== seenByOne, 'the change to reach the first instance');
    expect(await one.current()).to.deep.include({ version: 2, policy: { ...initial, sharingLevel: 'organizationOnly' } });
  });

  it('reads Redis for every decision while the watch is not live, and fails closed while Redis is down', async () => {
    await decide(two);
    await server.pause!();
    await until(() => !stores[1]!.settingsWatch().live, 'the loss to be noticed');
    const refused = await decide(two).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused, 'nothing answered from memory while Redis is down').to.be.instanceOf(StoreUnavailableError);

    await server.resume!();
    await until(() => stores.every((store) => store.settingsWatch().live), 'both watches to subscribe again');
    await waitUntilStoreAnswers(stores[1]!);
    expect((await decide(two)).sharingLevel).to.equal('newAndExistingGuests');
  });

  it('shares one frozen policy between callers, so none can change what the next one decides with', async () => {
    await one.replace({ ...initial, domains: { block: ['blocked.example'] } }, 0);
    const policy = await decide(one);
    expect(() => policy.domains.block!.push('other.example')).to.throw(TypeError);
    expect((await decide(one)).domains.block).to.deep.equal(['blocked.example']);
  });
});
