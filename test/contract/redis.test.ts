/**
 * The contract against the real redis-server of the global fixtures, each store under its own
 * key prefix; then what only the Redis store has: its key layout, repair of a half-written
 * person, and failing fast when Redis is away.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';

import { createRedisStore, type RedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import { CorruptRecordError } from '../../adapters/errors.ts';
import { oidcAdapterFor } from '../../adapters/oidc_adapter.ts';
import { withRequestCache } from '../../adapters/request_cache.ts';
import type { FederatedIdentity } from '../../adapters/store.ts';
import { auditOperations } from '../../src/audit.ts';
import { StoreUnavailableError } from '../../src/errors.ts';
import { deleteKeysUnder, elapsedMs, keysUnder, testRedisUrl, uniqueKeyPrefix, waitUntilStoreAnswers } from '../support/redis.ts';
import { freePort, startRedisServer } from '../support/redis_server.ts';
import { redisStoreContract } from './redis_store_contract.ts';
import { person, recipient, secureLink } from './store_contract.ts';
import { until } from './store/fixtures.ts';

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

  redisStoreContract('redis', redisConfig, (prefix) => deleteKeysUnder(admin, prefix), (key, value) => admin.set(key, value), (key) => admin.pttl(key));

  describe('redis store', () => {
    let config: RedisStoreConfig;
    let store: RedisStore;

    const work = (subject: string): FederatedIdentity => ({ issuer: 'https://login.contoso.example/v2.0', subject });
    const identityKey = (identity: FederatedIdentity) => `${config.keyPrefix}person-identity:${JSON.stringify([identity.issuer, identity.subject])}`;

    beforeEach(async () => {
      config = redisConfig();
      store = await createRedisStore({ redis: config, auditOperations });
    });

    afterEach(async () => {
      await deleteKeysUnder(admin, config.keyPrefix);
      await store.close();
    });

    it('keeps every key under the prefix, with a TTL on all but people, links, the settings and the audit log', async () => {
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
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.linkIdentity('person-1', { issuer: 'https://login.example.com', subject: 'sub-1' }, 1);
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      await store.deletePerson('person-2');
      await store.saveSettings({ sharingLevel: 'existingGuests' }, now, undefined);
      await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, detail: {}, result: 'success' }]);
      await store.createLink(secureLink('link-1'));
      await store.indexLinkGrant('link-1', 'grant-1', 600);
      await store.scheduleLinkCheck('link-1', now + 60_000);

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
        'person-identity:["https://login.example.com","sub-1"]',
        'person-deleted:bob@example.com',
        'people:by-email',
        'settings',
        'audit',
        `audit-by:{${config.keyPrefix}audit}:term:operation:SignedIn`,
        `audit-by:{${config.keyPrefix}audit}:indexes`,
        `audit-by:{${config.keyPrefix}audit}:start`,
        'link:link-1',
        'links:all',
        'links:client:client-1',
        'links:recipient:ada@example.com',
        'links:checks',
        'link-grants:link-1',
      ]);
      const durable = new Set([
        'person:person-1',
        'person-email:ada@example.com',
        'person-identity:["https://login.example.com","sub-1"]',
        'person-deleted:bob@example.com',
        'people:by-email',
        'settings',
        'audit',
        `audit-by:{${config.keyPrefix}audit}:term:operation:SignedIn`,
        `audit-by:{${config.keyPrefix}audit}:indexes`,
        `audit-by:{${config.keyPrefix}audit}:start`,
        'link:link-1',
        'links:all',
        'links:client:client-1',
        'links:recipient:ada@example.com',
        'links:checks',
      ]);
      for (const [index, key] of keys.entries()) {
        const ttl = await admin.pttl(key);
        if (durable.has(names[index]!)) expect(ttl, key).to.equal(-1);
        else expect(ttl, key).to.be.greaterThan(0);
      }
      // The grant index lives as long as its longest member, the account index as its longest session or grant.
      expect(await admin.pttl(`${config.keyPrefix}grant:grant-1`)).to.be.within(59_000, 60_000);
      expect(await admin.pttl(`${config.keyPrefix}account:account-1`)).to.be.within(599_000, 600_000);
      expect(await admin.pttl(`${config.keyPrefix}link-grants:link-1`)).to.be.within(599_000, 600_000);
      // People are listed by address: every score 0, members "<address> NUL <id>", read with ZRANGEBYLEX.
      expect(await admin.zrange(`${config.keyPrefix}people:by-email`, '0', '-1', 'WITHSCORES')).to.deep.equal(['ada@example.com\u0000person-1', '0']);
      expect(await admin.get(`${config.keyPrefix}person-deleted:bob@example.com`)).to.equal('person-2');
    });

    it('creates the person for an address whose index was left without a person', async () => {
      // As after a crash between writing the address index and the person.
      await admin.set(`${config.keyPrefix}person-email:ada@example.com`, 'person-orphaned');
      const result = await store.createPersonIfAbsent({
        version: 1,
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
      expect(result.person).to.deep.include({ id: 'person-orphaned', version: 1 });
      expect((await store.findPersonByEmail('ada@example.com'))?.id).to.equal('person-orphaned');
    });

    it('creates one person, under the id a left-over index names, among 10 parallel calls', async () => {
      await admin.set(`${config.keyPrefix}person-email:ada@example.com`, 'person-orphaned');
      const results = await Promise.all(Array.from({ length: 10 }, (_, index) => store.createPersonIfAbsent(person(`person-${index}`, 'ada@example.com'))));
      expect(results.filter((result) => result.created)).to.have.length(1);
      for (const result of results) expect(result.person).to.deep.include({ id: 'person-orphaned', version: 1 });
      expect((await store.listPeople({}, { limit: 10 })).items.map((entry) => entry.id)).to.deep.equal(['person-orphaned']);
    });

    it('never gives a deleted person\'s id to the next person with the address, even when the deletion stopped half-way', async () => {
      const prefix = config.keyPrefix;
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.linkIdentity('person-1', work('ada'), 1);
      // As after a crash in deletePerson between deleting the person and their index entries.
      await admin.set(`${prefix}person-deleted:ada@example.com`, 'person-1');
      await admin.del(`${prefix}person:person-1`);
      expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
      expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: undefined, deleted: true });
      expect(await store.findPersonByEmail('ada@example.com')).to.equal(undefined);
      expect(await store.findPersonByIdentity(work('ada').issuer, 'ada')).to.equal(undefined);
      expect(await store.listPeople({}, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });

      const result = await store.createPersonIfAbsent(person('person-2', 'ada@example.com'));

      expect(result).to.deep.equal({ person: person('person-2', 'ada@example.com'), created: true });
      expect(await admin.get(`${prefix}person-email:ada@example.com`)).to.equal('person-2');
      expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
      expect(await admin.exists(`${prefix}person-deleted:ada@example.com`)).to.equal(0);
      expect((await store.listPeople({}, { limit: 10 })).items.map((entry) => entry.id)).to.deep.equal(['person-2']);
      // The identity entry the deletion left is taken over by the next person to link it.
      expect(await store.linkIdentity('person-2', work('ada'), 1)).to.deep.include({ outcome: 'linked' });
      expect(await admin.get(`${prefix}person-identity:${JSON.stringify([work('ada').issuer, 'ada'])}`)).to.equal('person-2');
    });

    it('does not count a deletion mark while a person still has the address', async () => {
      // As after a crash between marking and deleting, or between creating a person and unmarking.
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await admin.set(`${config.keyPrefix}person-deleted:ada@example.com`, 'person-0');
      expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
      expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: await store.getPerson('person-1'), deleted: false });
      await store.deletePerson('person-1');
      expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
    });

    it('finds no one by an identity entry whose person is gone or does not hold the identity', async () => {
      // As after a crash in deletePerson, or between claiming an identity and saving the person with it.
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await admin.set(identityKey(work('ghost')), 'person-ghost');
      await admin.set(identityKey(work('claimed')), 'person-1');
      expect(await store.findPersonByIdentity(work('ghost').issuer, 'ghost')).to.equal(undefined);
      expect(await store.findPersonByIdentity(work('claimed').issuer, 'claimed')).to.equal(undefined);
    });

    it('takes over an identity entry whose person is gone, and links through one that already names the person', async () => {
      const other = { issuer: 'https://accounts.example.org', subject: 'ada' };
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await admin.set(identityKey(work('ghost')), 'person-ghost');
      // As after a crash between this person's own claim and their save.
      await admin.set(identityKey(other), 'person-1');

      expect(await store.linkIdentity('person-1', work('ghost'), 1)).to.deep.include({ outcome: 'linked' });
      expect(await admin.get(identityKey(work('ghost')))).to.equal('person-1');
      expect(await store.linkIdentity('person-1', other, 2)).to.deep.include({ outcome: 'linked' });
      expect(await store.getPerson('person-1')).to.deep.include({ version: 3, identities: [work('ghost'), other] });
      expect((await store.findPersonByIdentity(other.issuer, other.subject))?.id).to.equal('person-1');
    });

    it('answers taken for an identity entry naming another person who is still linking it', async () => {
      // Taking the entry over would let both links succeed: the other person's save may be on its way.
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      await admin.set(identityKey(work('shared')), 'person-2');
      expect(await store.linkIdentity('person-1', work('shared'), 1)).to.deep.equal({ outcome: 'taken', personId: 'person-2' });
      expect(await store.getPerson('person-1')).to.deep.include({ version: 1, identities: [] });
      expect(await admin.get(identityKey(work('shared')))).to.equal('person-2');
    });

    it('lists no person for a listing entry whose person is missing or has another address, and still fills each page', async () => {
      // As after a crash between writing the listing entry and the person, or in deletePerson.
      const listing = `${config.keyPrefix}people:by-email`;
      for (const [index, address] of ['a@example.com', 'c@example.com', 'e@example.com'].entries()) await store.createPersonIfAbsent(person(`person-${index}`, address));
      await admin.zadd(listing, 0, 'b@example.com\u0000person-ghost', 0, 'd@example.com\u0000person-0', 0, 'f@example.com\u0000person-ghost');

      for (const query of [{}, { emailPrefix: '' }, { userType: 'guest' as const }]) {
        const first = await store.listPeople(query, { limit: 2 });
        expect(first.items.map((entry) => entry.emailNormalized), JSON.stringify(query)).to.deep.equal(['a@example.com', 'c@example.com']);
        const second = await store.listPeople(query, { cursor: first.nextCursor!, limit: 2 });
        expect(second, JSON.stringify(query)).to.deep.equal({ items: [person('person-2', 'e@example.com')], nextCursor: null });
      }
      expect((await store.listPeople({ emailPrefix: 'd' }, { limit: 2 })).items).to.deep.equal([]);
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

    it('refuses what it did not write with a CorruptRecordError naming the record, never a wrong value', async () => {
      const prefix = config.keyPrefix;
      const now = Date.now();
      const corrupt = async (read: Promise<unknown>, named: RegExp) => {
        const error = await read.then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
        expect(error, String(named)).to.be.instanceOf(CorruptRecordError);
        expect(error).to.include({ code: 'corrupt_record' });
        expect((error as Error).message).to.match(named);
      };
      await admin.set(`${prefix}person:person-1`, JSON.stringify({ ...person('person-1', 'ada@example.com'), version: 'two' }));
      await corrupt(store.getPerson('person-1'), /person person-1 is corrupt: version/);
      await admin.set(`${prefix}link:link-1`, '{"version":');
      await corrupt(store.getLink('link-1'), /link link-1 is corrupt: not JSON/);
      await store.putCode('interaction-1', { codeId: 'c', email: 'ada@example.com', digest: 'd', issuedAt: now, expiresAt: now + 60_000, attempts: 0 }, 60);
      await admin.hdel(`${prefix}code:interaction-1`, 'digest');
      const limits = { counter: { key: 'failures:ada@example.com', windowSeconds: 60 }, lockout: { key: 'lockout:ada@example.com', ttlSeconds: 60, lockAt: 5 } };
      await corrupt(store.countCodeEntry('interaction-1', limits, now), /code of interaction interaction-1 is corrupt: digest/);
      await admin.hset(`${prefix}code:interaction-1`, 'digest', 'd', 'attempts', 'many');
      await corrupt(store.readCode('interaction-1'), /attempts/);
      await store.enqueueMail({ id: 'mail-1', sealed: 's', label: 'l', state: 'queued', attempts: 0, createdAt: now, nextAttemptAt: now, notAfter: now + 60_000 });
      await admin.hset(`${prefix}{outbox}:mail:mail-1`, 'state', 'lost');
      await corrupt(store.getMail('mail-1'), /mail mail-1 is corrupt: state/);
      await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, detail: {}, result: 'success' }]);
      await admin.xadd(`${prefix}audit`, '*', 'event', JSON.stringify({ time: new Date().toISOString(), operation: 'Teleported', actor: { type: 'system', id: 'test' }, detail: {}, result: 'success' }));
      await corrupt(store.listAudit({}, { limit: 10 }), /audit entry \d+-\d+ is corrupt: operation/);
      await admin.set(`${prefix}settings`, JSON.stringify({ version: 1, updatedAt: now }));
      await corrupt(store.getSettings(), /settings is corrupt: value/);
      await admin.set(`${prefix}slot:cooldown:ada@example.com`, 'soon');
      await corrupt(store.peekSlot('cooldown:ada@example.com', now), /slot is corrupt/);
    });

    it('a record beside an entry that is not JSON: findModelWithRecord refuses it, the oidc adapter still finds the entry', async () => {
      const prefix = config.keyPrefix;
      await store.upsertModel('Interaction', 'interaction-1', { uid: 'interaction-1' }, 60);
      await admin.set(`${prefix}record:signin:interaction-1`, '{"version":');
      const error = await store.findModelWithRecord('Interaction', 'interaction-1', { namespace: 'signin', id: 'interaction-1' }).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect((error as Error).message).to.match(/signin record is corrupt/);
      const Adapter = oidcAdapterFor(store, { recordsBeside: { Interaction: 'signin' } });
      expect(await withRequestCache(() => new Adapter('Interaction').find('interaction-1'))).to.deep.equal({ uid: 'interaction-1' });
    });

    it('keeps a field it does not know through a read and a save, as a newer instance may have written it', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      const key = `${config.keyPrefix}person:person-1`;
      await admin.set(key, JSON.stringify({ ...JSON.parse((await admin.get(key))!), pronouns: 'she/her' }));
      const read = await store.getPerson('person-1');
      expect(read).to.deep.include({ pronouns: 'she/her' });
      expect(await store.savePerson({ ...read!, displayName: 'Ada' }, 1)).to.equal(true);
      expect(JSON.parse((await admin.get(key))!)).to.deep.include({ pronouns: 'she/her', displayName: 'Ada', version: 2 });
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

    it('saves the settings announced or not at all: a user the ACL keeps off the channel changes nothing', async () => {
      // Instances that can subscribe keep the settings in memory until told of a save: a save
      // that lands without its message (the ACL of the user saving refuses the channel) would
      // stay unseen by them. Redis 7 gives a new ACL user no channel unless told.
      const user = `gp-nochannel-${process.pid}-${Date.now()}`;
      await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '+@all', 'resetchannels');
      const reported: string[] = [];
      const limited = await createRedisStore({ redis: { ...config, username: user, password: 'secret' }, auditOperations, onConnectionError: (error) => reported.push(error.message) });
      try {
        // Its watch is refused the channel: the operator is told once, naming the ACL, and the
        // watch keeps retrying without telling again.
        const watch = limited.settingsWatch();
        await until(() => reported.length > 0, 'the refused subscription to be reported');
        await delay(400);
        expect(reported).to.have.length(1);
        expect(reported[0]).to.match(/NOPERM/).and.to.include(`ACL &${config.keyPrefix}settings:changed`);
        expect(watch.live).to.equal(false);
        expect(await store.saveSettings({ sharingLevel: 'strict' }, 1, undefined)).to.equal(true);
        const refused = await limited.saveSettings({ sharingLevel: 'open' }, 2, 1).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused, 'the save is refused').to.be.instanceOf(Error);
        expect(await store.getSettings()).to.deep.include({ version: 1, value: { sharingLevel: 'strict' } });
      } finally {
        await limited.close();
        await admin.call('ACL', 'DELUSER', user);
      }
    });

    it('still finds audit events written before the indexes existed, by reading the stream', async () => {
      const legacy = { time: new Date().toISOString(), operation: 'GuestInvited', actor: { type: 'system' as const, id: 'test' }, sharingId: 'link-1', detail: { email: 'ada@example.com' }, result: 'success' as const };
      await admin.xadd(`${config.keyPrefix}audit`, '*', 'event', JSON.stringify(legacy));
      await delay(2);
      const since = Date.now();
      await store.appendAudit([{ ...legacy, time: new Date(since).toISOString(), operation: 'SignedIn' }]);
      const operations = async (query: Parameters<typeof store.listAudit>[0]) => (await store.listAudit(query, { limit: 10 })).items.map((event) => event.operation);
      expect(await operations({ sharingId: 'link-1' })).to.deep.equal(['GuestInvited', 'SignedIn']);
      expect(await operations({ email: 'ada@example.com', since })).to.deep.equal(['SignedIn']);
      expect((await store.listAuditNewestFirst({ email: 'ada@example.com' }, { limit: 10 })).items.map((event) => event.operation)).to.deep.equal(['SignedIn', 'GuestInvited']);
      // Once retention has trimmed the older events, the indexes answer alone.
      await store.trimAudit(since);
      expect(await operations({ sharingId: 'link-1' })).to.deep.equal(['SignedIn']);
    });

    it('trimAudit deletes the index keys it empties and keeps the others', async () => {
      const old = Date.now() - 60_000;
      await store.appendAudit([{ time: new Date(old).toISOString(), operation: 'GuestInvited', actor: { type: 'system', id: 'test' }, sharingId: 'link-1', detail: {}, result: 'success' }]);
      await store.appendAudit([{ time: new Date().toISOString(), operation: 'SignedIn', actor: { type: 'system', id: 'test' }, sharingId: 'link-1', detail: {}, result: 'success' }]);
      await store.trimAudit(old + 1);
      const names = (await keysUnder(admin, config.keyPrefix)).map((key) => key.slice(config.keyPrefix.length)).filter((name) => name.startsWith('audit-by:'));
      const tag = `audit-by:{${config.keyPrefix}audit}:`;
      expect(names).to.have.members([`${tag}term:operation:SignedIn`, `${tag}term:sharingId:link-1`, `${tag}indexes`, `${tag}start`]);
      expect(await admin.zrange(`${config.keyPrefix}${tag}indexes`, '0', '-1')).to.have.members([`${config.keyPrefix}${tag}term:operation:SignedIn`, `${config.keyPrefix}${tag}term:sharingId:link-1`]);
      expect(await admin.zcard(`${config.keyPrefix}${tag}term:sharingId:link-1`)).to.equal(1);
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
        expect(ping.error).to.include({ code: 'store_unavailable' });
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

    it('does not trust its settings watch while the subscription is lost or Redis is down, and subscribes again', async () => {
      const server = await startRedisServer();
      const redis = redisConfig({ url: server.url, commandTimeoutMs: 500 });
      const [a, b] = await Promise.all([createRedisStore({ redis }), createRedisStore({ redis })]);
      const control = new Redis(server.url);
      try {
        const watch = b.settingsWatch();
        await until(() => watch.live, 'the watch to be live');

        // The subscription alone is cut: not live (nothing published now can reach it), then subscribed again.
        const beforeKill = watch.generation;
        await control.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        await until(() => !watch.live, 'the lost subscription to be noticed');
        expect(watch.generation).to.not.equal(beforeKill);
        await until(() => watch.live, 'the watch to subscribe again');
        const seen = watch.generation;
        await a.saveSettings({ sharingLevel: 'existingGuests' }, Date.now(), undefined);
        await until(() => watch.generation !== seen, 'a save to reach the new subscription');

        // Redis down: not live, and reading the settings fails (closed) instead of answering from memory.
        await server.pause!();
        await until(() => !watch.live, 'the loss to be noticed');
        expect(await b.getSettings().then(() => undefined, (error: unknown) => error)).to.be.instanceOf(StoreUnavailableError);
        await server.resume!();
        await until(() => watch.live, 'the watch to subscribe once Redis is back');
      } finally {
        await control.quit();
        await Promise.all([a.close(), b.close()]);
        await server.stop();
      }
    });

    it('answers each command of one turn with its own reply, on its first connection and on the one that replaced it', async () => {
      // Commands issued in one turn share a socket write (write_coalescing.ts); a new socket after
      // a reconnect must be written the same way, and never left holding what it was given.
      const server = await startRedisServer();
      const store = await createRedisStore({ redis: redisConfig({ url: server.url }) });
      const control = new Redis(server.url);
      const burst = async (round: string) => {
        const ids = Array.from({ length: 40 }, (_, index) => index);
        await Promise.all(ids.map((index) => store.putRecord('signin', `${round}-${index}`, { index }, 60)));
        expect(await Promise.all(ids.map((index) => store.getRecord('signin', `${round}-${index}`)))).to.deep.equal(ids.map((index) => ({ index })));
      };
      try {
        await burst('first');
        await control.call('CLIENT', 'KILL', 'TYPE', 'normal');
        await waitUntilStoreAnswers(store);
        await burst('after');
      } finally {
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
