/**
 * The contract against a real three-master Redis Cluster started for this file, each store
 * under its own key prefix; then what only a Cluster shows: the keys of a step that touches
 * several keys at once share a slot, and everything else spreads over the masters.
 */
import { expect } from 'chai';
import { Cluster } from 'ioredis';

import { createRedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import { deleteKeysUnder, describeWithRedisSetup, keysUnder, uniqueKeyPrefix } from '../support/redis.ts';
import { startRedisCluster, type RunningRedisCluster } from '../support/redis_cluster.ts';
import { redisStoreContract } from './redis_store_contract.ts';

describeWithRedisSetup('RedisStore on a Redis Cluster', () => {
  let cluster: RunningRedisCluster;
  let admin: Cluster;

  const clusterConfig = (): RedisStoreConfig => ({ cluster: cluster.nodes, tls: false, keyPrefix: uniqueKeyPrefix('cluster'), commandTimeoutMs: 2000 });

  /** A key lives on the master that owns its slot, so every master is searched. */
  const deleteKeysOnEveryMaster = (prefix: string) => Promise.all(admin.nodes('master').map((node) => deleteKeysUnder(node, prefix)));

  before(async () => {
    cluster = await startRedisCluster();
    admin = new Cluster(cluster.nodes);
    // Answers once the client has the slot map, and so knows every master.
    await admin.ping();
  });

  after(async () => {
    await admin?.quit();
    await cluster?.stop();
  });

  redisStoreContract('redis cluster', clusterConfig, deleteKeysOnEveryMaster, (key, value) => admin.set(key, value), (key) => admin.pttl(key));

  describe('redis store on a cluster', () => {
    it('keeps the audit stream and every audit index in the stream\'s slot', async () => {
      const config = clusterConfig();
      const store = await createRedisStore({ redis: config });
      try {
        await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, sharingId: 'link-{1}', detail: { email: 'ada@example.com', clientId: 'rp' }, result: 'success' }]);
        const keys = (await Promise.all(admin.nodes('master').map((node) => keysUnder(node, config.keyPrefix)))).flat();
        const audit = keys.filter((key) => key.startsWith(`${config.keyPrefix}audit`));
        expect(audit).to.have.length(7);
        const slots = new Set(await Promise.all(audit.map((key) => admin.call('CLUSTER', 'KEYSLOT', key))));
        expect(slots.size).to.equal(1);
        expect((await store.listAudit({ sharingId: 'link-{1}' }, { limit: 10 })).items).to.have.length(1);
      } finally {
        await store.close();
        await deleteKeysOnEveryMaster(config.keyPrefix);
      }
    });

    it('keeps the outbox keys of one atomic step in one slot and spreads the other keys over every master', async () => {
      const config = clusterConfig();
      const store = await createRedisStore({ redis: config });
      try {
        const now = Date.now();
        const ids = Array.from({ length: 30 }, (_, index) => index);
        await Promise.all(
          ids.map((index) =>
            store.enqueueMail({ id: `mail-${index}`, sealed: 's', label: 'l', state: 'queued', attempts: 0, createdAt: now, nextAttemptAt: now, notAfter: now + 60_000 }),
          ),
        );
        // Claiming and completing read and write the due set and the mail hashes in one script each.
        expect(await store.claimDueMail(now, 30_000, 30)).to.have.length(30);
        // A third sent (forgotten), a third given up (kept, without the body), a third still in flight.
        await Promise.all(ids.filter((index) => index % 3 === 0).map((index) => store.completeMail(`mail-${index}`, { state: 'sent', at: now })));
        await Promise.all(ids.filter((index) => index % 3 === 1).map((index) => store.completeMail(`mail-${index}`, { state: 'failed', error: '550 no such user' })));
        await Promise.all(
          ids.flatMap((index) => [
            store.upsertModel('Session', `session-${index}`, { uid: `uid-${index}`, accountId: `account-${index}` }, 600),
            store.createPersonIfAbsent({
              version: 1,
              id: `person-${index}`,
              email: `person-${index}@example.com`,
              emailNormalized: `person-${index}@example.com`,
              userType: 'guest',
              disabled: false,
              groups: [],
              identities: [],
              createdAt: now,
            }),
          ]),
        );

        const keysByMaster = await Promise.all(admin.nodes('master').map((node) => keysUnder(node, config.keyPrefix)));
        const keys = keysByMaster.flat();
        const slotOf = async (key: string) => Number(await admin.call('CLUSTER', 'KEYSLOT', key));

        const outboxKeys = keys.filter((key) => key.startsWith(`${config.keyPrefix}{outbox}:`));
        expect(outboxKeys, '20 mails and the due set').to.have.length(21);
        expect(new Set(await Promise.all(outboxKeys.map(slotOf))).size).to.equal(1);
        expect(keysByMaster.filter((onMaster) => onMaster.some((key) => key.includes('{outbox}')))).to.have.length(1);

        // sessions, uids, accounts, people and their address index (150 keys), and the one listing of people.
        const otherKeys = keys.filter((key) => !key.includes('{outbox}'));
        expect(otherKeys).to.have.length(151);
        expect(new Set(await Promise.all(otherKeys.map(slotOf))).size).to.be.greaterThan(100);
        expect(keysByMaster).to.have.length(3);
        for (const onMaster of keysByMaster) expect(onMaster.length).to.be.greaterThan(0);
      } finally {
        await deleteKeysOnEveryMaster(config.keyPrefix);
        await store.close();
      }
    });
  });
});
