/**
 * The contract against the real redis-server of the global fixtures, each store under its own
 * key prefix; then what only the Redis store has: its key layout, repair of a half-written
 * person, and failing fast when Redis is away.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';

import { createRedisStore, type RedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import { StoreUnavailableError } from '../../src/errors.ts';
import { deleteKeysUnder, elapsedMs, keysUnder, testRedisUrl, uniqueKeyPrefix, waitUntilStoreAnswers } from '../support/redis.ts';
import { freePort, startRedisServer } from '../support/redis_server.ts';
import { redisStoreContract } from './redis_store_contract.ts';
import { recipient, secureLink } from './store_contract.ts';

function redisConfig(overrides: Partial<RedisStoreConfig> = {}): RedisStoreConfig {
  return { url: testRedisUrl(), tls: false, keyPrefix: uniqueKeyPrefix('contract'), commandTimeoutMs: 2000, ...overrides };
}

describe('RedisStore', () => {
  let admin: Redis;

  before(() => {
    admin = new Redis(testRedisUrl());
  });

  after(async () => {
    await admin.quit();
  });

  redisStoreContract('redis', redisConfig, (prefix) => deleteKeysUnder(admin, prefix));

  describe('redis store', () => {
    let config: RedisStoreConfig;
    let store: RedisStore;

    beforeEach(async () => {
      config = redisConfig();
      store = await createRedisStore({ redis: config });
    });

    afterEach(async () => {
      await deleteKeysUnder(admin, config.keyPrefix);
      await store.close();
    });

    it('keeps every key under the prefix, with a TTL on all but people, links and the audit log', async () => {
      const now = Date.now();
      await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-1' }, 600);
      await store.upsertModel('Grant', 'grant-1', { accountId: 'account-1' }, 600);
      await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 60);
      await store.upsertModel('DeviceCode', 'device-1', { userCode: 'ABCD', grantId: 'grant-1' }, 60);
      await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 60);
      await store.putCode('interaction-1', { codeId: 'c', email: 'ada@example.com', digest: 'd', issuedAt: now, expiresAt: now + 60_000, attempts: 0 }, 60);
      await store.incrementCounter('codes:ada@example.com', 60, now);
      await store.claimSlot('cooldown:ada@example.com', 60, now);
      await store.enqueueMail({ id: 'mail-1', sealed: 's', label: 'l', state: 'queued', attempts: 0, createdAt: now, nextAttemptAt: now, notAfter: now + 60_000 });
      await store.createPersonIfAbsent({ id: 'person-1', email: 'ada@example.com', emailNormalized: 'ada@example.com', userType: 'guest', disabled: false, groups: [], identities: [], createdAt: now });
      await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, detail: {}, result: 'success' }]);
      await store.createLink(secureLink('link-1'));

      const keys = await keysUnder(admin, config.keyPrefix);
      const names = keys.map((key) => key.slice(config.keyPrefix.length));
      expect(names).to.have.members([
        'model:Session:session-1',
        'model:Grant:grant-1',
        'model:AccessToken:token-1',
        'model:DeviceCode:device-1',
        'account:account-1',
        'grant:grant-1',
        'uid:uid-1',
        'userCode:ABCD',
        'record:signin:interaction-1',
        'code:interaction-1',
        'counter:codes:ada@example.com',
        'slot:cooldown:ada@example.com',
        '{outbox}:due',
        '{outbox}:mail:mail-1',
        'person:person-1',
        'person-email:ada@example.com',
        'audit',
        'link:link-1',
        'links:all',
        'links:client:client-1',
        'links:recipient:ada@example.com',
      ]);
      const durable = new Set([
        'person:person-1',
        'person-email:ada@example.com',
        'audit',
        'link:link-1',
        'links:all',
        'links:client:client-1',
        'links:recipient:ada@example.com',
      ]);
      for (const [index, key] of keys.entries()) {
        const ttl = await admin.pttl(key);
        if (durable.has(names[index]!)) expect(ttl, key).to.equal(-1);
        else expect(ttl, key).to.be.greaterThan(0);
      }
      // The grant index lives as long as its longest member, the account index as its longest session or grant.
      expect(await admin.pttl(`${config.keyPrefix}grant:grant-1`)).to.be.within(59_000, 60_000);
      expect(await admin.pttl(`${config.keyPrefix}account:account-1`)).to.be.within(599_000, 600_000);
    });

    it('creates the person for an address whose index was left without a person', async () => {
      // As after a crash between writing the address index and the person.
      await admin.set(`${config.keyPrefix}person-email:ada@example.com`, 'person-orphaned');
      const result = await store.createPersonIfAbsent({
        id: 'person-1',
        email: 'ada@example.com',
        emailNormalized: 'ada@example.com',
        userType: 'adhoc',
        disabled: false,
        groups: [],
        identities: [],
        createdAt: Date.now(),
      });
      expect(result.created).to.equal(true);
      expect(result.person.id).to.equal('person-orphaned');
      expect((await store.findPersonByEmail('ada@example.com'))?.id).to.equal('person-orphaned');
    });

    it('lists no link for an index entry whose link is missing, and still fills each page', async () => {
      // As after a crash between writing the index entries and the link, or a lost race to create it.
      const prefix = config.keyPrefix;
      const base = 1_700_000_000_000;
      for (const index of [0, 1, 2]) await store.createLink(secureLink(`link-${index}`, { createdAt: base + index * 10 }));
      for (const ghost of [5, 15, 25]) {
        await admin.zadd(`${prefix}links:all`, base + ghost, `ghost-${ghost}`);
        await admin.zadd(`${prefix}links:client:client-1`, base + ghost, `ghost-${ghost}`);
        await admin.zadd(`${prefix}links:recipient:ada@example.com`, 1, `ghost-${ghost}`);
      }

      for (const query of [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }]) {
        const first = await store.listLinks(query, { limit: 2 });
        expect(first.items.map((link) => link.id), JSON.stringify(query)).to.deep.equal(['link-2', 'link-1']);
        const second = await store.listLinks(query, { cursor: first.nextCursor!, limit: 2 });
        expect(second.items.map((link) => link.id), JSON.stringify(query)).to.deep.equal(['link-0']);
        expect(second.nextCursor).to.equal(null);
      }
    });

    it('scores a recipient entry with the link version that last added the address', async () => {
      // A removal unindexes only entries older than its own version, so it never undoes a later re-add.
      const key = `${config.keyPrefix}links:recipient:bob@example.com`;
      const link = secureLink('link-1');
      await store.createLink({ ...link, recipients: [recipient('bob@example.com')] });
      expect(await admin.zscore(key, 'link-1')).to.equal('1');
      await store.saveLink({ ...link, recipients: [] }, 1);
      expect(await admin.zscore(key, 'link-1')).to.equal(null);
      await store.saveLink({ ...link, recipients: [recipient('bob@example.com')] }, 2);
      expect(await admin.zscore(key, 'link-1')).to.equal('3');
      await store.saveLink({ ...link, recipients: [recipient('bob@example.com'), recipient('ada@example.com')] }, 3);
      expect(await admin.zscore(key, 'link-1')).to.equal('3');
    });

    it('passes an error reply through instead of calling the store unavailable', async () => {
      // Redis answered, so Redis is there: the fault is in the data or the code, not the connection.
      await admin.set(`${config.keyPrefix}code:interaction-1`, 'not a hash');
      const error = await store.readCode('interaction-1').then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).to.be.instanceOf(Error);
      expect(error).not.to.be.instanceOf(StoreUnavailableError);
      expect((error as Error).message).to.match(/^WRONGTYPE/);
    });

    it('keeps the audit entries with the stream ids it returned', async () => {
      const [event] = await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, detail: {}, result: 'success' }]);
      const entries = await admin.xrange(`${config.keyPrefix}audit`, '-', '+');
      expect(entries.map(([id]) => id)).to.deep.equal([event!.id]);
    });
  });

  describe('redis store when Redis is away', () => {
    it('throws StoreUnavailableError promptly from ping() and from a normal method', async () => {
      const url = `redis://127.0.0.1:${await freePort()}`;
      const started = Date.now();
      // The factory waits for the connection only up to the command timeout, then hands the store out anyway.
      const store = await createRedisStore({ redis: redisConfig({ url, commandTimeoutMs: 500 }) });
      expect(Date.now() - started).to.be.below(2000);
      try {
        const ping = await elapsedMs(() => store.ping());
        expect(ping.error).to.be.instanceOf(StoreUnavailableError);
        expect(ping.error).to.include({ status: 503, code: 'store_unavailable' });
        expect(ping.ms).to.be.below(2000);

        const consume = await elapsedMs(() => store.consumeCode('interaction-1', 'code-a'));
        expect(consume.error).to.be.instanceOf(StoreUnavailableError);
        expect(consume.ms).to.be.below(2000);

        const list = await elapsedMs(() => store.listAudit({}, { limit: 10 }));
        expect(list.error).to.be.instanceOf(StoreUnavailableError);
      } finally {
        await store.close();
      }
    });

    it('throws StoreUnavailableError after the command timeout when Redis stops answering', async () => {
      // A server of its own, so pausing it holds up no other test.
      const server = await startRedisServer();
      const store = await createRedisStore({ redis: redisConfig({ url: server.url, commandTimeoutMs: 300 }) });
      const control = new Redis(server.url);
      try {
        await store.ping();
        // Writes (scripts included) wait while the control connection can still lift the pause.
        await control.call('CLIENT', 'PAUSE', '5000', 'WRITE');
        const count = await elapsedMs(() => store.incrementCounter('codes:ada@example.com', 60, Date.now()));
        expect(count.error).to.be.instanceOf(StoreUnavailableError);
        expect(count.ms).to.be.within(250, 2000);
      } finally {
        await control.call('CLIENT', 'UNPAUSE');
        await control.quit();
        await store.close();
        await server.stop();
      }
    });

    it('fails fast while its server is down and answers again once it is back', async () => {
      const server = await startRedisServer();
      const store = await createRedisStore({ redis: redisConfig({ url: server.url, commandTimeoutMs: 500 }) });
      try {
        await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 60);
        await server.pause!();

        const during = await elapsedMs(() => store.getRecord('signin', 'interaction-1'));
        expect(during.error).to.be.instanceOf(StoreUnavailableError);
        expect(during.ms).to.be.below(2000);

        await server.resume!();
        await waitUntilStoreAnswers(store);
        await store.putRecord('signin', 'interaction-2', { step: 'verified' }, 60);
        expect(await store.getRecord('signin', 'interaction-2')).to.deep.equal({ step: 'verified' });
      } finally {
        await store.close();
        await server.stop();
      }
    });
  });
});
