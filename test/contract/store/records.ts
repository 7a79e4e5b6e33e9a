/** The contract for small records: per namespace and id, and versioned saves of which one wins. */
import { expect } from 'chai';

import { type ContractStore, times } from './fixtures.ts';

export function recordsContract(store: ContractStore): void {
  describe('records', () => {
    it('keeps a record per namespace and id', async () => {
      await store.putRecord('signin', 'interaction-1', { step: 'code_sent', email: 'ada@example.com' }, 60);
      await store.putRecord('grantContext', 'interaction-1', { sharingId: 'link-1' }, 60);
      expect(await store.getRecord('signin', 'interaction-1')).to.deep.equal({ step: 'code_sent', email: 'ada@example.com' });
      expect(await store.getRecord('grantContext', 'interaction-1')).to.deep.equal({ sharingId: 'link-1' });
      expect(await store.getRecord('sessionVerification', 'interaction-1')).to.equal(undefined);
    });

    it('putRecord replaces the record', async () => {
      await store.putRecord('signin', 'interaction-1', { step: 'email_entered' }, 60);
      await store.putRecord('signin', 'interaction-1', { step: 'verified' }, 60);
      expect(await store.getRecord('signin', 'interaction-1')).to.deep.equal({ step: 'verified' });
    });

    it('deleteRecord removes the record', async () => {
      await store.putRecord('federationState', 'state-1', { issuer: 'https://login.example.com' }, 60);
      await store.deleteRecord('federationState', 'state-1');
      expect(await store.getRecord('federationState', 'state-1')).to.equal(undefined);
    });

    it('putRecordIfVersion creates only when there is no record, then replaces only the expected version', async () => {
      expect(await store.putRecordIfVersion('signin', 'interaction-1', { version: 1, step: 'enter_email' }, 60, undefined)).to.equal(true);
      expect(await store.putRecordIfVersion('signin', 'interaction-1', { version: 1, step: 'other' }, 60, undefined)).to.equal(false);
      expect(await store.putRecordIfVersion('signin', 'interaction-1', { version: 2, step: 'code_sent' }, 60, 1)).to.equal(true);
      expect(await store.putRecordIfVersion('signin', 'interaction-1', { version: 2, step: 'stale' }, 60, 1)).to.equal(false);
      expect(await store.getRecord('signin', 'interaction-1')).to.deep.equal({ version: 2, step: 'code_sent' });
    });

    it('putRecordIfVersion lets exactly one of 20 parallel writers of the same version win', async () => {
      await store.putRecordIfVersion('signin', 'interaction-1', { version: 7, step: 'code_sent' }, 60, undefined);
      const results = await Promise.all(times(20, (index) => store.putRecordIfVersion('signin', 'interaction-1', { version: 8, writer: index }, 60, 7)));
      expect(results.filter(Boolean)).to.have.length(1);
      const winner = results.indexOf(true);
      expect(await store.getRecord('signin', 'interaction-1')).to.deep.equal({ version: 8, writer: winner });
    });

    it('putRecordIfVersion never takes a record without a version for a missing one', async () => {
      await store.putRecord('signin', 'interaction-1', { step: 'unversioned' }, 60);
      expect(await store.putRecordIfVersion('signin', 'interaction-1', { version: 1 }, 60, undefined)).to.equal(false);
      expect(await store.getRecord('signin', 'interaction-1')).to.deep.equal({ step: 'unversioned' });
    });
  });
}
