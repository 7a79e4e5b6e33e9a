/**
 * The durable outbox: a code survives SMTP faults and a restart, gives up on a permanent
 * refusal, and is never sent after it expired. The code page tells the person where it stands.
 */
import { expect } from 'chai';

import { MemoryStore } from '../../adapters/memory.ts';
import type { MailState, OutboxMail } from '../../adapters/store.ts';
import { AuditLog } from '../../src/audit.ts';
import { createLogger } from '../../src/log.ts';
import { Outbox } from '../../src/mail/outbox.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { openSignIn, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { uniqueKeyPrefix } from '../support/redis.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

/** Waits for the one mail of a sign-in to reach a state (the outbox works in the background). */
async function mailReaches(gp: TestGuestpass, mailId: () => Promise<string | undefined>, states: MailState[], timeoutMs = 10_000): Promise<OutboxMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = await mailId();
    const mail = id ? await gp.store.getMail(id) : undefined;
    if (mail && states.includes(mail.state)) return mail;
    if (Date.now() > deadline) throw new Error(`mail did not reach ${states.join('/')} (is ${mail?.state})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the outbox no longer has the mail: it does not keep one it sent (adapters/store/outbox.ts). */
async function mailForgotten(gp: TestGuestpass, mailId: () => Promise<string | undefined>): Promise<void> {
  await gp.server.outbox.settled();
  const id = await mailId();
  expect(id, 'a code was sent').to.be.a('string');
  await waitFor(async () => (await gp.store.getMail(id!)) === undefined, 'the sent mail forgotten');
}

function sentMailId(gp: TestGuestpass, email: string) {
  return async () => {
    const events = (await gp.store.listAudit({ operation: 'VerificationCodeSent', email }, { limit: 10 })).items;
    return events.at(-1)?.detail.mailId as string | undefined;
  };
}

describe('the mail outbox', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const clock = new ManualClock();

  beforeEach(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, clock });
  });
  afterEach(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('retries a passing SMTP fault with backoff, shows the delay meanwhile, and delivers', async () => {
    smtp.refuseNext(2, 451, 'try again later', 'sender');
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'retry@example.org');
    const retrying = await mailReaches(gp, sentMailId(gp, 'retry@example.org'), ['retrying']);
    expect(retrying.lastError).to.match(/451/);
    clock.advanceSeconds(3); // past the moment the page says "sending" whatever happens
    expect(visibleText((await journey.browser.get(journey.page.url)).body)).to.contain('Taking longer than usual; we keep trying.');
    clock.advanceSeconds(1); // first backoff
    await waitFor(() => smtp.attempts >= 2);
    await mailReaches(gp, sentMailId(gp, 'retry@example.org'), ['retrying']);
    clock.advanceSeconds(2); // second backoff
    const mail = await smtp.waitForMail('retry@example.org');
    expect(smtp.attempts).to.equal(3);
    await mailForgotten(gp, sentMailId(gp, 'retry@example.org'));
    expect((await submitCode(journey, codeFrom(mail))).leftTo).to.match(/code=/);
  });

  it('gives up on a permanent refusal of the address, audits MailDeliveryFailed without the code, and shows it as sent (as for a withheld code)', async () => {
    smtp.refuseNext(1, 550, 'mailbox unavailable');
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'bounce@example.org');
    const failed = await mailReaches(gp, sentMailId(gp, 'bounce@example.org'), ['failed']);
    expect(failed.attempts).to.equal(1);
    clock.advanceSeconds(3);
    const page = await journey.browser.get(journey.page.url);
    expect(visibleText(page.body)).to.contain('Delivery: Sent.');
    const [event] = (await gp.store.listAudit({ operation: 'MailDeliveryFailed' }, { limit: 10 })).items;
    expect(event?.detail).to.include({ mail: 'verification code to b***@example.org' });
    expect(String(event?.detail.reason)).to.match(/550/);
    expect(JSON.stringify(event)).to.not.contain('bounce@example.org');
  });

  it('says the mail cannot be sent while the relay refuses every mail for good', async () => {
    smtp.refuseNext(1, 550, 'sender address rejected', 'sender');
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'relay-refuses@example.org');
    await mailReaches(gp, sentMailId(gp, 'relay-refuses@example.org'), ['failed']);
    clock.advanceSeconds(3);
    const page = await journey.browser.get(journey.page.url);
    expect(visibleText(page.body)).to.contain('Mail cannot be sent at the moment.');
  });

  it('runs work still waiting for its moment when the outbox stops: a code mail is queued, its delivery time counted from the request', async () => {
    const requestedAt = clock.now();
    const message = { to: 'waiting@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
    const outbox = gp.server.outbox;
    outbox.later(() => outbox.enqueue(message, { id: 'waiting-mail', requestedAt, label: 'verification code to w***@example.org', notAfter: requestedAt + 600_000 }).then(() => undefined), { message: 'not queued' });
    clock.advanceSeconds(10);
    await gp.server.outbox.stop();
    const queued = await gp.store.getMail('waiting-mail');
    expect(queued?.state).to.equal('queued');
    // The clock runs on in real time too: a few ms after the request, never the 10 s after it.
    expect(queued?.createdAt, 'counted from the request, so a pretended delivery lasts as long').to.be.within(requestedAt, requestedAt + 1000);
  });

  it('runs work handed over once it has stopped at once, so no later stop is needed to wait for it: a request still in flight at a shutdown', async () => {
    const store = new MemoryStore();
    const logger = createLogger('silent');
    const transport = { description: 'not used', send: () => Promise.reject(new Error('not sent')), close: async () => undefined };
    const settings = { maxAttempts: 3, initialBackoffSeconds: 1, maxBackoffSeconds: 10, pollIntervalMs: 1000 };
    const outbox = new Outbox({ store, transport, clock, logger, audit: new AuditLog(store, clock, logger), secrets: ['outbox-test-secret'], settings });
    outbox.start();
    await outbox.stop();
    // The shutdown's last stop is over; the store is about to close. A request that was still
    // running hands its work over now: it must not wait for a moment up to a second away.
    let ran = false;
    outbox.later(async () => void (ran = true), { message: 'not run' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.equal(true);
    await outbox.settled();
  });

  it('with codeMailJitter off, queues a code mail right after the answer', async () => {
    const quick = await startGuestpass({ store: 'memory', smtp, clock, config: { outbox: { codeMailJitter: false } } });
    try {
      const message = { to: 'at-once@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      const outbox = quick.server.outbox;
      outbox.later(() => outbox.enqueue(message, { id: 'at-once-mail', label: 'verification code to a***@example.org', notAfter: clock.now() + 600_000 }).then(() => undefined), { message: 'not queued' });
      expect(await quick.store.getMail('at-once-mail'), 'not before the answer').to.equal(undefined);
      // A timer of 0 ms: after this turn, before any timer the random delay could have drawn.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setImmediate(resolve));
      expect(await quick.store.getMail('at-once-mail')).to.not.equal(undefined);
    } finally {
      await quick.close();
    }
  });

  it('drops a mail whose code expired before it could be delivered', async () => {
    smtp.refuseNext(100, 421, 'service not available');
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'too-late@example.org');
    await mailReaches(gp, sentMailId(gp, 'too-late@example.org'), ['retrying']);
    clock.advanceSeconds(601);
    const expired = await mailReaches(gp, sentMailId(gp, 'too-late@example.org'), ['expired']);
    expect(expired.sealed).to.equal(undefined);
    expect((await gp.store.listAudit({ operation: 'MailDeliveryFailed' }, { limit: 10 })).items).to.have.length(1);
  });
});

describe('a queued code and a sign-in survive a restart (two instances, one Redis)', () => {
  it('lets a second instance deliver the mail and finish the sign-in the first one started', async () => {
    const smtp = await new SmtpCapture().start();
    const clock = new ManualClock();
    const keyPrefix = uniqueKeyPrefix('restart');
    const first = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix });
    let second: TestGuestpass | undefined;
    try {
      smtp.refuseNext(1, 451);
      const journey = await openSignIn(first);
      await submitEmail(journey, 'restart@example.org');
      const queued = await mailReaches(first, sentMailId(first, 'restart@example.org'), ['retrying']);
      await first.close();
      clock.advance(queued.nextAttemptAt - clock.now());

      second = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config: { port: Number(new URL(first.issuer).port) } });
      const mail = await smtp.waitForMail('restart@example.org');
      const done = await submitCode(journey, codeFrom(mail));
      expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
      const tokens = await second.rp.redeem(journey.pending, done.leftTo!);
      expect(tokens.claims()?.email).to.equal('restart@example.org');
    } finally {
      await second?.close();
      await smtp.stop();
      const { deleteKeys } = await import('../support/guestpass.ts');
      await deleteKeys(keyPrefix);
    }
  });
});

describe('a mail queued on an instance whose outbox worker runs', () => {
  type Sender = { smtp: SmtpCapture; store: MemoryStore; clock: ManualClock; outbox: Outbox };

  /**
   * Runs `test` with a relay of its own and an outbox on the in-memory store sending to it through
   * the real pooled transport (`maxConnections`), polls an hour apart. The outbox is not started:
   * the test starts it. Whatever the test did, what the relay still holds is then answered and
   * everything stopped.
   */
  async function withSender(maxConnections: number, test: (sender: Sender) => Promise<void>): Promise<void> {
    const smtp = await new SmtpCapture().start();
    const store = new MemoryStore();
    const clock = new ManualClock();
    const logger = createLogger('silent');
    const transport = createMailTransport({ smtpUrl: smtp.url, maxConnections, from: 'guestpass@example.org', dataDir: '.', logger });
    const settings = { maxAttempts: 3, initialBackoffSeconds: 1, maxBackoffSeconds: 10, pollIntervalMs: 3_600_000 };
    const outbox = new Outbox({ store, transport, clock, logger, audit: new AuditLog(store, clock, logger), secrets: ['outbox-test-secret'], settings });
    try {
      await test({ smtp, store, clock, outbox });
    } finally {
      smtp.releaseReplies();
      await outbox.stop();
      await transport.close();
      await smtp.stop();
    }
  }

  /**
   * Starts the worker and returns once its first pass (nothing due yet) is over, so that no pass
   * runs before the next poll an hour away. That pass runs on a 0 ms timer set by `start`; a 0 ms
   * timer set after it fires after it, and against the in-memory store the pass ends within its
   * own callback (promises only, no I/O).
   */
  async function startWithFirstPassOver(outbox: Outbox): Promise<void> {
    outbox.start();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  async function enqueueBurst({ outbox, clock }: { outbox: Outbox; clock: ManualClock }, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const message = { to: `burst-${index}@example.org`, subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      ids.push(await outbox.enqueue(message, { label: `code ${index}`, notAfter: clock.now() + 600_000 }));
    }
    return ids;
  }

  it('is in the store already claimed by this instance before it is sent, and is sent without a claim round', () =>
    withSender(1, async ({ smtp, store, clock, outbox }) => {
      // Polls an hour apart: after the first (empty) pass, only the instance that queues a mail can send it.
      outbox.start();
      const message = { to: 'at-once@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      const id = await outbox.enqueue(message, { label: 'verification code to a***@example.org', notAfter: clock.now() + 600_000 });
      // Durable before any SMTP work, leased as a claim leases it: another instance takes it over only after the lease.
      const queued = await store.getMail(id);
      expect(queued).to.include({ state: 'sending', attempts: 1 });
      expect(queued!.nextAttemptAt - queued!.createdAt, 'a claim lease from when it was queued').to.equal(60_000);
      expect(await store.claimDueMail(clock.now(), 60_000, 10), 'nobody else may claim it meanwhile').to.deep.equal([]);
      await smtp.waitForMail('at-once@example.org');
      await outbox.stop();
      expect(await store.getMail(id), 'forgotten once sent, body and status').to.equal(undefined);
    }));

  it('sends at once a mail whose claimed queueing failed after the store had it (a lost answer), rather than report it not queued', () =>
    withSender(1, async ({ smtp, store, clock, outbox }) => {
      const enqueueClaimedMail = store.enqueueClaimedMail.bind(store);
      store.enqueueClaimedMail = async (...args) => {
        await enqueueClaimedMail(...args);
        throw new Error('Command timed out');
      };
      await startWithFirstPassOver(outbox);
      const message = { to: 'lost-answer@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      // Polls are an hour apart and the lease is a minute: only this instance, now, can send it soon.
      const id = await outbox.enqueue(message, { label: 'verification code to l***@example.org', notAfter: clock.now() + 600_000 });
      await smtp.waitForMail('lost-answer@example.org');
      await outbox.stop();
      expect(await store.getMail(id), 'sent, and forgotten').to.equal(undefined);
    }));

  it('records and audits the outcome of its own send that outlived its lease after its own pass claimed the mail again', () =>
    withSender(1, async ({ smtp, store, clock, outbox }) => {
      smtp.holdReplies();
      await startWithFirstPassOver(outbox);
      const message = { to: 'slow-relay@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      const id = await outbox.enqueue(message, { label: 'verification code to s***@example.org', notAfter: clock.now() + 600_000 });
      await waitFor(() => smtp.heldReplies === 1, 'the send waiting for the relay');
      // Past its lease: this instance's next pass claims it again, and leaves it to the send in flight here.
      clock.advanceSeconds(61);
      await outbox.deliverDue();
      expect(await store.getMail(id)).to.include({ state: 'sending', attempts: 2 });
      smtp.releaseReplies({ code: 550, message: 'no such user' });
      await outbox.stop();
      expect(await store.getMail(id), 'its outcome is the one claim\'s that holds it').to.include({ state: 'failed' });
      const failures = (await store.listAudit({ operation: 'MailDeliveryFailed' }, { limit: 10 })).items;
      expect(failures.map((event) => event.detail.mailId)).to.deep.equal([id]);
    }));

  it('still fails to queue a mail the store does not have', () =>
    withSender(1, async ({ store, clock, outbox }) => {
      store.enqueueClaimedMail = () => Promise.reject(new Error('the store is unreachable'));
      await startWithFirstPassOver(outbox);
      const message = { to: 'not-queued@example.org', subject: 'Your code', text: '123456', html: '<p>123456</p>', locale: 'en' };
      let failure: Error | undefined;
      await outbox.enqueue(message, { id: 'not-queued', label: 'code', notAfter: clock.now() + 600_000 }).catch((error: Error) => (failure = error));
      expect(failure?.message).to.equal('the store is unreachable');
      expect(await store.getMail('not-queued')).to.equal(undefined);
    }));

  it('keeps no more mails claimed and in flight than one pass claims: the rest are queued for any instance, so no lease runs out while a mail waits for a connection', () =>
    withSender(5, async (sender) => {
      const { smtp, store, clock, outbox } = sender;
      // A relay that reads every mail and answers none yet, behind a pool of 5 connections: 5 sends
      // wait for the relay's answer, the next ones for a connection.
      smtp.holdReplies();
      await startWithFirstPassOver(outbox);
      const ids = await enqueueBurst(sender, 25);
      await waitFor(() => smtp.heldReplies === 5, 'every pooled connection waiting for the relay');
      const states = await Promise.all(ids.map(async (id) => (await store.getMail(id))!.state));
      expect(states.filter((state) => state === 'sending'), 'claimed by this instance').to.have.length(10);
      // The others are due for whichever instance claims next, before any lease could run out.
      expect(await store.claimDueMail(clock.now(), 60_000, 100)).to.have.length(15);
    }));

  it('sends the mails it queued unclaimed during a burst as soon as its sends end, not at the next poll', () =>
    withSender(10, async (sender) => {
      const { smtp, store, outbox } = sender;
      // A relay that answers only when told to; a connection for each mail this instance claims.
      smtp.holdReplies();
      await startWithFirstPassOver(outbox);
      const ids = await enqueueBurst(sender, 25);
      await waitFor(() => smtp.heldReplies === 10, 'ten sends waiting for the relay at once');
      const states = async () => Promise.all(ids.map(async (id) => (await store.getMail(id))?.state ?? 'sent and forgotten'));
      expect((await states()).filter((state) => state === 'queued'), 'left for a later pass').to.have.length(15);
      // Polls are an hour apart and the clock stands still: only the ends of this instance's sends can start the rest.
      smtp.releaseReplies();
      await waitFor(async () => (await states()).every((state) => state === 'sent and forgotten'), 'every mail sent');
      expect(smtp.mails).to.have.length(25);
    }));
});
