/**
 * Records read beside an oidc entry (`oidcAdapterFor`'s `recordsBeside`): a request that reads the
 * entry and then the record reads the store once; a record other requests change (a sign-in's) is
 * taken from there only by the request's first read, and read afresh by every later one.
 */
import { expect } from 'chai';

import { MemoryStore } from '../../adapters/memory.ts';
import { oidcAdapterFor, readRecordOnce, takeRecordReadBeside } from '../../adapters/oidc_adapter.ts';
import { withRequestCache } from '../../adapters/request_cache.ts';

describe('records read beside an oidc entry', () => {
  it('serves the first read of the record from the entry read, and reads the store for every later one', async () => {
    const store = new MemoryStore();
    const Adapter = oidcAdapterFor(store, { recordsBeside: { Interaction: 'signin' } });
    await store.upsertModel('Interaction', 'uid-1', { uid: 'uid-1' }, 60);
    await store.putRecord('signin', 'uid-1', { version: 1 }, 60);
    const reads: number[] = [];
    const read = async () => {
      const value = (await store.getRecord('signin', 'uid-1')) as { version: number };
      reads.push(value.version);
      return value;
    };
    await withRequestCache(async () => {
      await new Adapter('Interaction').find('uid-1');
      // Another request saves meanwhile: the first read still takes what was read with the entry.
      await store.putRecord('signin', 'uid-1', { version: 2 }, 60);
      expect(await takeRecordReadBeside('signin', 'uid-1', read)).to.deep.equal({ version: 1 });
      expect(reads, 'no read of its own').to.deep.equal([]);
      // A later read (a retry after a lost compare-and-set, a follower's probe) sees the store.
      expect(await takeRecordReadBeside('signin', 'uid-1', read)).to.deep.equal({ version: 2 });
      expect(await takeRecordReadBeside('signin', 'uid-1', read)).to.deep.equal({ version: 2 });
      expect(reads).to.deep.equal([2, 2]);
    });
  });

  it('destroys the record beside an entry of the models named destroyedWithEntry, and keeps the others', async () => {
    const store = new MemoryStore();
    const Adapter = oidcAdapterFor(store, { recordsBeside: { Grant: 'grantContext', Interaction: 'signin' }, destroyedWithEntry: ['Interaction'] });
    await store.upsertModelWithRecord('Interaction', 'uid-1', { uid: 'uid-1' }, 60, { namespace: 'signin', id: 'uid-1', value: { version: 1 }, ttlSeconds: 60 });
    await store.upsertModelWithRecord('Grant', 'grant-1', { accountId: 'a' }, 60, { namespace: 'grantContext', id: 'grant-1', value: { personId: 'a' }, ttlSeconds: 60 });
    await withRequestCache(async () => {
      await new Adapter('Interaction').find('uid-1');
      await new Adapter('Interaction').destroy('uid-1');
      // Not even this request's read beside the entry answers for it any more.
      expect(await takeRecordReadBeside('signin', 'uid-1', () => store.getRecord('signin', 'uid-1'))).to.equal(undefined);
      await new Adapter('Grant').destroy('grant-1');
    });
    expect(await store.getRecord('signin', 'uid-1')).to.equal(undefined);
    expect(await store.findModel('Interaction', 'uid-1')).to.equal(undefined);
    expect(await store.getRecord('grantContext', 'grant-1')).to.deep.equal({ personId: 'a' });
  });

  it('keeps a record read with its grant for the whole request, and reads nothing beside models not named', async () => {
    const store = new MemoryStore();
    const Adapter = oidcAdapterFor(store, { recordsBeside: { Grant: 'grantContext' } });
    await store.upsertModelWithRecord('Grant', 'grant-1', { accountId: 'a' }, 60, { namespace: 'grantContext', id: 'grant-1', value: { personId: 'a' }, ttlSeconds: 60 });
    await store.upsertModel('Session', 'session-1', { uid: 's' }, 60);
    let reads = 0;
    const read = async () => {
      reads += 1;
      return store.getRecord('grantContext', 'grant-1');
    };
    await withRequestCache(async () => {
      expect(await new Adapter('Grant').find('grant-1')).to.deep.equal({ accountId: 'a' });
      expect(await readRecordOnce('grantContext', 'grant-1', read)).to.deep.equal({ personId: 'a' });
      expect(await readRecordOnce('grantContext', 'grant-1', read)).to.deep.equal({ personId: 'a' });
      expect(reads).to.equal(0);
      await new Adapter('Session').find('session-1');
    });
    // Outside a request nothing is kept: every read is the store's.
    await new Adapter('Grant').find('grant-1');
    await readRecordOnce('grantContext', 'grant-1', read);
    expect(reads).to.equal(1);
  });
});
