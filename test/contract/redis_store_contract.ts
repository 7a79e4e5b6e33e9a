/**
 * The store contract on RedisStores, for each Redis setup (one server, Cluster, Sentinel): every
 * store gets a fresh config (so its own key prefix) and afterwards only its keys are deleted.
 */
import { expect } from 'chai';

import { createRedisStore, type RedisStore, type RedisStoreConfig } from '../../adapters/redis.ts';
import type { Store } from '../../adapters/store.ts';
import { storeContract } from './store_contract.ts';
import { until } from './store/fixtures.ts';

/** Runs `test` with a store of its own (its own key prefix), then closes it and deletes its keys. */
type WithStore = (test: (store: RedisStore, keyPrefix: string) => Promise<void>) => Promise<void>;

function withStoreOf(config: () => RedisStoreConfig, deleteKeysUnder: (prefix: string) => Promise<unknown>): WithStore {
  return async (test) => {
    const redis = config();
    const store = await createRedisStore({ redis });
    try {
      await test(store, redis.keyPrefix);
    } finally {
      await store.close();
      await deleteKeysUnder(redis.keyPrefix);
    }
  };
}

/**
 * `plant` writes a raw string under a key (a client of the setup's own, outside any store): what a
 * corrupt or foreign entry looks like to the store.
 */
export function redisStoreContract(
  name: string,
  config: () => RedisStoreConfig,
  deleteKeysUnder: (prefix: string) => Promise<unknown>,
  plant: (key: string, value: string) => Promise<unknown>,
  pttl: (key: string) => Promise<number>,
): void {
  const prefixes = new WeakMap<Store, string>();
  storeContract(
    name,
    async () => {
      const redis = config();
      const store = await createRedisStore({ redis });
      prefixes.set(store, redis.keyPrefix);
      return store;
    },
    async (store) => {
      await deleteKeysUnder(prefixes.get(store)!);
      await store.close();
    },
  );
  settingsWatchContract(name, config, deleteKeysUnder);
  unreadableEntryContract(name, withStoreOf(config, deleteKeysUnder), plant);
  expiriesContract(name, withStoreOf(config, deleteKeysUnder), pttl);
}

/**
 * The expiries the store's steps leave, read with PTTL (-1: none): an entry has its latest
 * upsert's, an index set its longest member's (for ever once one member has none).
 */
function expiriesContract(name: string, withStore: WithStore, pttl: (key: string) => Promise<number>): void {
  describe(`${name}: expiries`, () => {
    it('an oidc entry takes the expiry of its latest upsert, none included, and an index set the longest of its members', () =>
      withStore(async (store, keyPrefix) => {
        const ttlOf = async (key: string) => {
          const ms = await pttl(`${keyPrefix}${key}`);
          return ms < 0 ? ms : Math.ceil(ms / 1000);
        };
        await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-1' }, 600);
        expect([await ttlOf('model:Session:session-1'), await ttlOf('account:account-1'), await ttlOf('uid:uid-1')]).to.deep.equal([600, 600, 600]);
        // A shorter member keeps the set's longer expiry; a longer one extends it.
        await store.upsertModel('Grant', 'grant-1', { accountId: 'account-1' }, 60);
        expect(await ttlOf('account:account-1')).to.equal(600);
        await store.upsertModel('Session', 'session-2', { accountId: 'account-1' }, 1200);
        expect(await ttlOf('account:account-1')).to.equal(1200);
        // A member without expiry makes the set last for ever, and later members leave it so.
        await store.upsertModel('Grant', 'grant-2', { accountId: 'account-1' }, undefined);
        expect([await ttlOf('account:account-1'), await ttlOf('model:Grant:grant-2')]).to.deep.equal([-1, -1]);
        await store.upsertModel('Grant', 'grant-3', { accountId: 'account-1' }, 60);
        expect(await ttlOf('account:account-1')).to.equal(-1);
        await store.upsertModel('Grant', 'grant-4', { accountId: 'account-2' }, undefined);
        await store.upsertModel('Grant', 'grant-5', { accountId: 'account-2' }, 60);
        expect(await ttlOf('account:account-2')).to.equal(-1);
        // An upsert replaces the entry's expiry, a shorter one and none included.
        await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 600);
        await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 30);
        expect([await ttlOf('model:AccessToken:token-1'), await ttlOf('grant:grant-1')]).to.deep.equal([30, 600]);
        await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-3' }, undefined);
        expect([await ttlOf('model:Session:session-1'), await ttlOf('account:account-3'), await ttlOf('uid:uid-1')]).to.deep.equal([-1, -1, -1]);
        await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-3' }, 90);
        expect([await ttlOf('model:Session:session-1'), await ttlOf('uid:uid-1')]).to.deep.equal([90, 90]);
      }));

    it('the outbox\'s due set lasts as long as its longest mail: a new one gets an expiry, a longer mail extends it, a shorter one keeps it', () =>
      withStore(async (store, keyPrefix) => {
        const ttlOf = async (key: string) => Math.ceil((await pttl(`${keyPrefix}${key}`)) / 1000);
        const now = Date.now();
        const mail = (id: string, notAfterSeconds: number) => ({ id, sealed: 's', label: 'l', state: 'queued' as const, attempts: 0, createdAt: now, nextAttemptAt: now, notAfter: now + notAfterSeconds * 1000 });
        // A mail is kept until its notAfter, then an hour as a finished one: 4 200, 3 660 and 4 800 s here.
        await store.enqueueMail(mail('mail-1', 600));
        expect(await ttlOf('{outbox}:due')).to.be.within(4100, 4200);
        await store.enqueueMail(mail('mail-2', 60));
        expect(await ttlOf('{outbox}:due')).to.be.within(4100, 4200);
        await store.enqueueMail(mail('mail-3', 1200));
        expect(await ttlOf('{outbox}:due')).to.be.within(4700, 4800);
      }));
  });
}

/** A store step that fails on an entry it cannot read leaves nothing half done; one that writes an entry whole replaces it. */
function unreadableEntryContract(name: string, withStore: WithStore, plant: (key: string, value: string) => Promise<unknown>): void {
  describe(`${name}: an entry it cannot read`, () => {
    it('upsertModel, putCode and enqueueMail replace an entry that is not a hash, as they replace any entry whole', () =>
      withStore(async (store, keyPrefix) => {
        const now = Date.now();
        const code = { codeId: 'code-a', email: 'ada@example.com', digest: 'd', issuedAt: now, expiresAt: now + 60_000, attempts: 0 };
        const mail = { id: 'mail-1', sealed: 's', label: 'l', state: 'queued' as const, attempts: 0, createdAt: now, nextAttemptAt: now, notAfter: now + 60_000 };
        await plant(`${keyPrefix}model:Interaction:interaction-1`, 'not a hash');
        await plant(`${keyPrefix}code:interaction-1`, 'not a hash');
        await plant(`${keyPrefix}{outbox}:mail:mail-1`, 'not a hash');
        await store.upsertModel('Interaction', 'interaction-1', { uid: 'interaction-1' }, 60);
        await store.putCode('interaction-1', code, 60);
        await store.enqueueMail(mail);
        expect(await store.findModel('Interaction', 'interaction-1')).to.deep.equal({ uid: 'interaction-1' });
        expect(await store.readCode('interaction-1')).to.deep.equal(code);
        expect(await store.getMail('mail-1')).to.deep.equal(mail);
      }));

    // On a Cluster the entry's master is apart from the slot's, so the claim there is a command of its own.
    it('claimSlotAndFindModel claims nothing when the entry cannot be read, so the resume it gates can be tried again', () =>
      withStore(async (store, keyPrefix) => {
        const now = Date.now();
        await plant(`${keyPrefix}model:Interaction:interaction-1`, 'not a hash');
        const failed = await store.claimSlotAndFindModel({ key: 'resume:interaction-1', ttlSeconds: 60, now }, 'Interaction', 'interaction-1').then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).to.be.instanceOf(Error);
        expect(await store.peekSlot('resume:interaction-1', now)).to.equal(undefined);
      }));
  });
}

/**
 * Two stores of one deployment (one Redis setup, one key prefix), as two instances have: a save
 * through either reaches the other's settings watch.
 */
function settingsWatchContract(name: string, config: () => RedisStoreConfig, deleteKeysUnder: (prefix: string) => Promise<unknown>): void {
  describe(`${name}: the settings watch between instances`, () => {
    const settings = (sharingLevel: string) => ({ sharingLevel, reverificationDays: 30 });

    it('moves on in every instance when one of them saves', async () => {
      const redis = config();
      const [a, b] = await Promise.all([createRedisStore({ redis }), createRedisStore({ redis })]);
      try {
        const watchA = a.settingsWatch();
        const watchB = b.settingsWatch();
        await until(() => watchA.live && watchB.live, 'both watches to be live');

        const seenByB = watchB.generation;
        expect(await a.saveSettings(settings('existingGuests'), 1_700_000_000_000, undefined)).to.equal(true);
        await until(() => watchB.generation !== seenByB, 'the save through A to reach B');
        expect(watchB.live).to.equal(true);
        expect(await b.getSettings()).to.deep.include({ version: 1, value: settings('existingGuests') });

        const seenByA = watchA.generation;
        expect(await b.saveSettings(settings('organizationOnly'), 1_700_000_001_000, 1)).to.equal(true);
        await until(() => watchA.generation !== seenByA, 'the save through B to reach A');
        expect(await a.getSettings()).to.deep.include({ version: 2, value: settings('organizationOnly') });
      } finally {
        await Promise.all([a.close(), b.close()]);
        await deleteKeysUnder(redis.keyPrefix);
      }
    });
  });
}
