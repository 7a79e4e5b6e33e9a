/** The contract for expiry: one short wait serves every TTL. */
import { expect } from 'chai';

import { type ContractStore, delay, storedCode } from './fixtures.ts';

export function expiryContract(name: string, createStore: () => Promise<ContractStore>, destroyStore: (store: ContractStore) => Promise<void>): void {
describe(`${name} store contract: expiry`, () => {
  // One short wait serves every TTL below.
  let store: ContractStore;

  before(async () => {
    store = await createStore();
    await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 1);
    await store.putCode('interaction-1', storedCode('code-a'), 1);
    await store.putCode('interaction-2', storedCode('stand-in'), 1);
    await store.putCode('interaction-3', storedCode('stand-in'), 1);
    if (!(await store.replaceCode('interaction-2', 'stand-in', storedCode('code-b')))) throw new Error('the stand-in was not replaced');
    if (!(await store.replaceCode('interaction-3', 'stand-in', storedCode('code-c'), 600))) throw new Error('the stand-in was not replaced');
    await store.incrementCounter('codes:ada@example.com', 1, Date.now(), 3);
    await store.claimSlot('cooldown:ada@example.com', 1, Date.now());
    await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-1' }, 1);
    await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 1);
    await store.upsertModel('Session', 'session-2', { uid: 'uid-2', accountId: 'account-1' }, 600);
    await store.indexLinkGrant('link-1', 'grant-1', 1);
    await store.indexLinkGrant('link-1', 'grant-2', 600);
    if ((await store.getRecord('signin', 'interaction-1')) === undefined) throw new Error('the record was not stored');
    await delay(1100);
  });

  after(async () => {
    await destroyStore(store);
  });

  it('expires a record after its TTL', async () => {
    expect(await store.getRecord('signin', 'interaction-1')).to.equal(undefined);
  });

  it('expires a code after its TTL', async () => {
    expect(await store.readCode('interaction-1')).to.equal(undefined);
    const limits = { counter: { key: 'failures:ada@example.com', windowSeconds: 60 }, lockout: { key: 'lockout:ada@example.com', ttlSeconds: 60, lockAt: 5 } };
    expect(await store.countCodeEntry('interaction-1', limits, Date.now())).to.include({ kind: 'counted', code: undefined });
    expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
  });

  it('a code that replaced a stand-in keeps its expiry, unless given one of its own', async () => {
    expect(await store.readCode('interaction-2')).to.equal(undefined);
    expect((await store.readCode('interaction-3'))?.codeId).to.equal('code-c');
  });

  it('cleans up a counter after its window, even on a clock that lags behind', async () => {
    const lagging = Date.now() - 60_000;
    expect(await store.readCounter('codes:ada@example.com', lagging)).to.equal(undefined);
    expect((await store.incrementCounter('codes:ada@example.com', 60, lagging)).count).to.equal(1);
  });

  it('cleans up a slot after its TTL, even on a clock that lags behind', async () => {
    expect((await store.claimSlot('cooldown:ada@example.com', 60, Date.now() - 60_000)).claimed).to.equal(true);
  });

  it('expires an oidc entry after expiresIn, with its uid and account entries', async () => {
    expect(await store.findModel('AccessToken', 'token-1')).to.equal(undefined);
    expect(await store.findModel('Session', 'session-1')).to.equal(undefined);
    expect(await store.findModelByUid('Session', 'uid-1')).to.equal(undefined);
    expect(await store.consumeModel('AccessToken', 'token-1')).to.equal('not_found');
    expect(await store.findModelsByAccount('account-1')).to.deep.equal({ sessions: ['session-2'], grants: [] });
  });

  it('drops a link\'s grant entry when it expires, with the grant', async () => {
    expect(await store.linkGrants('link-1')).to.deep.equal(['grant-2']);
  });
});
}
