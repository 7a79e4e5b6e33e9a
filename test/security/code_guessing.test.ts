/**
 * Guessing a code gets nowhere however it is paced, and only the newest code of an address
 * works, whichever sign-in asked for it (SPEC §4; ASVS 5.0 6.6.2, 6.6.3, 6.3.1; NIST SP 800-63B
 * §5.2.2: limit *consecutive* failed attempts).
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { openSignIn, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

function wrong(code: string): string {
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}

describe('security: guessing codes (ASVS 5.0 6.6.2, 6.6.3)', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const clock = new ManualClock();
  const lockoutSeconds = 900;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, clock, config: { policy: { otp: { lockoutAfterFailures: 3, lockoutSeconds, maxCodesPerHour: 50 } } } });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });
  afterEach(() => clock.advanceSeconds(lockoutSeconds + 61));

  /** Asks for a code in a fresh sign-in and returns it from the mail. */
  async function freshCode(email: string): Promise<{ journey: Journey; code: string }> {
    const journey = await openSignIn(gp);
    const before = smtp.mailsTo(email).length;
    await submitEmail(journey, email);
    return { journey, code: codeFrom(await smtp.waitForMail(email, { nth: before + 1 })) };
  }

  it('voids the older code of another sign-in for the same address once a newer one is sent (SPEC §4, ASVS 6.6.2)', async () => {
    const first = await freshCode('two-tabs@example.org');
    clock.advanceSeconds(61);
    const second = await freshCode('two-tabs@example.org');
    const stale = await submitCode(first.journey, first.code);
    expect(stale.leftTo, 'the older code signs nobody in').to.equal(undefined);
    const fresh = await submitCode(second.journey, second.code);
    expect(fresh.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
  });

  it('locks an address after lockoutAfterFailures wrong codes however slowly they come (consecutive, not per window)', async () => {
    const email = 'slow-guesser@example.org';
    for (let guess = 1; guess <= 3; guess += 1) {
      const { journey, code } = await freshCode(email);
      const page = await submitCode(journey, wrong(code));
      if (guess < 3) expect(visibleText(page.body)).to.contain('That code is not right');
      else expect(visibleText(page.body)).to.contain('Too many wrong codes for this address');
      // Each pause outlasts a lockout period: a fixed window would have forgotten the earlier guesses.
      clock.advanceSeconds(lockoutSeconds + 61);
    }
    const events = (await gp.store.listAudit({ operation: 'VerificationCodeRejected', email }, { limit: 20 })).items.map((event) => event.detail.reason);
    expect(events).to.deep.equal(['wrong_code', 'wrong_code', 'wrong_code']);
  });

  it('after a lockout allows one entry per lockout period: a wrong one locks again at once, a right one signs in and clears the count', async () => {
    const email = 'after-lockout@example.org';
    for (let guess = 0; guess < 3; guess += 1) {
      const { journey, code } = await freshCode(email);
      await submitCode(journey, wrong(code));
      clock.advanceSeconds(61);
    }
    clock.advanceSeconds(lockoutSeconds);
    let attempt = await freshCode(email);
    // Parallel wrong entries after the lockout: one is compared, the rest find the address locked again.
    await Promise.all(Array.from({ length: 5 }, () => attempt.journey.browser.submit(attempt.journey.page, '/code', { code: wrong(attempt.code) }, { follow: false })));
    const reasons = (await gp.store.listAudit({ operation: 'VerificationCodeRejected', email }, { limit: 50 })).items.map((event) => event.detail.reason);
    expect(reasons.slice(3).toSorted(), 'after the lockout: one entry compared, four refused unseen').to.deep.equal(['locked_out', 'locked_out', 'locked_out', 'locked_out', 'wrong_code']);
    const page = await attempt.journey.browser.get(attempt.journey.page.url);
    expect(visibleText(page.body)).to.contain('Too many wrong codes for this address');

    clock.advanceSeconds(lockoutSeconds + 1);
    attempt = await freshCode(email);
    const right = await submitCode(attempt.journey, attempt.code);
    expect(right.leftTo).to.match(/code=/);
    // The count is gone: two wrong codes now leave tries.
    clock.advanceSeconds(61);
    attempt = await freshCode(email);
    const again = await submitCode(attempt.journey, wrong(attempt.code));
    expect(visibleText(again.body)).to.contain('That code is not right. 2 tries left.');
  });

  it('compares no more than lockoutAfterFailures entries when they all arrive at once on a fresh address', async () => {
    const email = 'burst@example.org';
    const { journey, code } = await freshCode(email);
    // The entry that reaches the limit and the first one past it race: only one of them may be compared.
    await Promise.all(Array.from({ length: 20 }, () => journey.browser.submit(journey.page, '/code', { code: wrong(code) }, { follow: false })));
    const reasons = (await gp.store.listAudit({ operation: 'VerificationCodeRejected', email }, { limit: 50 })).items.map((event) => event.detail.reason);
    expect(reasons.filter((reason) => reason !== 'locked_out'), 'entries compared').to.deep.equal(['wrong_code', 'wrong_code', 'wrong_code']);
    expect(reasons).to.have.length(20);
  });

  it('mails no code that could not be used: a resend while entries are refused sends nothing', async () => {
    const email = 'resend-at-threshold@example.org';
    let attempt = await freshCode(email);
    await submitCode(attempt.journey, wrong(attempt.code));
    await submitCode(attempt.journey, wrong(attempt.code));
    // The third failure is an expired code rather than a wrong one: it still counts, and locks.
    clock.advanceSeconds(601);
    const expired = await submitCode(attempt.journey, attempt.code);
    expect(visibleText(expired.body)).to.contain('Too many wrong codes for this address');
    const mailsBefore = smtp.mailsTo(email).length;
    attempt.journey.page = await attempt.journey.browser.submit(attempt.journey.page, '/resend');
    expect(visibleText(attempt.journey.page.body)).to.contain('Too many wrong codes for this address');
    // Give a mail, had one been queued, the time to arrive (delivery here takes milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.mailsTo(email)).to.have.length(mailsBefore);
    clock.advanceSeconds(lockoutSeconds + 1);
    attempt = await freshCode(email);
    expect((await submitCode(attempt.journey, attempt.code)).leftTo, 'the first code after the lockout works').to.match(/code=/);
  });
});
