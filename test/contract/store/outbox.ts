/** The contract for the mail outbox: claims lease each mail to one claimer, finished mail keeps its status and loses its body. */
import { expect } from 'chai';

import { type ContractStore, outboxMail, times } from './fixtures.ts';

export function outboxContract(store: ContractStore): void {
  describe('mail outbox', () => {
    it('getMail returns the enqueued mail', async () => {
      const mail = outboxMail('mail-1');
      await store.enqueueMail(mail);
      expect(await store.getMail('mail-1')).to.deep.equal(mail);
      expect(await store.getMail('mail-unknown')).to.equal(undefined);
    });

    it('enqueueMail of a mail it holds (a write tried again) replaces it whole', async () => {
      const retrying = { ...outboxMail('mail-1'), state: 'retrying' as const, attempts: 2, lastError: '421 try later' };
      await store.enqueueMail(retrying);
      const mail = outboxMail('mail-1');
      await store.enqueueMail(mail);
      expect(await store.getMail('mail-1')).to.deep.equal(mail);
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

    it('enqueueClaimedMail queues a mail claimed as claimDueMail would: no other claimer gets it before its lease ends, exactly one after', async () => {
      const now = Date.now();
      const claimed = await store.enqueueClaimedMail(outboxMail('mail-claimed', { nextAttemptAt: now }), now, 30_000);
      expect(claimed).to.include({ id: 'mail-claimed', state: 'sending', attempts: 1, nextAttemptAt: now + 30_000, sealed: 'sealed-body-of-mail-claimed' });
      expect(await store.getMail('mail-claimed')).to.deep.equal(claimed);
      // Other instances polling while the lease runs: none takes it.
      const during = await Promise.all(times(6, () => store.claimDueMail(now + 29_999, 30_000, 5)));
      expect(during.flat()).to.deep.equal([]);
      // This instance died before recording the outcome: once the lease ends, one of them takes it over.
      const after = await Promise.all(times(6, () => store.claimDueMail(now + 30_000, 30_000, 5)));
      expect(after.flat().map((mail) => [mail.id, mail.attempts])).to.deep.equal([['mail-claimed', 2]]);
    });

    it('enqueueClaimedMail then completeMail as sent forgets the mail, and leaves nothing to claim', async () => {
      const now = Date.now();
      await store.enqueueClaimedMail(outboxMail('mail-at-once', { nextAttemptAt: now }), now, 30_000);
      await store.completeMail('mail-at-once', { state: 'sent', at: now + 50 });
      expect(await store.getMail('mail-at-once')).to.equal(undefined);
      expect(await store.claimDueMail(now + 60_000, 30_000, 10)).to.deep.equal([]);
      expect((await store.outboxBacklog(10)).waiting).to.equal(0);
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

    it('completeMail of a sent mail forgets it, body and status, after a retry too', async () => {
      const now = Date.now();
      await store.enqueueMail(outboxMail('mail-1', { nextAttemptAt: now }));
      await store.claimDueMail(now, 30_000, 10);
      await store.completeMail('mail-1', { state: 'retrying', nextAttemptAt: now + 1000, error: '451 try again later' });
      await store.claimDueMail(now + 1000, 30_000, 10);

      await store.completeMail('mail-1', { state: 'sent', at: now + 1100 });

      expect(await store.getMail('mail-1')).to.equal(undefined);
      expect(await store.claimDueMail(now + 60_000, 30_000, 10)).to.deep.equal([]);
      expect(await store.outboxBacklog(10)).to.deep.equal({ waiting: 0, oldestCreatedAt: undefined, complete: true });
      // A second outcome for it (an instance whose lease had run out sent it too) recreates nothing.
      await store.completeMail('mail-1', { state: 'failed', error: '550 no such user' });
      expect(await store.getMail('mail-1')).to.equal(undefined);
    });

    it('completeMail from an attempt whose lease ran out and was claimed again records only a send: a failure or retry is the new holder\'s to say', async () => {
      const now = Date.now();
      await store.enqueueMail(outboxMail('mail-taken-over', { nextAttemptAt: now }));
      const [first] = await store.claimDueMail(now, 30_000, 10);
      const [second] = await store.claimDueMail(now + 30_001, 30_000, 10);
      expect([first?.attempts, second?.attempts]).to.deep.equal([1, 2]);
      // The first instance, late: its retry must not hand the mail to a third one while the second sends it.
      expect(await store.completeMail('mail-taken-over', { state: 'retrying', nextAttemptAt: now + 30_002, error: '451 later' }, 1)).to.equal(false);
      expect(await store.completeMail('mail-taken-over', { state: 'failed', error: '421 closing' }, 1)).to.equal(false);
      expect(await store.getMail('mail-taken-over')).to.include({ state: 'sending', attempts: 2, nextAttemptAt: now + 60_001, sealed: 'sealed-body-of-mail-taken-over' });
      expect(await store.claimDueMail(now + 30_002, 30_000, 10), 'still leased to the second').to.deep.equal([]);
      // A send is a send whoever made it: no one sends the mail again.
      expect(await store.completeMail('mail-taken-over', { state: 'sent', at: now + 30_003 }, 1)).to.equal(true);
      expect(await store.getMail('mail-taken-over')).to.equal(undefined);
      expect(await store.completeMail('mail-taken-over', { state: 'failed', error: '550 no such user' }, 2), 'nothing left to fail').to.equal(false);
    });

    it('completeMail from the attempt that holds the lease is recorded', async () => {
      const now = Date.now();
      await store.enqueueMail(outboxMail('mail-held', { nextAttemptAt: now }));
      await store.claimDueMail(now, 30_000, 10);
      expect(await store.completeMail('mail-held', { state: 'failed', error: '550 no such user' }, 1)).to.equal(true);
      expect(await store.getMail('mail-held')).to.include({ state: 'failed', lastError: '550 no such user' });
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
      expect(await store.completeMail('mail-unknown', { state: 'sent', at: Date.now() })).to.equal(false);
      expect(await store.getMail('mail-unknown')).to.equal(undefined);
    });

    it('outboxBacklog counts the mail still waiting and finds the oldest', async () => {
      const now = Date.now();
      expect(await store.outboxBacklog(100)).to.deep.equal({ waiting: 0, oldestCreatedAt: undefined, complete: true });
      await store.enqueueMail(outboxMail('mail-new', { createdAt: now - 1000, nextAttemptAt: now - 1000 }));
      await store.enqueueMail(outboxMail('mail-old', { createdAt: now - 60_000, nextAttemptAt: now + 5000, state: 'retrying' }));
      await store.enqueueMail(outboxMail('mail-sent', { state: 'sent', sealed: undefined, createdAt: now - 120_000, nextAttemptAt: now - 5000 }));
      await store.claimDueMail(now, 30_000, 1);

      expect(await store.outboxBacklog(100)).to.deep.equal({ waiting: 2, oldestCreatedAt: now - 60_000, complete: true });
      await store.completeMail('mail-new', { state: 'sent', at: now });
      expect(await store.outboxBacklog(100)).to.deep.equal({ waiting: 1, oldestCreatedAt: now - 60_000, complete: true });
    });

    it('outboxBacklog reads no more than its limit and says so', async () => {
      const now = Date.now();
      for (const index of times(3, (index) => index)) await store.enqueueMail(outboxMail(`mail-${index}`, { createdAt: now - index, nextAttemptAt: now + index }));
      const backlog = await store.outboxBacklog(2);
      expect(backlog).to.include({ waiting: 2, complete: false });
    });
  });
}
