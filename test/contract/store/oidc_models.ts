/** The contract for oidc-provider's models: finding, consuming once, revoking by grant, listing by account. */
import { expect } from 'chai';

import type { OidcPayload } from '../../../adapters/store.ts';
import { type ContractStore, times } from './fixtures.ts';

export function oidcModelsContract(store: ContractStore): void {
  describe('oidc-provider models', () => {
    it('finds a stored entry by model and id, and only under its model', async () => {
      const payload: OidcPayload = { accountId: 'account-1', grantId: 'grant-1', scope: 'openid email', kind: 'AccessToken' };
      await store.upsertModel('AccessToken', 'token-1', payload, 60);
      expect(await store.findModel('AccessToken', 'token-1')).to.deep.equal(payload);
      expect(await store.findModel('RefreshToken', 'token-1')).to.equal(undefined);
    });

    it('returns undefined for an entry never stored', async () => {
      expect(await store.findModel('Session', 'nobody')).to.equal(undefined);
    });

    it('a later upsert replaces the entry', async () => {
      await store.upsertModel('Interaction', 'interaction-1', { prompt: 'login', step: 1 }, 60);
      await store.upsertModel('Interaction', 'interaction-1', { prompt: 'consent' }, 60);
      expect(await store.findModel('Interaction', 'interaction-1')).to.deep.equal({ prompt: 'consent' });
    });

    it('a later upsert replaces a consumed entry whole: without consumed it is not consumed any more', async () => {
      await store.upsertModel('AuthorizationCode', 'code-1', { grantId: 'grant-1' }, 60);
      expect(await store.consumeModel('AuthorizationCode', 'code-1')).to.equal('consumed');
      await store.upsertModel('AuthorizationCode', 'code-1', { grantId: 'grant-2' }, 60);
      expect(await store.findModel('AuthorizationCode', 'code-1')).to.deep.equal({ grantId: 'grant-2' });
      expect(await store.consumeModel('AuthorizationCode', 'code-1')).to.equal('consumed');
      await store.upsertModel('AuthorizationCode', 'code-1', { grantId: 'grant-3', consumed: 1234 }, 60);
      expect(await store.findModel('AuthorizationCode', 'code-1')).to.deep.equal({ grantId: 'grant-3', consumed: 1234 });
      expect(await store.consumeModel('AuthorizationCode', 'code-1')).to.equal('already_consumed');
    });

    it('finds a session by its uid', async () => {
      const session: OidcPayload = { uid: 'uid-1', accountId: 'account-1', kind: 'Session' };
      await store.upsertModel('Session', 'session-1', session, 60);
      expect(await store.findModelByUid('Session', 'uid-1')).to.deep.equal(session);
      expect(await store.findModelByUid('Session', 'uid-unknown')).to.equal(undefined);
    });

    it('finds an entry by its user code', async () => {
      const deviceCode: OidcPayload = { userCode: 'ABCD-EFGH', grantId: 'grant-1', kind: 'DeviceCode' };
      await store.upsertModel('DeviceCode', 'device-1', deviceCode, 60);
      expect(await store.findModelByUserCode('DeviceCode', 'ABCD-EFGH')).to.deep.equal(deviceCode);
      expect(await store.findModelByUserCode('DeviceCode', 'ZZZZ-ZZZZ')).to.equal(undefined);
    });

    it('consumes an authorization code exactly once among 20 parallel consumers', async () => {
      await store.upsertModel('AuthorizationCode', 'code-1', { grantId: 'grant-1', accountId: 'account-1' }, 60);
      const outcomes = await Promise.all(times(20, () => store.consumeModel('AuthorizationCode', 'code-1')));
      expect(outcomes.filter((outcome) => outcome === 'consumed')).to.have.length(1);
      expect(outcomes.filter((outcome) => outcome === 'already_consumed')).to.have.length(19);
    });

    it('finds a consumed entry with its payload and consumed set', async () => {
      await store.upsertModel('RefreshToken', 'refresh-1', { grantId: 'grant-1', accountId: 'account-1' }, 60);
      expect(await store.consumeModel('RefreshToken', 'refresh-1')).to.equal('consumed');
      const found = await store.findModel('RefreshToken', 'refresh-1');
      expect(found).to.include({ grantId: 'grant-1', accountId: 'account-1' });
      expect(found?.consumed).to.be.a('number').and.to.be.closeTo(Date.now() / 1000, 5);
      expect(await store.consumeModel('RefreshToken', 'refresh-1')).to.equal('already_consumed');
    });

    it('reports not_found when consuming an entry never stored', async () => {
      expect(await store.consumeModel('AuthorizationCode', 'missing')).to.equal('not_found');
    });

    it('upsertModelWithRecord stores the entry with its indexes and the record beside it', async () => {
      const context = { personId: 'person-1', sharingId: 'link-1', sid: 'sid-1' };
      await store.upsertModelWithRecord('Grant', 'grant-1', { accountId: 'account-1', clientId: 'client-1' }, 600, { namespace: 'grantContext', id: 'grant-1', value: context, ttlSeconds: 700 });
      expect(await store.findModel('Grant', 'grant-1')).to.deep.equal({ accountId: 'account-1', clientId: 'client-1' });
      expect(await store.getRecord('grantContext', 'grant-1')).to.deep.equal(context);
      expect((await store.findModelsByAccount('account-1')).grants).to.deep.equal(['grant-1']);
      await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 60);
      await store.revokeByGrantId('grant-1');
      expect(await store.findModel('Grant', 'grant-1')).to.equal(undefined);
      expect(await store.findModel('AccessToken', 'token-1')).to.equal(undefined);
    });

    it('upsertModelWithRecord: a reader that finds the record finds the entry too, while the two are written', async () => {
      const grants = times(10, (index) => `grant-${index}`);
      const seen: { record: boolean; entry: boolean }[] = [];
      const read = async (id: string) => {
        // As loadExistingGrant reads: the context first, then the grant.
        const record = (await store.getRecord('grantContext', id)) !== undefined;
        const entry = (await store.findModel('Grant', id)) !== undefined;
        seen.push({ record, entry });
      };
      await Promise.all(
        grants.flatMap((id) => [
          store.upsertModelWithRecord('Grant', id, { accountId: 'account-1', clientId: 'client-1' }, 600, { namespace: 'grantContext', id, value: { personId: 'person-1' }, ttlSeconds: 600 }),
          ...times(3, () => read(id)),
        ]),
      );
      expect(seen.filter(({ record, entry }) => record && !entry)).to.deep.equal([]);
      for (const id of grants) expect(await store.getRecord('grantContext', id)).to.deep.equal({ personId: 'person-1' });
    });

    it('claimSlotAndFindModel: of parallel callers exactly one claims the slot and gets the entry; the slot is the one claimSlot names', async () => {
      const now = Date.now();
      await store.upsertModel('Interaction', 'interaction-1', { uid: 'interaction-1', result: { login: { accountId: 'account-1' } } }, 60);
      const claims = await Promise.all(times(8, () => store.claimSlotAndFindModel({ key: 'resume:interaction-1', ttlSeconds: 60, now }, 'Interaction', 'interaction-1')));
      const won = claims.filter((claim) => claim.claimed);
      expect(won).to.have.length(1);
      expect(won[0]).to.deep.equal({ claimed: true, availableAt: now + 60_000, payload: { uid: 'interaction-1', result: { login: { accountId: 'account-1' } } } });
      for (const lost of claims.filter((claim) => !claim.claimed)) expect(lost).to.deep.equal({ claimed: false, availableAt: now + 60_000, payload: undefined });
      expect((await store.claimSlot('resume:interaction-1', 60, now + 1000)).claimed).to.equal(false);
      await store.releaseSlot('resume:interaction-1');
      const again = await store.claimSlotAndFindModel({ key: 'resume:interaction-1', ttlSeconds: 60, now: now + 2000 }, 'Interaction', 'interaction-1');
      expect(again.claimed).to.equal(true);
      // Run out on the caller's clock, though its key is still there: claimed again, held until the new end.
      const later = await store.claimSlotAndFindModel({ key: 'resume:interaction-1', ttlSeconds: 60, now: now + 62_000 }, 'Interaction', 'interaction-1');
      expect(later).to.deep.include({ claimed: true, availableAt: now + 122_000 });
      expect(await store.peekSlot('resume:interaction-1', now + 62_000)).to.equal(now + 122_000);
      expect(await store.claimSlotAndFindModel({ key: 'resume:other', ttlSeconds: 60, now }, 'Interaction', 'no-such-interaction')).to.deep.equal({ claimed: true, availableAt: now + 60_000, payload: undefined });
    });

    it('findModelWithRecord reads an entry and the record beside it, each there or not', async () => {
      const context = { personId: 'person-1', sid: 'sid-1' };
      await store.upsertModelWithRecord('Grant', 'grant-1', { accountId: 'account-1', clientId: 'client-1' }, 600, { namespace: 'grantContext', id: 'grant-1', value: context, ttlSeconds: 600 });
      expect(await store.findModelWithRecord('Grant', 'grant-1', { namespace: 'grantContext', id: 'grant-1' })).to.deep.equal({ payload: { accountId: 'account-1', clientId: 'client-1' }, record: context });
      await store.upsertModel('Grant', 'grant-2', { accountId: 'account-1', clientId: 'client-2' }, 600);
      expect(await store.findModelWithRecord('Grant', 'grant-2', { namespace: 'grantContext', id: 'grant-2' })).to.deep.equal({ payload: { accountId: 'account-1', clientId: 'client-2' }, record: undefined });
      // The context outlives its grant.
      await store.destroyModel('Grant', 'grant-1');
      expect(await store.findModelWithRecord('Grant', 'grant-1', { namespace: 'grantContext', id: 'grant-1' })).to.deep.equal({ payload: undefined, record: context });
      expect(await store.findModelWithRecord('Grant', 'grant-3', { namespace: 'grantContext', id: 'grant-3' })).to.deep.equal({ payload: undefined, record: undefined });
    });

    it('destroyModel removes the entry', async () => {
      await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 60);
      await store.destroyModel('AccessToken', 'token-1');
      expect(await store.findModel('AccessToken', 'token-1')).to.equal(undefined);
    });

    it('destroyModel with a record removes the record beside the entry too, and only that one', async () => {
      await store.upsertModelWithRecord('Interaction', 'interaction-1', { uid: 'interaction-1' }, 60, { namespace: 'signin', id: 'interaction-1', value: { version: 1 }, ttlSeconds: 60 });
      await store.putRecord('signin', 'interaction-2', { version: 1 }, 60);
      await store.destroyModel('Interaction', 'interaction-1', { namespace: 'signin', id: 'interaction-1' });
      expect(await store.findModelWithRecord('Interaction', 'interaction-1', { namespace: 'signin', id: 'interaction-1' })).to.deep.equal({ payload: undefined, record: undefined });
      expect(await store.getRecord('signin', 'interaction-2')).to.deep.equal({ version: 1 });
    });

    it('revokeByGrantId removes every token of the grant and the grant', async () => {
      await store.upsertModel('Grant', 'grant-1', { accountId: 'account-1', clientId: 'client-1' }, 600);
      await store.upsertModel('AuthorizationCode', 'code-1', { grantId: 'grant-1' }, 60);
      await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 60);
      await store.upsertModel('RefreshToken', 'refresh-1', { grantId: 'grant-1' }, 600);
      await store.upsertModel('Grant', 'grant-2', { accountId: 'account-1', clientId: 'client-2' }, 600);
      await store.upsertModel('AccessToken', 'token-2', { grantId: 'grant-2' }, 60);

      await store.revokeByGrantId('grant-1');

      expect(await store.findModel('Grant', 'grant-1')).to.equal(undefined);
      expect(await store.findModel('AuthorizationCode', 'code-1')).to.equal(undefined);
      expect(await store.findModel('AccessToken', 'token-1')).to.equal(undefined);
      expect(await store.findModel('RefreshToken', 'refresh-1')).to.equal(undefined);
      expect(await store.findModel('Grant', 'grant-2')).to.deep.equal({ accountId: 'account-1', clientId: 'client-2' });
      expect(await store.findModel('AccessToken', 'token-2')).to.deep.equal({ grantId: 'grant-2' });
    });

    it('revokeByGrantId of an unknown grant does nothing', async () => {
      await store.revokeByGrantId('grant-unknown');
    });

    it('findModelsByAccount lists sessions and grants', async () => {
      await store.upsertModel('Session', 'session-1', { accountId: 'account-1', uid: 'uid-1' }, 600);
      await store.upsertModel('Session', 'session-2', { accountId: 'account-1', uid: 'uid-2' }, 600);
      await store.upsertModel('Grant', 'grant-1', { accountId: 'account-1' }, 600);
      await store.upsertModel('Session', 'session-3', { accountId: 'account-2', uid: 'uid-3' }, 600);
      await store.upsertModel('AccessToken', 'token-1', { accountId: 'account-1', grantId: 'grant-1' }, 60);

      const found = await store.findModelsByAccount('account-1');
      expect(found.sessions.toSorted()).to.deep.equal(['session-1', 'session-2']);
      expect(found.grants).to.deep.equal(['grant-1']);
    });

    it('findModelsByAccount skips entries that are gone or now belong to another account', async () => {
      await store.upsertModel('Session', 'session-1', { accountId: 'account-1' }, 600);
      await store.upsertModel('Session', 'session-2', { accountId: 'account-1' }, 600);
      await store.upsertModel('Grant', 'grant-1', { accountId: 'account-1' }, 600);
      await store.destroyModel('Session', 'session-1');
      await store.upsertModel('Session', 'session-2', { accountId: 'account-2' }, 600);
      await store.revokeByGrantId('grant-1');

      expect(await store.findModelsByAccount('account-1')).to.deep.equal({ sessions: [], grants: [] });
      expect(await store.findModelsByAccount('account-2')).to.deep.equal({ sessions: ['session-2'], grants: [] });
    });

    it('findModelsByAccount finds nothing for an unknown account', async () => {
      expect(await store.findModelsByAccount('account-unknown')).to.deep.equal({ sessions: [], grants: [] });
    });
  });
}
