/**
 * The one storage contract: every `Store` implementation runs these tests (see memory.test.ts;
 * redis.test.ts, redis_cluster.test.ts and redis_sentinel.test.ts for Redis). They state
 * behaviour callers rely on — above all that the atomic steps stay atomic under parallel calls —
 * and never look at how a store keeps its data.
 */
import { expect } from 'chai';

import type {
  AuditEvent,
  CodeInspection,
  FederatedIdentity,
  LinkQuery,
  LinkRecipient,
  LinkRecord,
  OidcPayload,
  OutboxMail,
  PeopleQuery,
  PersonRecord,
  Store,
  StoredCode,
} from '../../adapters/store.ts';
import { InvalidCursorError } from '../../adapters/errors.ts';
import { compareAuditIds } from '../../adapters/shared/audit.ts';

/** A store as the contract sees it: the production interface, and reading codes back. */
export type ContractStore = Store & CodeInspection;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const times = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Every cursor, under every query, is refused with an InvalidCursorError. */
async function expectEachCursorRejected<Query>(
  list: (query: Query, page: { cursor: string; limit: number }) => Promise<unknown>,
  queries: Query[],
  cursors: string[],
): Promise<void> {
  for (const query of queries) {
    for (const cursor of cursors) {
      const error = await rejectionOf(list(query, { cursor, limit: 10 }));
      expect(error, `${JSON.stringify(query)} ${cursor}`).to.be.instanceOf(InvalidCursorError);
      expect(error).to.include({ code: 'invalid_cursor' });
    }
  }
}

function storedCode(codeId: string, overrides: Partial<StoredCode> = {}): StoredCode {
  const now = Date.now();
  return { codeId, email: 'ada@example.com', digest: `digest-of-${codeId}`, issuedAt: now, expiresAt: now + 600_000, attempts: 0, ...overrides };
}

function outboxMail(id: string, overrides: Partial<OutboxMail> = {}): OutboxMail {
  const now = Date.now();
  return {
    id,
    sealed: `sealed-body-of-${id}`,
    label: 'code to a***@example.com',
    state: 'queued',
    attempts: 0,
    createdAt: now,
    nextAttemptAt: now,
    notAfter: now + 600_000,
    ...overrides,
  };
}

/** Person fixtures, shared with the tests of what only one store has. */
export function person(id: string, emailNormalized: string, overrides: Partial<PersonRecord> = {}): PersonRecord {
  return {
    version: 1,
    id,
    email: emailNormalized.toUpperCase(),
    emailNormalized,
    userType: 'guest',
    state: 'PendingAcceptance',
    disabled: false,
    groups: [],
    identities: [],
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** Link fixtures, shared with the tests of what only one store has. */
export function recipient(emailNormalized: string, overrides: Partial<LinkRecipient> = {}): LinkRecipient {
  return { email: emailNormalized.toUpperCase(), emailNormalized, addedAt: 1_700_000_000_000, ...overrides };
}

export function secureLink(id: string, overrides: Partial<LinkRecord> = {}): LinkRecord {
  return {
    version: 1,
    id,
    resource: `https://files.example.com/${id}`,
    clientId: 'client-1',
    recipients: [recipient('ada@example.com')],
    createdAt: 1_700_000_000_000,
    createdBy: 'owner@example.com',
    ...overrides,
  };
}

function auditEvent(overrides: Partial<Omit<AuditEvent, 'id'>> = {}): Omit<AuditEvent, 'id'> {
  return {
    time: new Date().toISOString(),
    operation: 'SignedIn',
    actor: { type: 'person', id: 'person-1' },
    detail: {},
    result: 'success',
    ...overrides,
  };
}

export function storeContract(name: string, createStore: () => Promise<ContractStore>, destroyStore: (store: ContractStore) => Promise<void>): void {
  describe(`${name} store contract`, () => {
    let store: ContractStore;

    beforeEach(async () => {
      store = await createStore();
    });

    afterEach(async () => {
      await destroyStore(store);
    });

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

      it('destroyModel removes the entry', async () => {
        await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 60);
        await store.destroyModel('AccessToken', 'token-1');
        expect(await store.findModel('AccessToken', 'token-1')).to.equal(undefined);
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

    describe('one-time codes', () => {
      it('reads back the stored code', async () => {
        const code = storedCode('code-a');
        await store.putCode('interaction-1', code, 600);
        expect(await store.readCode('interaction-1')).to.deep.equal(code);
        expect(await store.readCode('interaction-2')).to.equal(undefined);
      });

      it('a new code replaces the previous one', async () => {
        await store.putCode('interaction-1', storedCode('code-a'), 600);
        await store.countCodeAttempt('interaction-1');
        const newer = storedCode('code-b', { digest: 'another-digest' });
        await store.putCode('interaction-1', newer, 600);

        expect(await store.readCode('interaction-1')).to.deep.equal(newer);
        expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
        expect(await store.consumeCode('interaction-1', 'code-b')).to.equal(true);
      });

      it('counts 20 parallel code attempts as 20 distinct numbers', async () => {
        await store.putCode('interaction-1', storedCode('code-a'), 600);
        const counted = await Promise.all(times(20, () => store.countCodeAttempt('interaction-1')));
        const attempts = counted.map((code) => code?.attempts).toSorted((a = 0, b = 0) => a - b);
        expect(attempts).to.deep.equal(times(20, (index) => index + 1));
        expect(counted[0]).to.include({ codeId: 'code-a', digest: 'digest-of-code-a' });
        expect((await store.readCode('interaction-1'))?.attempts).to.equal(20);
      });

      it('counts no attempt when there is no code', async () => {
        expect(await store.countCodeAttempt('interaction-1')).to.equal(undefined);
        expect(await store.readCode('interaction-1')).to.equal(undefined);
      });

      it('consumes a code exactly once among 20 parallel consumers', async () => {
        await store.putCode('interaction-1', storedCode('code-a'), 600);
        const results = await Promise.all(times(20, () => store.consumeCode('interaction-1', 'code-a')));
        expect(results.filter(Boolean)).to.have.length(1);
        expect(await store.readCode('interaction-1')).to.equal(undefined);
      });

      it('does not consume a code by an id that is not the current one', async () => {
        await store.putCode('interaction-1', storedCode('code-b'), 600);
        expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
        expect((await store.readCode('interaction-1'))?.codeId).to.equal('code-b');
        expect(await store.consumeCode('interaction-2', 'code-b')).to.equal(false);
      });

      it('deleteCode removes the code', async () => {
        await store.putCode('interaction-1', storedCode('code-a'), 600);
        await store.deleteCode('interaction-1');
        expect(await store.readCode('interaction-1')).to.equal(undefined);
      });
    });

    describe('counters', () => {
      it('counts 20 parallel increments as 20 distinct numbers in one window', async () => {
        const now = Date.now();
        const states = await Promise.all(times(20, () => store.incrementCounter('codes:ada@example.com', 3600, now)));
        expect(states.map((state) => state.count).toSorted((a, b) => a - b)).to.deep.equal(times(20, (index) => index + 1));
        for (const state of states) expect(state.resetAt).to.equal(now + 3_600_000);
      });

      it('adds `by` to the counter', async () => {
        const now = Date.now();
        expect((await store.incrementCounter('failures:ada@example.com', 900, now, 3)).count).to.equal(3);
        expect((await store.incrementCounter('failures:ada@example.com', 900, now, 2)).count).to.equal(5);
        expect((await store.readCounter('failures:ada@example.com', now))?.count).to.equal(5);
      });

      it('keeps the window that the first increment started', async () => {
        const now = Date.now();
        const first = await store.incrementCounter('codes:ada@example.com', 3600, now);
        const second = await store.incrementCounter('codes:ada@example.com', 60, now + 20_000);
        expect(second.count).to.equal(2);
        expect(second.resetAt).to.equal(first.resetAt);
      });

      it('starts a new window once the caller\'s clock passes the end of the last one', async () => {
        const now = Date.now();
        await store.incrementCounter('codes:ada@example.com', 3600, now, 4);
        const later = now + 3_600_000;
        expect(await store.readCounter('codes:ada@example.com', later)).to.equal(undefined);
        const restarted = await store.incrementCounter('codes:ada@example.com', 3600, later);
        expect(restarted).to.deep.equal({ count: 1, resetAt: later + 3_600_000 });
      });

      it('readCounter tells the count and when the window ends', async () => {
        const now = Date.now();
        const incremented = await store.incrementCounter('codes:ada@example.com', 3600, now);
        const read = await store.readCounter('codes:ada@example.com', now + 1000);
        expect(read).to.deep.equal({ count: 1, resetAt: incremented.resetAt });
        expect(await store.readCounter('codes:bob@example.com', now)).to.equal(undefined);
      });

      it('deleteCounter lets the next increment start a new window', async () => {
        const now = Date.now();
        await store.incrementCounter('codes:ada@example.com', 3600, now, 4);
        await store.deleteCounter('codes:ada@example.com');
        expect(await store.readCounter('codes:ada@example.com', now)).to.equal(undefined);
        const restarted = await store.incrementCounter('codes:ada@example.com', 60, now + 5);
        expect(restarted).to.deep.equal({ count: 1, resetAt: now + 5 + 60_000 });
      });
    });

    describe('slots', () => {
      it('lets exactly one of 20 parallel claimers take a free slot', async () => {
        const now = Date.now();
        const claims = await Promise.all(times(20, () => store.claimSlot('cooldown:ada@example.com', 60, now)));
        expect(claims.filter((claim) => claim.claimed)).to.have.length(1);
        for (const claim of claims) expect(claim.availableAt).to.equal(now + 60_000);
      });

      it('a held slot tells when it frees up', async () => {
        const now = Date.now();
        const first = await store.claimSlot('cooldown:ada@example.com', 60, now);
        const second = await store.claimSlot('cooldown:ada@example.com', 60, now + 10_000);
        expect(first.claimed).to.equal(true);
        expect(second).to.deep.equal({ claimed: false, availableAt: first.availableAt });
        expect(await store.peekSlot('cooldown:ada@example.com', now + 10_000)).to.equal(first.availableAt);
      });

      it('frees the slot once the caller\'s clock passes its end', async () => {
        const now = Date.now();
        await store.claimSlot('cooldown:ada@example.com', 60, now);
        expect(await store.peekSlot('cooldown:ada@example.com', now + 60_000)).to.equal(undefined);
        expect(await store.claimSlot('cooldown:ada@example.com', 60, now + 60_000)).to.deep.equal({ claimed: true, availableAt: now + 120_000 });
      });

      it('peekSlot reports a free slot as undefined and does not take it', async () => {
        const now = Date.now();
        expect(await store.peekSlot('lockout:ada@example.com', now)).to.equal(undefined);
        expect((await store.claimSlot('lockout:ada@example.com', 60, now)).claimed).to.equal(true);
      });

      it('releaseSlot frees the slot', async () => {
        const now = Date.now();
        await store.claimSlot('cooldown:ada@example.com', 60, now);
        await store.releaseSlot('cooldown:ada@example.com');
        expect((await store.claimSlot('cooldown:ada@example.com', 60, now)).claimed).to.equal(true);
      });
    });

    describe('mail outbox', () => {
      it('getMail returns the enqueued mail', async () => {
        const mail = outboxMail('mail-1');
        await store.enqueueMail(mail);
        expect(await store.getMail('mail-1')).to.deep.equal(mail);
        expect(await store.getMail('mail-unknown')).to.equal(undefined);
      });

      it('claimDueMail claims due mail, leases it and counts the attempt', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-due', { nextAttemptAt: now - 1000 }));
        await store.enqueueMail(outboxMail('mail-later', { nextAttemptAt: now + 60_000 }));

        const claimed = await store.claimDueMail(now, 30_000, 10);

        expect(claimed.map((mail) => mail.id)).to.deep.equal(['mail-due']);
        expect(claimed[0]).to.include({ state: 'sending', attempts: 1, nextAttemptAt: now + 30_000, sealed: 'sealed-body-of-mail-due' });
        expect(await store.getMail('mail-due')).to.include({ state: 'sending', attempts: 1, nextAttemptAt: now + 30_000 });
        expect(await store.getMail('mail-later')).to.include({ state: 'queued', attempts: 0 });
      });

      it('claimDueMail hands a leased mail out again only once its lease ended', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-1', { nextAttemptAt: now }));
        expect(await store.claimDueMail(now, 30_000, 10)).to.have.length(1);
        expect(await store.claimDueMail(now + 29_999, 30_000, 10)).to.deep.equal([]);
        const again = await store.claimDueMail(now + 30_000, 30_000, 10);
        expect(again.map((mail) => [mail.id, mail.attempts])).to.deep.equal([['mail-1', 2]]);
      });

      it('claimDueMail claims no more than the limit', async () => {
        const now = Date.now();
        for (const index of times(5, (index) => index)) await store.enqueueMail(outboxMail(`mail-${index}`, { nextAttemptAt: now - 10 }));
        const first = await store.claimDueMail(now, 30_000, 2);
        const second = await store.claimDueMail(now, 30_000, 2);
        const third = await store.claimDueMail(now, 30_000, 2);
        expect([first.length, second.length, third.length]).to.deep.equal([2, 2, 1]);
        const ids = [...first, ...second, ...third].map((mail) => mail.id);
        expect(new Set(ids).size).to.equal(5);
      });

      it('claimDueMail leases each mail to only one of several parallel claimers', async () => {
        const now = Date.now();
        await Promise.all(times(12, (index) => store.enqueueMail(outboxMail(`mail-${index}`, { nextAttemptAt: now - 100 }))));
        const batches = await Promise.all(times(6, () => store.claimDueMail(now, 30_000, 5)));
        const ids = batches.flat().map((mail) => mail.id);
        expect(ids).to.have.length(12);
        expect(new Set(ids).size).to.equal(12);
      });

      it('claimDueMail skips mail that is finished or has no body', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-sent', { state: 'sent', sealed: undefined, sentAt: now - 5000, nextAttemptAt: now - 5000 }));
        await store.enqueueMail(outboxMail('mail-failed', { state: 'failed', nextAttemptAt: now - 5000 }));
        expect(await store.claimDueMail(now, 30_000, 10)).to.deep.equal([]);
      });

      it('completeMail keeps status and drops the sealed body', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-1', { nextAttemptAt: now }));
        await store.claimDueMail(now, 30_000, 10);

        await store.completeMail('mail-1', { state: 'sent', at: now + 100 });

        const mail = await store.getMail('mail-1');
        expect(mail).to.include({ id: 'mail-1', state: 'sent', sentAt: now + 100, attempts: 1, label: 'code to a***@example.com' });
        expect(mail?.sealed).to.equal(undefined);
        expect(mail?.lastError).to.equal(undefined);
        expect(await store.claimDueMail(now + 60_000, 30_000, 10)).to.deep.equal([]);
      });

      it('completeMail of a failed attempt to be retried keeps the body and schedules the retry', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-1', { nextAttemptAt: now }));
        await store.claimDueMail(now, 30_000, 10);

        await store.completeMail('mail-1', { state: 'retrying', nextAttemptAt: now + 5000, error: '451 try again later' });

        expect(await store.getMail('mail-1')).to.include({ state: 'retrying', nextAttemptAt: now + 5000, lastError: '451 try again later', sealed: 'sealed-body-of-mail-1' });
        expect(await store.claimDueMail(now + 4999, 30_000, 10)).to.deep.equal([]);
        const retried = await store.claimDueMail(now + 5000, 30_000, 10);
        expect(retried.map((mail) => [mail.id, mail.attempts, mail.state])).to.deep.equal([['mail-1', 2, 'sending']]);
      });

      it('completeMail of a mail given up keeps the error and drops the body', async () => {
        const now = Date.now();
        await store.enqueueMail(outboxMail('mail-1', { nextAttemptAt: now }));
        await store.enqueueMail(outboxMail('mail-2', { nextAttemptAt: now }));
        await store.claimDueMail(now, 30_000, 10);

        await store.completeMail('mail-1', { state: 'failed', error: '550 no such user' });
        await store.completeMail('mail-2', { state: 'expired', error: 'the code expired before the mail went out' });

        const failed = await store.getMail('mail-1');
        expect(failed).to.include({ state: 'failed', lastError: '550 no such user' });
        expect(failed?.sealed).to.equal(undefined);
        const expired = await store.getMail('mail-2');
        expect(expired).to.include({ state: 'expired', lastError: 'the code expired before the mail went out' });
        expect(expired?.sealed).to.equal(undefined);
        expect(await store.claimDueMail(now + 60_000, 30_000, 10)).to.deep.equal([]);
      });

      it('completeMail of an unknown mail does nothing', async () => {
        await store.completeMail('mail-unknown', { state: 'sent', at: Date.now() });
        expect(await store.getMail('mail-unknown')).to.equal(undefined);
      });
    });

    describe('directory', () => {
      const workIssuer = 'https://login.contoso.example/v2.0';
      const otherIssuer = 'https://accounts.fabrikam.example';
      const work = (subject: string): FederatedIdentity => ({ issuer: workIssuer, subject });
      const pad = (index: number, width = 2) => String(index).padStart(width, '0');

      const emailsOf = async (query: PeopleQuery, limit = 100) => (await store.listPeople(query, { limit })).items.map((entry) => entry.emailNormalized);

      /** Every page of a list, as addresses; checks that only the last page has a null cursor. */
      async function pagesOf(query: PeopleQuery, limit: number): Promise<string[][]> {
        const pages: string[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.listPeople(query, { cursor, limit });
          pages.push(page.items.map((entry) => entry.emailNormalized));
          if (page.nextCursor === null) return pages;
          expect(page.items).to.have.length(limit);
          if (pages.length > 100) throw new Error(`no last page after 100 pages of ${JSON.stringify(query)}`);
          cursor = page.nextCursor;
        }
      }

      describe('creating and saving', () => {
        it('creates a person as version 1 and finds them by id and by address', async () => {
          const ada = person('person-1', 'ada@example.com', { displayName: 'Ada', version: 7 });
          const stored = { ...ada, version: 1 };
          expect(await store.createPersonIfAbsent(ada)).to.deep.equal({ person: stored, created: true });
          expect(await store.getPerson('person-1')).to.deep.equal(stored);
          expect(await store.findPersonByEmail('ada@example.com')).to.deep.equal(stored);
          expect(await store.getPerson('person-2')).to.equal(undefined);
          expect(await store.findPersonByEmail('bob@example.com')).to.equal(undefined);
        });

        it('returns the existing person when the address is taken', async () => {
          const ada = person('person-1', 'ada@example.com');
          await store.createPersonIfAbsent(ada);
          const second = await store.createPersonIfAbsent(person('person-2', 'ada@example.com', { userType: 'adhoc' }));
          expect(second).to.deep.equal({ person: ada, created: false });
          expect(await store.getPerson('person-2')).to.equal(undefined);
          expect(await emailsOf({})).to.deep.equal(['ada@example.com']);
        });

        it('createPersonIfAbsent creates one person among 20 parallel calls for the same address', async () => {
          const results = await Promise.all(times(20, (index) => store.createPersonIfAbsent(person(`person-${index}`, 'ada@example.com'))));
          expect(results.filter((result) => result.created)).to.have.length(1);
          const ids = new Set(results.map((result) => result.person.id));
          expect(ids.size).to.equal(1);
          const [id] = ids;
          expect(await store.findPersonByEmail('ada@example.com')).to.deep.include({ id, version: 1 });
          expect((await store.getPerson(id!))?.emailNormalized).to.equal('ada@example.com');
          expect((await store.listPeople({}, { limit: 100 })).items.map((entry) => entry.id)).to.deep.equal([id]);
        });

        it('savePerson writes the next version only over the version the caller read', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          const accepted = person('person-1', 'ada@example.com', {
            version: 9,
            email: 'Ada@Example.com',
            state: 'Accepted',
            displayName: 'Ada Lovelace',
            groups: ['readers'],
            lastVerifiedAt: 1_700_000_100_000,
            invitedAt: 1_700_000_050_000,
          });

          expect(await store.savePerson(accepted, 1)).to.equal(true);
          const saved = { ...accepted, version: 2 };
          expect(await store.getPerson('person-1')).to.deep.equal(saved);
          expect(await store.findPersonByEmail('ada@example.com')).to.deep.equal(saved);

          expect(await store.savePerson({ ...accepted, displayName: 'stale' }, 1)).to.equal(false);
          expect(await store.savePerson({ ...accepted, displayName: 'from the future' }, 3)).to.equal(false);
          expect(await store.getPerson('person-1')).to.deep.equal(saved);

          expect(await store.savePerson({ ...saved, userType: 'member', disabled: true }, 2)).to.equal(true);
          expect(await store.getPerson('person-1')).to.deep.include({ version: 3, userType: 'member', disabled: true });
        });

        it('savePerson lets exactly one of 20 parallel savers of the same version win', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          const results = await Promise.all(times(20, (index) => store.savePerson(person('person-1', 'ada@example.com', { displayName: `writer-${index}` }), 1)));
          expect(results.filter(Boolean)).to.have.length(1);
          expect(await store.getPerson('person-1')).to.deep.include({ version: 2, displayName: `writer-${results.indexOf(true)}` });
        });

        it('savePerson of a person who is not there stores nothing', async () => {
          expect(await store.savePerson(person('person-1', 'ada@example.com'), 1)).to.equal(false);
          expect(await store.getPerson('person-1')).to.equal(undefined);
          expect(await store.findPersonByEmail('ada@example.com')).to.equal(undefined);
          expect(await emailsOf({})).to.deep.equal([]);
        });

        it('savePerson throws a TypeError for a change of address, creation time or identities, and stores nothing', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.linkIdentity('person-1', work('ada'), 1);
          const current = (await store.getPerson('person-1'))!;
          const changes: Partial<PersonRecord>[] = [
            { emailNormalized: 'ada@lovelace.example' },
            { createdAt: current.createdAt + 1 },
            { identities: [] },
            { identities: [work('eve')] },
            { identities: [work('ada'), { issuer: otherIssuer, subject: 'ada' }] },
          ];
          for (const change of changes) {
            const error = await rejectionOf(store.savePerson({ ...current, ...change, displayName: 'changed' }, current.version));
            expect(error, JSON.stringify(change)).to.be.instanceOf(TypeError);
          }
          expect(await store.getPerson('person-1')).to.deep.equal(current);
          expect(await store.findPersonByEmail('ada@lovelace.example')).to.equal(undefined);
          expect(await store.findPersonByIdentity(workIssuer, 'eve')).to.equal(undefined);
          expect(await store.findPersonByIdentity(otherIssuer, 'ada')).to.equal(undefined);
          expect(await emailsOf({})).to.deep.equal(['ada@example.com']);
        });
      });

      describe('federated identities', () => {
        it('linkIdentity adds the identity as the next version, and findPersonByIdentity finds the person by it', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          const linked = { ...person('person-1', 'ada@example.com'), version: 2, identities: [work('ada-sub')] };

          expect(await store.linkIdentity('person-1', work('ada-sub'), 1)).to.deep.equal({ outcome: 'linked', person: linked });
          expect(await store.getPerson('person-1')).to.deep.equal(linked);
          expect(await store.findPersonByIdentity(workIssuer, 'ada-sub')).to.deep.equal(linked);

          // By (issuer, subject) only: never by the subject of another issuer, never by email.
          expect(await store.findPersonByIdentity(otherIssuer, 'ada-sub')).to.equal(undefined);
          expect(await store.findPersonByIdentity(workIssuer, 'ada@example.com')).to.equal(undefined);
          expect(await store.findPersonByIdentity(workIssuer, 'ADA-SUB')).to.equal(undefined);

          // A later save keeps the identity, and the person is still found by it.
          expect(await store.savePerson({ ...linked, displayName: 'Ada' }, 2)).to.equal(true);
          expect(await store.findPersonByIdentity(workIssuer, 'ada-sub')).to.deep.include({ version: 3, displayName: 'Ada' });
        });

        it('linkIdentity of an identity the person already holds is linked and changes nothing, whatever the version', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          const first = await store.linkIdentity('person-1', work('ada'), 1);
          expect(first.outcome).to.equal('linked');
          const stored = await store.getPerson('person-1');
          expect(stored).to.deep.include({ version: 2 });

          expect(await store.linkIdentity('person-1', work('ada'), 2)).to.deep.equal({ outcome: 'linked', person: stored });
          expect(await store.linkIdentity('person-1', work('ada'), 1)).to.deep.equal({ outcome: 'linked', person: stored });
          expect(await store.getPerson('person-1')).to.deep.equal(stored);
        });

        it('linkIdentity keeps one identity per issuer, beside identities of other issuers', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          await store.linkIdentity('person-1', work('ada'), 1);

          expect(await store.linkIdentity('person-1', work('ada-again'), 2)).to.deep.equal({ outcome: 'issuer_already_linked' });
          expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [work('ada')] });
          expect(await store.findPersonByIdentity(workIssuer, 'ada-again')).to.equal(undefined);

          const other = { issuer: otherIssuer, subject: 'ada' };
          const linked = await store.linkIdentity('person-1', other, 2);
          expect(linked).to.deep.include({ outcome: 'linked' });
          expect(await store.getPerson('person-1')).to.deep.include({ version: 3, identities: [work('ada'), other] });
          expect((await store.findPersonByIdentity(otherIssuer, 'ada'))?.id).to.equal('person-1');
          expect((await store.findPersonByIdentity(workIssuer, 'ada'))?.id).to.equal('person-1');

          // The refused identity was never claimed: someone else can link it.
          expect(await store.linkIdentity('person-2', work('ada-again'), 1)).to.deep.include({ outcome: 'linked' });
        });

        it('linkIdentity refuses an identity another person holds, naming them, and changes neither person', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          await store.linkIdentity('person-1', work('shared'), 1);
          const holder = await store.getPerson('person-1');

          expect(await store.linkIdentity('person-2', work('shared'), 1)).to.deep.equal({ outcome: 'taken', personId: 'person-1' });

          expect(await store.getPerson('person-1')).to.deep.equal(holder);
          expect(await store.getPerson('person-2')).to.deep.include({ version: 1, identities: [] });
          expect(await store.findPersonByIdentity(workIssuer, 'shared')).to.deep.equal(holder);
        });

        it('linkIdentity with a stale version, or for a person who is gone, is stale and claims nothing', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          await store.savePerson(person('person-1', 'ada@example.com', { displayName: 'Ada' }), 1);

          expect(await store.linkIdentity('person-1', work('ada'), 1)).to.deep.equal({ outcome: 'stale' });
          expect(await store.linkIdentity('person-1', work('ada'), 3)).to.deep.equal({ outcome: 'stale' });
          expect(await store.linkIdentity('person-unknown', work('ada'), 1)).to.deep.equal({ outcome: 'stale' });
          expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [] });
          expect(await store.findPersonByIdentity(workIssuer, 'ada')).to.equal(undefined);
          expect(await store.getPerson('person-unknown')).to.equal(undefined);

          expect(await store.linkIdentity('person-2', work('ada'), 1)).to.deep.include({ outcome: 'linked' });
        });

        it('linkIdentity lets exactly one of 20 people link one identity in parallel', async () => {
          const ids = times(20, (index) => `person-${pad(index)}`);
          await Promise.all(ids.map((id) => store.createPersonIfAbsent(person(id, `${id}@example.com`))));

          const outcomes = await Promise.all(ids.map((id) => store.linkIdentity(id, work('shared'), 1)));

          const winners = outcomes.flatMap((outcome, index) => (outcome.outcome === 'linked' ? [ids[index]!] : []));
          expect(winners).to.have.length(1);
          const [winner] = winners;
          // The others lost to a claim of the winner, or to the winner's saved link: either way it is taken by the winner.
          for (const outcome of outcomes) if (outcome.outcome !== 'linked') expect(outcome).to.deep.equal({ outcome: 'taken', personId: winner });
          expect((await store.findPersonByIdentity(workIssuer, 'shared'))?.id).to.equal(winner);
          for (const id of ids) {
            expect(await store.getPerson(id), id).to.deep.include(id === winner ? { version: 2, identities: [work('shared')] } : { version: 1, identities: [] });
          }
        });

        it('linkIdentity saves one of 20 parallel links to one person and leaves the identities of the others free', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          const identities = times(20, (index) => ({ issuer: `https://idp-${pad(index)}.example`, subject: 'ada' }));

          const outcomes = await Promise.all(identities.map((identity) => store.linkIdentity('person-1', identity, 1)));

          expect(outcomes.filter((outcome) => outcome.outcome === 'linked')).to.have.length(1);
          expect(outcomes.filter((outcome) => outcome.outcome === 'stale')).to.have.length(19);
          const winner = identities[outcomes.findIndex((outcome) => outcome.outcome === 'linked')]!;
          expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [winner] });
          let version = 1;
          for (const identity of identities) {
            if (identity === winner) continue;
            expect(await store.findPersonByIdentity(identity.issuer, identity.subject), identity.issuer).to.equal(undefined);
            expect(await store.linkIdentity('person-2', identity, version), identity.issuer).to.deep.include({ outcome: 'linked' });
            version += 1;
          }
        });
      });

      describe('deleting', () => {
        it('deletePerson returns the person and removes them from every lookup and from the list', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          await store.linkIdentity('person-1', work('ada'), 1);
          await store.linkIdentity('person-1', { issuer: otherIssuer, subject: 'ada' }, 2);
          const ada = await store.getPerson('person-1');

          expect(await store.deletePerson('person-1')).to.deep.equal(ada);

          expect(await store.getPerson('person-1')).to.equal(undefined);
          expect(await store.findPersonByEmail('ada@example.com')).to.equal(undefined);
          expect(await store.findPersonByIdentity(workIssuer, 'ada')).to.equal(undefined);
          expect(await store.findPersonByIdentity(otherIssuer, 'ada')).to.equal(undefined);
          expect(await emailsOf({})).to.deep.equal(['bob@example.com']);
          expect(await emailsOf({ emailPrefix: 'ada' })).to.deep.equal([]);
          expect(await store.deletePerson('person-1')).to.equal(undefined);
          expect(await store.savePerson(ada!, 3)).to.equal(false);
          expect(await store.linkIdentity('person-1', { issuer: 'https://third.example', subject: 'ada' }, 3)).to.deep.equal({ outcome: 'stale' });
          expect(await store.getPerson('person-1')).to.equal(undefined);

          // The deleted person's identities are free again.
          expect(await store.linkIdentity('person-2', work('ada'), 1)).to.deep.include({ outcome: 'linked' });
          expect((await store.findPersonByIdentity(workIssuer, 'ada'))?.id).to.equal('person-2');
        });

        it('deletePerson of a person who is not there deletes and marks nothing', async () => {
          expect(await store.deletePerson('person-unknown')).to.equal(undefined);
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
        });

        it('marks a deleted address until a person is created for it again', async () => {
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);

          await store.deletePerson('person-1');
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
          expect(await store.isEmailDeleted('bob@example.com')).to.equal(false);
          expect(await store.isEmailDeleted('ADA@example.com')).to.equal(false);

          // A person created for another address leaves the mark alone.
          await store.createPersonIfAbsent(person('person-3', 'carol@example.com'));
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);

          const again = await store.createPersonIfAbsent(person('person-4', 'ada@example.com', { userType: 'guest', invitedAt: 1_700_000_300_000 }));
          expect(again).to.deep.equal({ person: person('person-4', 'ada@example.com', { invitedAt: 1_700_000_300_000 }), created: true });
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
          expect((await store.findPersonByEmail('ada@example.com'))?.id).to.equal('person-4');
          expect(await store.getPerson('person-1')).to.equal(undefined);

          await store.deletePerson('person-4');
          expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
        });
      });

      describe('listing', () => {
        it('lists people in address order, compared as UTF-8 bytes', async () => {
          const addresses = ['bob@example.com', 'ünal@example.com', 'ada@example.com', 'zoe@example.com', 'ada.lovelace@example.com', 'ada@example.co', 'adam@example.com'];
          await Promise.all(addresses.map((address, index) => store.createPersonIfAbsent(person(`person-${index}`, address))));

          const { items, nextCursor } = await store.listPeople({}, { limit: 10 });

          expect(items.map((entry) => entry.emailNormalized)).to.deep.equal([
            'ada.lovelace@example.com',
            'ada@example.co',
            'ada@example.com',
            'adam@example.com',
            'bob@example.com',
            'zoe@example.com',
            'ünal@example.com',
          ]);
          expect(items[2]).to.deep.equal(person('person-2', 'ada@example.com'));
          expect(nextCursor).to.equal(null);
        });

        it('lists nothing when there is no one', async () => {
          for (const query of [{}, { emailPrefix: 'ada' }, { userType: 'guest' as const }]) {
            expect(await store.listPeople(query, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
          }
        });

        it('pages through 25 people 10 at a time and ends with a null cursor', async () => {
          const addresses = times(25, (index) => `p${pad(index)}@example.com`);
          await Promise.all(addresses.toReversed().map((address, index) => store.createPersonIfAbsent(person(`person-${index}`, address))));
          expect(await pagesOf({}, 10)).to.deep.equal([addresses.slice(0, 10), addresses.slice(10, 20), addresses.slice(20)]);
        });

        it('filters by address prefix and by user type, alone and together, across pages', async () => {
          const userTypes = ['member', 'guest', 'adhoc'] as const;
          await Promise.all(
            times(25, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${pad(index)}@example.com`, { userType: userTypes[index % 3]! }))),
          );
          const addresses = (indexes: number[]) => indexes.map((index) => `p${pad(index)}@example.com`);

          expect(await pagesOf({ emailPrefix: 'p1' }, 4)).to.deep.equal([addresses([10, 11, 12, 13]), addresses([14, 15, 16, 17]), addresses([18, 19])]);
          // The last page is exactly full, so the one before it already ends the list.
          expect(await pagesOf({ userType: 'member' }, 3)).to.deep.equal([addresses([0, 3, 6]), addresses([9, 12, 15]), addresses([18, 21, 24])]);
          expect(await pagesOf({ userType: 'guest', emailPrefix: 'p1' }, 2)).to.deep.equal([addresses([10, 13]), addresses([16, 19])]);
          expect(await pagesOf({ userType: 'adhoc', emailPrefix: 'p2' }, 10)).to.deep.equal([addresses([20, 23])]);
          expect(await pagesOf({ emailPrefix: 'p07@example.com' }, 10)).to.deep.equal([addresses([7])]);
          expect(await pagesOf({ emailPrefix: '' }, 10)).to.deep.equal([addresses(times(10, (index) => index)), addresses(times(10, (index) => index + 10)), addresses([20, 21, 22, 23, 24])]);
          expect(await pagesOf({ emailPrefix: 'P1' }, 10)).to.deep.equal([[]]);
          expect(await pagesOf({ emailPrefix: 'q' }, 10)).to.deep.equal([[]]);
          expect(await pagesOf({ emailPrefix: 'p07@example.com.' }, 10)).to.deep.equal([[]]);
        });

        it('pages through a type filter that matches few of many people', async () => {
          await Promise.all(
            times(300, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${pad(index, 3)}@example.com`, { userType: index % 60 === 0 ? 'member' : 'adhoc' }))),
          );
          expect(await pagesOf({ userType: 'member' }, 2)).to.deep.equal([
            ['p000@example.com', 'p060@example.com'],
            ['p120@example.com', 'p180@example.com'],
            ['p240@example.com'],
          ]);
        });

        it('goes on after the cursor even when the person it names was deleted meanwhile', async () => {
          await Promise.all(times(5, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${index}@example.com`))));
          const first = await store.listPeople({}, { limit: 2 });
          expect(first.items.map((entry) => entry.emailNormalized)).to.deep.equal(['p0@example.com', 'p1@example.com']);
          await store.deletePerson('person-1');
          await store.deletePerson('person-2');
          const second = await store.listPeople({}, { cursor: first.nextCursor!, limit: 2 });
          expect(second).to.deep.equal({ items: [person('person-3', 'p3@example.com'), person('person-4', 'p4@example.com')], nextCursor: null });
        });

        it('rejects a bad cursor with an InvalidCursorError', async () => {
          await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
          const encode = (text: string) => Buffer.from(text).toString('base64url');
          const cursors = [
            'not a cursor',
            '',
            encode('ada@example.com'),
            encode('\u0000person-1'),
            encode('ada@example.com\u0000'),
            encode('ada@example.com\u0000person-1\u0000x'),
            encode('1700000000000:link-1'),
            encode('12-3'),
          ];
          await expectEachCursorRejected((query, page) => store.listPeople(query, page), [{}, { emailPrefix: 'ada' }, { userType: 'guest' as const }], cursors);
        });

        it('rejects a page limit below 1 with a RangeError', async () => {
          expect(await rejectionOf(store.listPeople({}, { limit: 0 }))).to.be.instanceOf(RangeError);
        });
      });

      it('returns copies: changing what it returned or was given changes nothing stored', async () => {
        const given = person('person-1', 'ada@example.com', { groups: ['readers'] });
        await store.createPersonIfAbsent(given);
        given.groups.push('given');
        (await store.getPerson('person-1'))!.groups.push('got');
        (await store.findPersonByEmail('ada@example.com'))!.groups.push('found');
        (await store.listPeople({}, { limit: 1 })).items[0]!.groups.push('listed');
        const linked = await store.linkIdentity('person-1', work('ada'), 1);
        if (linked.outcome !== 'linked') throw new Error(`expected linked, not ${linked.outcome}`);
        linked.person.identities.push(work('eve'));
        linked.person.groups.push('linked');
        (await store.findPersonByIdentity(workIssuer, 'ada'))!.identities.push(work('mallory'));

        const saved = { ...person('person-1', 'ada@example.com', { groups: ['readers'] }), identities: [work('ada')] };
        expect(await store.getPerson('person-1')).to.deep.equal({ ...saved, version: 2 });
        await store.savePerson(saved, 2);
        saved.groups.push('saved');
        expect(await store.getPerson('person-1')).to.deep.equal({ ...person('person-1', 'ada@example.com', { groups: ['readers'] }), identities: [work('ada')], version: 3 });
        expect(await store.findPersonByIdentity(workIssuer, 'eve')).to.equal(undefined);
      });
    });

    describe('settings', () => {
      const policy = (sharingLevel: string) => ({ sharingLevel, reverificationDays: 30, domains: { allow: ['example.com'] }, guestUpgrade: 'automatic' });

      it('has no settings until the first save', async () => {
        expect(await store.getSettings()).to.equal(undefined);
      });

      it('saves the first settings as version 1, and only when none are stored', async () => {
        expect(await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, undefined)).to.equal(true);
        const first = { version: 1, value: policy('existingGuests'), updatedAt: 1_700_000_000_000 };
        expect(await store.getSettings()).to.deep.equal(first);
        expect(await store.saveSettings(policy('organizationOnly'), 1_700_000_001_000, undefined)).to.equal(false);
        expect(await store.getSettings()).to.deep.equal(first);
      });

      it('saveSettings writes the next version only over the version the caller read', async () => {
        expect(await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, 1)).to.equal(false);
        expect(await store.getSettings()).to.equal(undefined);
        await store.saveSettings(policy('existingGuests'), 1_700_000_000_000, undefined);

        expect(await store.saveSettings(policy('organizationOnly'), 1_700_000_001_000, 1)).to.equal(true);
        const second = { version: 2, value: policy('organizationOnly'), updatedAt: 1_700_000_001_000 };
        expect(await store.getSettings()).to.deep.equal(second);

        expect(await store.saveSettings(policy('stale'), 1_700_000_002_000, 1)).to.equal(false);
        expect(await store.saveSettings(policy('from the future'), 1_700_000_002_000, 3)).to.equal(false);
        expect(await store.getSettings()).to.deep.equal(second);
      });

      it('saveSettings lets exactly one of 20 parallel savers of the same version win, first save or later', async () => {
        const firsts = await Promise.all(times(20, (index) => store.saveSettings(policy(`first-${index}`), 1_700_000_000_000, undefined)));
        expect(firsts.filter(Boolean)).to.have.length(1);
        expect(await store.getSettings()).to.deep.include({ version: 1, value: policy(`first-${firsts.indexOf(true)}`) });

        const seconds = await Promise.all(times(20, (index) => store.saveSettings(policy(`second-${index}`), 1_700_000_001_000, 1)));
        expect(seconds.filter(Boolean)).to.have.length(1);
        expect(await store.getSettings()).to.deep.include({ version: 2, value: policy(`second-${seconds.indexOf(true)}`) });
      });

      it('returns copies: changing what it returned or was given changes nothing stored', async () => {
        const given = policy('existingGuests');
        await store.saveSettings(given, 1_700_000_000_000, undefined);
        given.domains.allow.push('given.example');
        (await store.getSettings<ReturnType<typeof policy>>())!.value.domains.allow.push('got.example');
        expect(await store.getSettings()).to.deep.equal({ version: 1, value: policy('existingGuests'), updatedAt: 1_700_000_000_000 });
      });
    });

    describe('secure links', () => {
      const idsOf = async (query: LinkQuery, limit = 100) => (await store.listLinks(query, { limit })).items.map((link) => link.id);

      /** Every page of a list, as ids; checks that only the last page has a null cursor. */
      async function pagesOf(query: LinkQuery, limit: number): Promise<string[][]> {
        const pages: string[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.listLinks(query, { cursor, limit });
          pages.push(page.items.map((link) => link.id));
          if (page.nextCursor === null) return pages;
          expect(page.items).to.have.length(limit);
          if (pages.length > 100) throw new Error(`no last page after 100 pages of ${JSON.stringify(query)}`);
          cursor = page.nextCursor;
        }
      }

      it('creates a link and reads it back as version 1', async () => {
        const link = secureLink('link-1', {
          version: 7,
          recipients: [recipient('ada@example.com', { verifiedAt: 1_700_000_100_000, lastAccessAt: 1_700_000_200_000 }), recipient('bob@example.com')],
          expiresAt: 1_800_000_000_000,
        });
        expect(await store.createLink(link)).to.equal(true);
        expect(await store.getLink('link-1')).to.deep.equal({ ...link, version: 1 });
        expect(await store.getLink('link-unknown')).to.equal(undefined);
      });

      it('createLink refuses a taken id and leaves the existing link and its place in every list alone', async () => {
        const first = secureLink('link-1');
        await store.createLink(first);
        await store.createLink(secureLink('link-2', { createdAt: first.createdAt + 1000 }));
        const intruder = secureLink('link-1', { clientId: 'client-2', resource: 'other', createdAt: first.createdAt + 5000, recipients: [recipient('eve@example.com')] });

        expect(await store.createLink(intruder)).to.equal(false);

        expect(await store.getLink('link-1')).to.deep.equal(first);
        expect(await idsOf({})).to.deep.equal(['link-2', 'link-1']);
        expect(await idsOf({ clientId: 'client-2' })).to.deep.equal([]);
        expect(await idsOf({ recipient: 'eve@example.com' })).to.deep.equal([]);
        expect(await idsOf({ resource: 'other' })).to.deep.equal([]);
      });

      it('createLink lets exactly one of 20 parallel creators of one id win', async () => {
        const results = await Promise.all(times(20, (index) => store.createLink(secureLink('link-1', { resource: `resource-${index}` }))));
        expect(results.filter(Boolean)).to.have.length(1);
        expect((await store.getLink('link-1'))?.resource).to.equal(`resource-${results.indexOf(true)}`);
      });

      it('saveLink writes the next version only over the version the caller read', async () => {
        await store.createLink(secureLink('link-1'));
        const extended = { ...secureLink('link-1'), expiresAt: 1_900_000_000_000 };

        expect(await store.saveLink(extended, 1)).to.equal(true);
        expect(await store.getLink('link-1')).to.deep.equal({ ...extended, version: 2 });

        expect(await store.saveLink({ ...extended, resource: 'stale' }, 1)).to.equal(false);
        expect(await store.saveLink({ ...extended, resource: 'from the future' }, 3)).to.equal(false);
        expect(await store.getLink('link-1')).to.deep.equal({ ...extended, version: 2 });

        expect(await store.saveLink({ ...extended, version: 3, resource: 'renamed' }, 2)).to.equal(true);
        expect(await store.getLink('link-1')).to.deep.include({ version: 3, resource: 'renamed' });
      });

      it('saveLink lets exactly one of 20 parallel savers of the same version win, and lists the link only under its recipients', async () => {
        await store.createLink(secureLink('link-1'));
        const saves = times(20, (index) =>
          store.saveLink(secureLink('link-1', { version: 2, recipients: [recipient('ada@example.com'), recipient(`reader-${index}@example.com`)] }), 1),
        );
        const results = await Promise.all(saves);
        expect(results.filter(Boolean)).to.have.length(1);
        const winner = results.indexOf(true);
        const stored = await store.getLink('link-1');
        expect(stored?.version).to.equal(2);
        expect(stored?.recipients.map((entry) => entry.emailNormalized)).to.deep.equal(['ada@example.com', `reader-${winner}@example.com`]);
        for (const index of times(20, (index) => index)) {
          expect(await idsOf({ recipient: `reader-${index}@example.com` }), `reader-${index}`).to.deep.equal(index === winner ? ['link-1'] : []);
        }
      });

      it('saveLink of a link that is gone stores nothing', async () => {
        expect(await store.saveLink(secureLink('link-1'), 1)).to.equal(false);
        expect(await store.getLink('link-1')).to.equal(undefined);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal([]);
      });

      it('saveLink throws a TypeError for a change of clientId or createdAt and stores nothing', async () => {
        const link = secureLink('link-1');
        await store.createLink(link);
        for (const change of [{ clientId: 'client-2' }, { createdAt: link.createdAt + 1 }]) {
          expect(await rejectionOf(store.saveLink({ ...link, ...change, resource: 'changed' }, 1))).to.be.instanceOf(TypeError);
        }
        expect(await store.getLink('link-1')).to.deep.equal(link);
        expect(await idsOf({ clientId: 'client-2' })).to.deep.equal([]);
      });

      it('lists a link under a recipient once added, and no longer once removed, also when added again', async () => {
        const link = secureLink('link-1', { recipients: [recipient('ada@example.com')] });
        await store.createLink(link);
        const ada = recipient('ada@example.com');
        const bob = recipient('bob@example.com');

        await store.saveLink({ ...link, recipients: [ada, bob] }, 1);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-1']);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-1']);

        await store.saveLink({ ...link, recipients: [bob] }, 2);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal([]);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-1']);

        await store.saveLink({ ...link, recipients: [] }, 3);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);

        await store.saveLink({ ...link, recipients: [ada] }, 4);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-1']);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);
      });

      it('deleteLink returns the link and removes it from every list', async () => {
        const doomed = secureLink('link-1', { recipients: [recipient('ada@example.com'), recipient('bob@example.com')] });
        await store.createLink(doomed);
        await store.saveLink({ ...doomed, expiresAt: 1_900_000_000_000 }, 1);
        await store.createLink(secureLink('link-2', { createdAt: doomed.createdAt - 1000 }));

        expect(await store.deleteLink('link-1')).to.deep.equal({ ...doomed, expiresAt: 1_900_000_000_000, version: 2 });

        expect(await store.getLink('link-1')).to.equal(undefined);
        expect(await idsOf({})).to.deep.equal(['link-2']);
        expect(await idsOf({ clientId: 'client-1' })).to.deep.equal(['link-2']);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-2']);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);
        expect(await idsOf({ resource: doomed.resource })).to.deep.equal([]);
        expect(await store.deleteLink('link-1')).to.equal(undefined);
        expect(await store.saveLink(doomed, 2)).to.equal(false);
      });

      it('lists links newest first, and links of the same ms by id, descending', async () => {
        const base = 1_700_000_000_000;
        const created = [
          secureLink('link-b', { createdAt: base + 2000 }),
          secureLink('link-old', { createdAt: base }),
          secureLink('link-new', { createdAt: base + 5000 }),
          secureLink('link-a', { createdAt: base + 2000 }),
          secureLink('link-c', { createdAt: base + 2000 }),
        ];
        for (const link of created) await store.createLink(link);
        const { items, nextCursor } = await store.listLinks({}, { limit: 10 });
        expect(items.map((link) => link.id)).to.deep.equal(['link-new', 'link-c', 'link-b', 'link-a', 'link-old']);
        expect(items[0]).to.deep.equal(created[2]);
        expect(nextCursor).to.equal(null);
      });

      it('lists nothing when there are no links', async () => {
        expect(await store.listLinks({}, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
        expect(await store.listLinks({ recipient: 'ada@example.com' }, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
        expect(await store.listLinks({ clientId: 'client-1' }, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
      });

      it('filters by clientId, resource and recipient, alone and together', async () => {
        const base = 1_700_000_000_000;
        const ada = recipient('ada@example.com');
        const bob = recipient('bob@example.com');
        await store.createLink(secureLink('link-1', { createdAt: base + 1, clientId: 'client-1', resource: 'report.pdf', recipients: [ada] }));
        await store.createLink(secureLink('link-2', { createdAt: base + 2, clientId: 'client-1', resource: 'budget.xlsx', recipients: [ada, bob] }));
        await store.createLink(secureLink('link-3', { createdAt: base + 3, clientId: 'client-2', resource: 'report.pdf', recipients: [bob] }));
        await store.createLink(secureLink('link-4', { createdAt: base + 4, clientId: 'client-2', resource: 'report.pdf', recipients: [] }));

        expect(await idsOf({ clientId: 'client-1' })).to.deep.equal(['link-2', 'link-1']);
        expect(await idsOf({ clientId: 'client-2' })).to.deep.equal(['link-4', 'link-3']);
        expect(await idsOf({ resource: 'report.pdf' })).to.deep.equal(['link-4', 'link-3', 'link-1']);
        expect(await idsOf({ resource: 'report' })).to.deep.equal([]);
        expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-2', 'link-1']);
        expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-3', 'link-2']);
        expect(await idsOf({ recipient: 'ADA@example.com' })).to.deep.equal([]);
        expect(await idsOf({ clientId: 'client-2', resource: 'report.pdf' })).to.deep.equal(['link-4', 'link-3']);
        expect(await idsOf({ clientId: 'client-1', recipient: 'bob@example.com' })).to.deep.equal(['link-2']);
        expect(await idsOf({ clientId: 'client-2', resource: 'report.pdf', recipient: 'bob@example.com' })).to.deep.equal(['link-3']);
        expect(await idsOf({ clientId: 'client-3' })).to.deep.equal([]);
        expect(await idsOf({ clientId: '' })).to.deep.equal([]);
      });

      it('pages through 25 links 10 at a time and ends with a null cursor', async () => {
        const base = 1_700_000_000_000;
        const ids = times(25, (index) => `link-${String(index).padStart(2, '0')}`);
        await Promise.all(ids.map((id, index) => store.createLink(secureLink(id, { createdAt: base + index * 1000 }))));
        const newestFirst = ids.toReversed();

        for (const query of [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }]) {
          expect(await pagesOf(query, 10), JSON.stringify(query)).to.deep.equal([newestFirst.slice(0, 10), newestFirst.slice(10, 20), newestFirst.slice(20)]);
        }
      });

      it('gives a null cursor when the last page is exactly full', async () => {
        await Promise.all(times(4, (index) => store.createLink(secureLink(`link-${index}`, { createdAt: 1_700_000_000_000 + index }))));
        for (const query of [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }]) {
          expect(await pagesOf(query, 2), JSON.stringify(query)).to.deep.equal([['link-3', 'link-2'], ['link-1', 'link-0']]);
        }
      });

      it('pages through a filter that matches few of many links', async () => {
        const base = 1_700_000_000_000;
        await Promise.all(
          times(300, (index) =>
            store.createLink(
              secureLink(`link-${String(index).padStart(3, '0')}`, {
                createdAt: base + index,
                resource: index % 60 === 0 ? 'shared.pdf' : `file-${index}.pdf`,
                clientId: index % 2 === 0 ? 'client-even' : 'client-odd',
                recipients: index % 60 === 0 ? [recipient('ada@example.com')] : [recipient('bob@example.com')],
              }),
            ),
          ),
        );
        const expected = [['link-240', 'link-180'], ['link-120', 'link-060'], ['link-000']];
        expect(await pagesOf({ resource: 'shared.pdf' }, 2)).to.deep.equal(expected);
        expect(await pagesOf({ clientId: 'client-even', resource: 'shared.pdf' }, 2)).to.deep.equal(expected);
        expect(await pagesOf({ recipient: 'ada@example.com' }, 2)).to.deep.equal(expected);
        expect(await pagesOf({ clientId: 'client-odd', resource: 'shared.pdf' }, 2)).to.deep.equal([[]]);
      });

      it('pages through many links created in the same ms without losing or repeating one', async () => {
        const createdAt = 1_700_000_000_000;
        const ids = times(130, (index) => `link-${String(index).padStart(3, '0')}`);
        await Promise.all(
          ids.map((id, index) => store.createLink(secureLink(id, { createdAt, resource: index % 10 === 0 ? 'shared.pdf' : `file-${index}.pdf` }))),
        );
        const newestFirst = ids.toReversed();

        const pages = await pagesOf({}, 50);
        expect(pages.map((page) => page.length)).to.deep.equal([50, 50, 30]);
        expect(pages.flat()).to.deep.equal(newestFirst);

        const shared = newestFirst.filter((id) => Number(id.slice(5)) % 10 === 0);
        const sharedPages = await pagesOf({ resource: 'shared.pdf' }, 4);
        expect(sharedPages.map((page) => page.length)).to.deep.equal([4, 4, 4, 1]);
        expect(sharedPages.flat()).to.deep.equal(shared);
      });

      it('rejects a bad cursor with an InvalidCursorError', async () => {
        await store.createLink(secureLink('link-1'));
        const encode = (text: string) => Buffer.from(text).toString('base64url');
        const cursors = ['not a cursor', '', encode('1700000000000'), encode('1700000000000:'), encode('soon:link-1'), encode('01700000000000:link-1'), encode('12-3')];
        await expectEachCursorRejected((query, page) => store.listLinks(query, page), [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }], cursors);
      });

      it('rejects a page limit below 1 with a RangeError', async () => {
        expect(await rejectionOf(store.listLinks({}, { limit: 0 }))).to.be.instanceOf(RangeError);
      });

      it('returns copies: changing what it returned or was given changes nothing stored', async () => {
        const link = secureLink('link-1');
        await store.createLink(link);
        link.recipients.push(recipient('eve@example.com'));
        (await store.getLink('link-1'))!.recipients[0]!.verifiedAt = 1;
        (await store.listLinks({}, { limit: 1 })).items[0]!.resource = 'changed';
        expect(await store.getLink('link-1')).to.deep.equal(secureLink('link-1'));
        expect(await idsOf({ recipient: 'eve@example.com' })).to.deep.equal([]);

        const saved = secureLink('link-1', { expiresAt: 1_900_000_000_000 });
        await store.saveLink(saved, 1);
        saved.expiresAt = 1;
        expect(await store.getLink('link-1')).to.deep.equal({ ...secureLink('link-1', { expiresAt: 1_900_000_000_000 }), version: 2 });
      });
    });

    describe('audit log', () => {
      it('appendAudit returns the events with ids in append order', async () => {
        const first = await store.appendAudit([auditEvent({ operation: 'VerificationCodeSent' }), auditEvent({ operation: 'VerificationSucceeded' })]);
        const second = await store.appendAudit([auditEvent({ operation: 'SignedIn' })]);
        const ids = [...first, ...second].map((event) => event.id);
        for (const id of ids) expect(id).to.match(/^\d+-\d+$/);
        expect(ids.toSorted(compareAuditIds)).to.deep.equal(ids);
        expect(new Set(ids).size).to.equal(3);
        expect(first[0]).to.deep.include({ operation: 'VerificationCodeSent', actor: { type: 'person', id: 'person-1' } });
      });

      it('lists events oldest first, as stored', async () => {
        const appended = [
          ...(await store.appendAudit([auditEvent({ operation: 'GuestInvited', sharingId: 'link-1', detail: { email: 'ada@example.com' } })])),
          ...(await store.appendAudit([auditEvent({ operation: 'GuestRedeemed', ip: '192.0.2.1', userAgent: 'test' })])),
          ...(await store.appendAudit([auditEvent({ operation: 'SignedIn', result: 'failure' })])),
        ];
        expect(await store.listAudit({}, { limit: 10 })).to.deep.equal({ items: appended, nextCursor: null });
      });

      it('lists nothing from an empty log', async () => {
        expect(await store.listAudit({}, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
      });

      it('filters by operation, sharingId and email', async () => {
        await store.appendAudit([
          auditEvent({ operation: 'AddedToSecureLink', sharingId: 'link-1', detail: { email: 'ada@example.com' } }),
          auditEvent({ operation: 'AddedToSecureLink', sharingId: 'link-2', detail: { email: 'bob@example.com' } }),
          auditEvent({ operation: 'VerificationCodeSent', sharingId: 'link-1', detail: { email: 'bob@example.com' } }),
          auditEvent({ operation: 'SignedIn', detail: { email: 'ada@example.com' } }),
        ]);
        const operations = async (query: Parameters<Store['listAudit']>[0]) =>
          (await store.listAudit(query, { limit: 10 })).items.map((event) => [event.operation, event.sharingId ?? null, event.detail.email]);

        expect(await operations({ operation: 'AddedToSecureLink' })).to.deep.equal([
          ['AddedToSecureLink', 'link-1', 'ada@example.com'],
          ['AddedToSecureLink', 'link-2', 'bob@example.com'],
        ]);
        expect(await operations({ sharingId: 'link-1' })).to.deep.equal([
          ['AddedToSecureLink', 'link-1', 'ada@example.com'],
          ['VerificationCodeSent', 'link-1', 'bob@example.com'],
        ]);
        expect(await operations({ email: 'ada@example.com' })).to.deep.equal([
          ['AddedToSecureLink', 'link-1', 'ada@example.com'],
          ['SignedIn', null, 'ada@example.com'],
        ]);
        expect(await operations({ operation: 'AddedToSecureLink', email: 'bob@example.com' })).to.deep.equal([['AddedToSecureLink', 'link-2', 'bob@example.com']]);
        expect(await operations({ operation: 'UserDeleted' })).to.deep.equal([]);
      });

      it('filters by clientId in the detail, alone and with other filters', async () => {
        await store.appendAudit([
          auditEvent({ operation: 'SignedIn', detail: { clientId: 'client-1', email: 'ada@example.com', index: 0 } }),
          auditEvent({ operation: 'SignedIn', detail: { clientId: 'client-2', email: 'ada@example.com', index: 1 } }),
          auditEvent({ operation: 'SecureLinkCreated', actor: { type: 'client', id: 'client-1' }, detail: { index: 2 } }),
          auditEvent({ operation: 'VerificationCodeSent', detail: { clientId: 'client-1', email: 'bob@example.com', index: 3 } }),
        ]);
        const indexes = async (query: Parameters<Store['listAudit']>[0]) => (await store.listAudit(query, { limit: 10 })).items.map((event) => event.detail.index);

        expect(await indexes({ clientId: 'client-1' })).to.deep.equal([0, 3]);
        expect(await indexes({ clientId: 'client-2' })).to.deep.equal([1]);
        expect(await indexes({ clientId: 'client-1', operation: 'SignedIn' })).to.deep.equal([0]);
        expect(await indexes({ clientId: 'client-1', email: 'bob@example.com' })).to.deep.equal([3]);
        expect(await indexes({ clientId: 'client-3' })).to.deep.equal([]);
        expect(await indexes({ clientId: '' })).to.deep.equal([]);
      });

      it('filters by time with inclusive bounds', async () => {
        const start = Date.parse('2026-01-01T00:00:00.000Z');
        await store.appendAudit(times(5, (index) => auditEvent({ time: new Date(start + index * 60_000).toISOString(), detail: { index } })));
        const { items } = await store.listAudit({ since: start + 60_000, until: start + 180_000 }, { limit: 10 });
        expect(items.map((event) => event.detail.index)).to.deep.equal([1, 2, 3]);
        expect((await store.listAudit({ since: start + 240_001 }, { limit: 10 })).items).to.deep.equal([]);
      });

      it('pages with nextCursor and ends with a null cursor on the last page', async () => {
        await store.appendAudit(times(5, (index) => auditEvent({ detail: { index } })));
        const pages: unknown[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.listAudit({}, { cursor, limit: 2 });
          pages.push(page.items.map((event) => event.detail.index));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(pages).to.deep.equal([[0, 1], [2, 3], [4]]);
      });

      it('gives a null cursor when the last page is exactly full', async () => {
        await store.appendAudit(times(4, (index) => auditEvent({ detail: { index } })));
        const first = await store.listAudit({}, { limit: 2 });
        expect(first.nextCursor).to.be.a('string');
        const second = await store.listAudit({}, { cursor: first.nextCursor!, limit: 2 });
        expect(second.items.map((event) => event.detail.index)).to.deep.equal([2, 3]);
        expect(second.nextCursor).to.equal(null);
      });

      it('pages through a filter that matches few of many events', async () => {
        await store.appendAudit(times(450, (index) => auditEvent({ operation: index % 90 === 0 ? 'GuestInvited' : 'SignedIn', detail: { index } })));
        const pages: unknown[][] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await store.listAudit({ operation: 'GuestInvited' }, { cursor, limit: 2 });
          pages.push(page.items.map((event) => event.detail.index));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(pages).to.deep.equal([[0, 90], [180, 270], [360]]);
      });

      it('rejects a bad cursor with an InvalidCursorError', async () => {
        for (const cursor of ['not a cursor', Buffer.from('12-x').toString('base64url'), '']) {
          const error = await rejectionOf(store.listAudit({}, { cursor, limit: 10 }));
          expect(error).to.be.instanceOf(InvalidCursorError);
          expect(error).to.include({ code: 'invalid_cursor' });
        }
      });

      it('trimAudit drops the events older than the given time', async () => {
        await store.appendAudit([auditEvent({ detail: { index: 0 } })]);
        await delay(5);
        const before = Date.now();
        await delay(5);
        await store.appendAudit([auditEvent({ detail: { index: 1 } }), auditEvent({ detail: { index: 2 } })]);

        await store.trimAudit(before);

        const { items } = await store.listAudit({}, { limit: 10 });
        expect(items.map((event) => event.detail.index)).to.deep.equal([1, 2]);
      });
    });

    describe('health', () => {
      it('ping resolves while the store answers', async () => {
        await store.ping();
      });
    });
  });

  describe(`${name} store contract: expiry`, () => {
    // One short wait serves every TTL below.
    let store: ContractStore;

    before(async () => {
      store = await createStore();
      await store.putRecord('signin', 'interaction-1', { step: 'code_sent' }, 1);
      await store.putCode('interaction-1', storedCode('code-a'), 1);
      await store.incrementCounter('codes:ada@example.com', 1, Date.now(), 3);
      await store.claimSlot('cooldown:ada@example.com', 1, Date.now());
      await store.upsertModel('Session', 'session-1', { uid: 'uid-1', accountId: 'account-1' }, 1);
      await store.upsertModel('AccessToken', 'token-1', { grantId: 'grant-1' }, 1);
      await store.upsertModel('Session', 'session-2', { uid: 'uid-2', accountId: 'account-1' }, 600);
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
      expect(await store.countCodeAttempt('interaction-1')).to.equal(undefined);
      expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
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
  });
}
