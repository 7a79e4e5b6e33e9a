/**
 * The code page and its status endpoint tell a recipient of a link from anyone else by nothing
 * (SPEC §2; ASVS 5.0 6.3.8): not by the words, not by the status, and not by *when* the delivery
 * line changes. Twenty recipients and twenty non-recipients of one link are read at the same
 * instants after their email was submitted; at every instant the two groups must look like
 * samples of one distribution (Fisher's exact test), which a fixed difference in timing — the
 * finding: "Sent." after ~10 ms for a real code, "Sending…" for 0.4–1.5 s for a withheld one —
 * fails by many orders of magnitude.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, startGuestpass, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { fisherExactTwoSided } from '../support/statistics.ts';

interface Reading {
  status: number;
  delivery: string;
  text: string;
  keys: string;
  pageLine: string;
}

/** Seconds after the email was submitted at which both groups are read. */
const instants = [0.05, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5, 30];
/** Below this, the two groups would differ at an instant; 10 instants keep a true null failing less than 1 run in 1,000. */
const alpha = 1e-4;

describe('security: the delivery state tells nobody who a link was shared with (ASVS 5.0 6.3.8)', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let link: LinkBody;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: { clients: [rpClient, filesClient, adminClient], rateLimits: { codesPerIpPerHour: 10_000 } },
    });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    const api = await ManagementApi.as(gp.issuer, filesClient, 'links:write');
    const recipients = Array.from({ length: 20 }, (_, index) => `recipient-${index}@example.org`);
    link = (await api.post<LinkBody>('/links', { resource: 'files/q3-report.pdf', recipients })).body;
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  async function submitted(email: string): Promise<{ journey: Journey; at: number }> {
    const journey = await openSignIn({ rp: files, browser: () => gp.browser() }, { sharing_id: link.id });
    const at = clock.now();
    await submitEmail(journey, email);
    return { journey, at };
  }

  /**
   * Waits until the outbox has recorded the code mail of `email` as sent, which forgets it (the
   * clock stands still for it, real time does not). Queued by then (`settled`): a mail it no
   * longer has was sent.
   */
  async function mailSent(email: string): Promise<void> {
    await gp.server.outbox.settled();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [event] = (await gp.store.listAudit({ operation: 'VerificationCodeSent', email }, { limit: 10 })).items.slice(-1);
      const mail = event ? await gp.store.getMail(String(event.detail.mailId)) : undefined;
      if (event && !mail) return;
      if (Date.now() > deadline) throw new Error(`the mail to ${email} was never recorded as sent (is ${mail?.state ?? 'not audited'})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The page and the status endpoint as they are at `at` (the clock is set there for the read). */
  async function readAt({ journey }: { journey: Journey }, at: number): Promise<Reading> {
    // Both reads at the same instant: the page must say what the status says.
    clock.freezeAt(at);
    const [status, page] = await Promise.all([journey.browser.get(`${journey.page.url}/status`), journey.browser.get(journey.page.url)]).finally(() => clock.thaw());
    const body = JSON.parse(status.body) as Record<string, string>;
    const pageLine = /Delivery: ([^.…]+[.…])/.exec(visibleText(page.body))?.[1] ?? '';
    return { status: status.status, delivery: body.delivery ?? '', text: body.text ?? '', keys: Object.keys(body).sort().join(','), pageLine };
  }

  /**
   * An instant 5 s after submitting, or just past the page's drawn "Sending…" when that is later:
   * the draw takes at least as long as a recent delivery, and a test before may have held one in
   * flight for longer (a slow relay).
   */
  async function pastSending({ journey, at }: { journey: Journey; at: number }): Promise<number> {
    const record = await gp.server.flow.read(new URL(journey.page.url).pathname.split('/').pop()!);
    const shownUntil = record?.step.name === 'code_sent' ? record.step.sendingShownUntil : 0;
    return Math.max(at + 5000, shownUntil + 1);
  }

  it('shows recipients and non-recipients the same delivery states at the same instants after they submit', async () => {
    const recipients = [];
    const others = [];
    // Interleaved, so both groups meet the same conditions.
    for (let index = 0; index < 20; index += 1) {
      recipients.push(await submitted(`recipient-${index}@example.org`));
      others.push(await submitted(`stranger-${index}@example.org`));
    }
    // Every real mail has left (arrived, and its sending recorded): from here a real code could say "Sent." at once.
    await Promise.all(Array.from({ length: 20 }, (_, index) => smtp.waitForMail(`recipient-${index}@example.org`)));
    for (let index = 0; index < 20; index += 1) await mailSent(`recipient-${index}@example.org`);
    expect(smtp.mails.filter((mail) => mail.to.some((to) => to.startsWith('stranger-')))).to.deep.equal([]);

    for (const seconds of instants) {
      const recipientReadings = [];
      const otherReadings = [];
      for (let index = 0; index < 20; index += 1) {
        recipientReadings.push(await readAt(recipients[index]!, recipients[index]!.at + seconds * 1000));
        otherReadings.push(await readAt(others[index]!, others[index]!.at + seconds * 1000));
      }
      for (const reading of [...recipientReadings, ...otherReadings]) {
        expect(reading.status, `${seconds}s: status`).to.equal(200);
        expect(reading.keys, `${seconds}s: the same fields`).to.equal('delivery,step,text');
        expect(['sending', 'sent'], `${seconds}s: only states both can reach`).to.include(reading.delivery);
        expect(reading.pageLine, `${seconds}s: the page says what the status says`).to.equal(reading.text.replace(/\.$/, '.'));
      }
      const sentRecipients = recipientReadings.filter((reading) => reading.delivery === 'sent').length;
      const sentOthers = otherReadings.filter((reading) => reading.delivery === 'sent').length;
      const p = fisherExactTwoSided(sentRecipients, 20 - sentRecipients, sentOthers, 20 - sentOthers);
      expect(p, `${seconds}s after submitting: "sent" for ${sentRecipients}/20 recipients and ${sentOthers}/20 others (p = ${p.toExponential(2)})`).to.be.greaterThan(alpha);
    }
  });

  it('shows recipients and non-recipients the same delivery state while a slow relay holds the real mail in flight', async () => {
    clock.advanceSeconds(120); // past the resend cooldown of the addresses used above
    smtp.holdReplies();
    try {
      const recipient = await submitted('recipient-1@example.org');
      const other = await submitted('stranger-1@example.org');
      // The real mail is in flight: its first attempt started and has not been answered.
      await gp.server.outbox.settled();
      const deadline = Date.now() + 10_000;
      while (smtp.heldReplies < 1) {
        if (Date.now() > deadline) throw new Error('the relay never read the mail');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Past the "Sending…" drawn for either.
      const [a, b] = [await readAt(recipient, await pastSending(recipient)), await readAt(other, await pastSending(other))];
      expect(b.delivery, 'the relay is not failing: a withheld code reads as sent').to.equal('sent');
      expect(a.delivery, 'and so does the code in flight').to.equal(b.delivery);
      expect(a.text).to.equal(b.text);
    } finally {
      smtp.releaseReplies();
    }
    // Recorded as sent before the clock moves on: its delivery time is one the next test may draw.
    await mailSent('recipient-1@example.org');
  });

  it('says "delayed" to recipients and non-recipients alike while the relay refuses every mail, and only then', async () => {
    clock.advanceSeconds(120); // past the resend cooldown of the addresses used above
    smtp.refuseNext(3, 451, 'try again later', 'sender');
    const recipient = await submitted('recipient-0@example.org');
    const other = await submitted('stranger-0@example.org');
    // Wait until the real mail has been tried and refused.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [sent] = (await gp.store.listAudit({ operation: 'VerificationCodeSent', email: 'recipient-0@example.org' }, { limit: 10 })).items.slice(-1);
      const mail = sent ? await gp.store.getMail(String(sent.detail.mailId)) : undefined;
      if (mail?.state === 'retrying') break;
      if (Date.now() > deadline) throw new Error('the outbox never tried the mail');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [a, b] = [await readAt(recipient, await pastSending(recipient)), await readAt(other, await pastSending(other))];
    expect([a.delivery, b.delivery]).to.deep.equal(['delayed', 'delayed']);
    expect(a.text).to.equal(b.text);
  });
});
