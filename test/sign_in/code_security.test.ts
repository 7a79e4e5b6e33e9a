/**
 * The properties of SPEC §4, each against the real parts (Redis, SMTP, HTTP, openid-client).
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';

import type { AuditEvent } from '../../adapters/store.ts';
import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { openSignIn, signIn, submitCode, submitEmail, useGuestpass, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { testRedisUrl } from '../support/redis.ts';
import { codeFrom, type SmtpCapture } from '../support/smtp.ts';

async function auditOf(gp: TestGuestpass): Promise<AuditEvent[]> {
  return (await gp.store.listAudit({}, { limit: 10_000 })).items;
}

function rejections(events: AuditEvent[], email: string) {
  return events.filter((event) => event.operation === 'VerificationCodeRejected' && event.detail.email === email).map((event) => event.detail.reason);
}

/** A code page, ready for codes: email submitted and its mail received. */
async function codePageFor(gp: TestGuestpass, smtp: SmtpCapture, email: string): Promise<{ journey: Journey; code: string }> {
  const journey = await openSignIn(gp);
  const before = smtp.mailsTo(email).length;
  await submitEmail(journey, email);
  const mail = await smtp.waitForMail(email, { nth: before + 1 });
  return { journey, code: codeFrom(mail) };
}

function wrongCodeFor(code: string): string {
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}

describe('the emailed code (SPEC §4)', () => {
  const clock = new ManualClock();

  const gp = useGuestpass({ store: 'redis', clock, config: { policy: { otp: { lockoutAfterFailures: 100 } } } });
  // Every test uses its own address; moving past the cooldown keeps tests independent.
  afterEach(() => clock.advanceSeconds(61));

  it('accepts exactly one of 20 parallel submissions of the correct code (five rounds)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const email = `parallel-right-${round}@example.org`;
      const { journey, code } = await codePageFor(gp, gp.smtp, email);
      const responses = await Promise.all(Array.from({ length: 20 }, () => journey.browser.submit(journey.page, '/code', { code })));
      const returned = responses.filter((response) => response.leftTo?.startsWith('http://rp.test/callback?code='));
      expect(returned, `round ${round}`).to.have.length(1);
      const tokens = await gp.rp.redeem(journey.pending, returned[0]!.leftTo!);
      expect(tokens.claims()?.email).to.equal(email);
      const events = (await auditOf(gp)).filter((event) => event.detail.email === email).map((event) => event.operation);
      expect(events.filter((operation) => operation === 'VerificationSucceeded'), `round ${round}`).to.have.length(1);
      expect(events.filter((operation) => operation === 'SignedIn'), `round ${round}`).to.have.length(1);
      clock.advanceSeconds(61);
    }
  });

  it('signs a double-clicker in through whichever of the two responses the browser shows', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { journey, code } = await codePageFor(gp, gp.smtp, `double-click-${round}@example.org`);
      // The browser abandons the first submission and shows only the second one's outcome.
      const [, shown] = await Promise.all([
        journey.browser.submit(journey.page, '/code', { code }, { follow: false }),
        journey.browser.submit(journey.page, '/code', { code }),
      ]);
      expect(shown.leftTo, `round ${round}: ${shown.status} ${shown.body.slice(0, 200)}`).to.match(/^http:\/\/rp\.test\/callback\?code=/);
      clock.advanceSeconds(61);
    }
  });

  it('mails the code of a double click on the email form, and it signs in through the page the browser shows (three rounds)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const email = `double-email-${round}@example.org`;
      const journey = await openSignIn(gp);
      // One request claims the resend cooldown and issues the code; its twin, held back by that
      // cooldown, may reach the code page first. The code issued must still be mailed and work.
      const [, shown] = await Promise.all([
        journey.browser.submit(journey.page, '/email', { email }, { follow: false }),
        journey.browser.submit(journey.page, '/email', { email }),
      ]);
      journey.page = shown;
      const mail = await gp.smtp.waitForMail(email);
      const done = await submitCode(journey, codeFrom(mail));
      expect(done.leftTo, `round ${round}: ${done.status} ${visibleText(done.body).slice(0, 200)}`).to.match(/^http:\/\/rp\.test\/callback\?code=/);
      expect(gp.smtp.mailsTo(email), `round ${round}: one code issued, one mail`).to.have.length(1);
      clock.advanceSeconds(61);
    }
  });

  it('finishes a sign-in once while other tabs load its page, as the code goes in and after: one SignedIn (three rounds)', async () => {
    for (let round = 0; round < 3; round += 1) {
      const email = `tabs-${round}@example.org`;
      const { journey, code } = await codePageFor(gp, gp.smtp, email);
      const tab = () => journey.browser.get(journey.page.url, { follow: false });
      const [posted, ...during] = await Promise.all([journey.browser.submit(journey.page, '/code', { code }, { follow: false }), ...Array.from({ length: 4 }, tab)]);
      // Every tab that loads it now finds it verified and would finish it, but the request that
      // entered the code holds the gate: they follow it to the resume instead.
      const after = await Promise.all(Array.from({ length: 4 }, tab));
      expect(posted.status, `round ${round}`).to.equal(303);
      for (const page of [posted, ...during, ...after]) {
        if (page.status !== 200 || after.includes(page)) expect(page.headers.get('location'), `round ${round}: ${page.status}`).to.match(/\/auth\//);
      }
      const events = (await auditOf(gp)).filter((event) => event.detail.email === email).map((event) => event.operation);
      expect(events.filter((operation) => operation === 'SignedIn'), `round ${round}`).to.have.length(1);
      clock.advanceSeconds(61);
    }
  });

  it('lets one of parallel resumes of a finished sign-in through: one authorization code, the rest the expired page', async () => {
    const { journey, code } = await codePageFor(gp, gp.smtp, 'resumes@example.org');
    const finished = await journey.browser.submit(journey.page, '/code', { code }, { follow: false });
    const resume = finished.headers.get('location')!;
    expect(resume).to.match(/\/auth\//);
    const answers = await Promise.all(Array.from({ length: 6 }, () => journey.browser.get(resume, { follow: false })));
    const withCode = answers.filter((answer) => answer.headers.get('location')?.startsWith('http://rp.test/callback?code='));
    expect(withCode).to.have.length(1);
    expect(answers.filter((answer) => answer.status === 400)).to.have.length(5);
    const tokens = await gp.rp.redeem(journey.pending, withCode[0]!.headers.get('location')!);
    expect(tokens.claims()?.email).to.equal('resumes@example.org');
  });

  it('never compares more than maxAttemptsPerCode of 20 parallel wrong guesses, and the code is dead after', async () => {
    const email = 'parallel-wrong@example.org';
    const { journey, code } = await codePageFor(gp, gp.smtp, email);
    await Promise.all(Array.from({ length: 20 }, () => journey.browser.submit(journey.page, '/code', { code: wrongCodeFor(code) })));
    const reasons = rejections(await auditOf(gp), email);
    expect(reasons.filter((reason) => reason === 'wrong_code')).to.have.length(5);
    expect(reasons.filter((reason) => reason === 'too_many_attempts')).to.have.length(15);
    const page = await submitCode(journey, code);
    expect(page.leftTo).to.equal(undefined);
    expect(visibleText(page.body)).to.contain('This code cannot be used any more');
  });

  it('says how many tries are left after a wrong code', async () => {
    const { journey, code } = await codePageFor(gp, gp.smtp, 'tries-left@example.org');
    let page = await submitCode(journey, wrongCodeFor(code));
    expect(visibleText(page.body)).to.contain('That code is not right. 4 tries left.');
    page = await submitCode(journey, wrongCodeFor(code));
    expect(visibleText(page.body)).to.contain('3 tries left');
    expect(page.body).to.contain('aria-invalid="true"');
    const done = await submitCode(journey, code);
    expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
  });

  it('a new code invalidates the previous one', async () => {
    const email = 'newer-code@example.org';
    const { journey, code: first } = await codePageFor(gp, gp.smtp, email);
    clock.advanceSeconds(61);
    journey.page = await journey.browser.submit(journey.page, '/resend');
    const second = codeFrom(await gp.smtp.waitForMail(email, { nth: 2 }));
    expect(second).to.not.equal(first);
    const stale = await submitCode(journey, first);
    expect(stale.leftTo).to.equal(undefined);
    expect(visibleText(stale.body)).to.contain('That code is not right');
    const fresh = await submitCode(journey, second);
    expect(fresh.leftTo).to.match(/code=/);
  });

  it('a code from one interaction fails in another, even for the same address', async () => {
    const email = 'two-tabs@example.org';
    const one = await codePageFor(gp, gp.smtp, email);
    clock.advanceSeconds(61);
    const two = await codePageFor(gp, gp.smtp, email);
    const crossed = await submitCode(two.journey, one.code);
    expect(crossed.leftTo).to.equal(undefined);
    expect(visibleText(crossed.body)).to.contain('That code is not right');
    expect((await submitCode(two.journey, two.code)).leftTo).to.match(/code=/);
  });

  it('rejects an expired code', async () => {
    const { journey, code } = await codePageFor(gp, gp.smtp, 'expired@example.org');
    clock.advanceSeconds(601);
    const page = await submitCode(journey, code);
    expect(page.leftTo).to.equal(undefined);
    expect(visibleText(page.body)).to.contain('That code has expired');
  });

  it('keeps only an HMAC: the code appears nowhere in Redis', async () => {
    const { code } = await codePageFor(gp, gp.smtp, 'hmac-only@example.org');
    const redis = new Redis(testRedisUrl());
    try {
      const values: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${gp.keyPrefix}*`, 'COUNT', '500');
        cursor = next;
        for (const key of keys) {
          const type = await redis.type(key);
          if (type === 'string') values.push((await redis.get(key)) ?? '');
          else if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
          else if (type === 'set') values.push(JSON.stringify(await redis.smembers(key)));
          else if (type === 'zset') values.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
          else if (type === 'stream') values.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        }
      } while (cursor !== '0');
      expect(values.length).to.be.greaterThan(5);
      expect(values.join('\n')).to.not.contain(code);
    } finally {
      redis.disconnect();
    }
  });

  it('mails the code as text, never as a link a GET could consume', async () => {
    const email = 'no-link@example.org';
    const { code } = await codePageFor(gp, gp.smtp, email);
    const [mail] = gp.smtp.mailsTo(email);
    expect(mail!.text).to.not.match(/https?:\/\//);
    expect(mail!.html).to.not.match(/href=/i);
    expect(mail!.subject).to.not.contain(code);
  });

  it('writes no code and no token to the audit log', async () => {
    const email = 'audit-clean@example.org';
    const { tokens, mail } = await signIn(gp, gp.smtp, email);
    const audit = JSON.stringify(await auditOf(gp));
    expect(audit).to.not.contain(codeFrom(mail));
    expect(audit).to.not.contain(tokens.access_token);
    expect(audit).to.not.contain(tokens.id_token!.split('.')[2]);
    const operations = (await auditOf(gp)).filter((event) => event.detail.email === email).map((event) => event.operation);
    expect(operations).to.deep.equal(['VerificationCodeSent', 'VerificationSucceeded', 'SignedIn']);
  });
});

describe('limits on codes per address and per IP (SPEC §4)', () => {
  const clock = new ManualClock();

  const gp = useGuestpass({
      store: 'redis',
      clock,
      config: { policy: { otp: { maxCodesPerHour: 2, lockoutAfterFailures: 3, lockoutSeconds: 900 } }, rateLimits: { codesPerIpPerHour: 6 } },
    });
  afterEach(() => clock.advanceSeconds(3601));

  it('makes a resend wait for the cooldown and says how long', async () => {
    const email = 'cooldown@example.org';
    const { journey } = await codePageFor(gp, gp.smtp, email);
    expect(journey.page.body).to.match(/data-seconds-left="(59|60)"/);
    expect(visibleText(journey.page.body)).to.match(/You can ask for a new code in (59|60) s\./);
    clock.advanceSeconds(30);
    const page = await journey.browser.submit(journey.page, '/resend');
    expect(visibleText(page.body)).to.match(/You can ask for a new one in (29|30) s/);
    await gp.smtp.expectNoMail(email, 300).catch(() => undefined);
    expect(gp.smtp.mailsTo(email)).to.have.length(1);
  });

  it('sends no more than maxCodesPerHour codes to one address', async () => {
    const email = 'hourly@example.org';
    const { journey } = await codePageFor(gp, gp.smtp, email);
    clock.advanceSeconds(61);
    journey.page = await journey.browser.submit(journey.page, '/resend');
    await gp.smtp.waitForMail(email, { nth: 2 });
    clock.advanceSeconds(61);
    journey.page = await journey.browser.submit(journey.page, '/resend');
    expect(visibleText(journey.page.body)).to.match(/Too many codes were asked for\. Try again in \d+ minutes\./);
    await gp.smtp.expectNoMail('nobody@example.org', 500);
    expect(gp.smtp.mailsTo(email)).to.have.length(2);
  });

  it('locks an address out after lockoutAfterFailures wrong codes, across codes, and a resend does not reset the count', async () => {
    const email = 'lockout@example.org';
    const { journey, code: first } = await codePageFor(gp, gp.smtp, email);
    await submitCode(journey, wrongCodeFor(first));
    await submitCode(journey, wrongCodeFor(first));
    clock.advanceSeconds(61);
    journey.page = await journey.browser.submit(journey.page, '/resend');
    const second = codeFrom(await gp.smtp.waitForMail(email, { nth: 2 }));
    const locked = await submitCode(journey, wrongCodeFor(second));
    expect(visibleText(locked.body)).to.match(/Too many wrong codes for this address\. Try again in 15 minutes\./);
    const refused = await submitCode(journey, second);
    expect(refused.leftTo).to.equal(undefined);
    expect(visibleText(refused.body)).to.contain('Too many wrong codes');

    // After the lockout (and the hourly cap of 2 codes) the address can be verified again.
    clock.advanceSeconds(3601);
    journey.page = await journey.browser.submit(journey.page, '/resend');
    const third = codeFrom(await gp.smtp.waitForMail(email, { nth: 3 }));
    expect((await submitCode(journey, third)).leftTo).to.match(/code=/);
  });

  it('sends no more than codesPerIpPerHour codes from one client IP, whatever the addresses', async () => {
    for (let index = 0; index < 6; index += 1) {
      await codePageFor(gp, gp.smtp, `ip-${index}@example.org`);
    }
    const journey = await openSignIn(gp);
    const page = await submitEmail(journey, 'ip-6@example.org');
    expect(visibleText(page.body)).to.contain('Too many codes were asked for');
    await gp.smtp.expectNoMail('ip-6@example.org');
  });
});

describe('recipients and everyone else see the same thing (SPEC §2, §4)', () => {

  const gp = useGuestpass({
      store: 'redis',
      deps: {
        eligibility: async ({ emailNormalized }) =>
          emailNormalized === 'rita@example.org' ? { kind: 'deliver' } : { kind: 'withhold', operation: 'RecipientNotOnLink', reason: 'not a recipient' },
      },
    });

  /** A page with what legitimately differs between two interactions taken out. */
  function comparable(journey: Journey): string {
    const uid = new URL(journey.page.url).pathname.split('/')[2]!;
    return journey.page.body
      .replaceAll(uid, 'UID')
      .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="CSRF"')
      .replace(/data-seconds-left="\d+"/g, 'data-available-at="T"')
      .replace(/in \d+ s\./g, 'in N s.')
      .replace(/data-delivery="\w+"/g, 'data-delivery="D"')
      .replace(/(id="delivery-state"[^>]*>)[^<]*/, '$1D');
  }

  it('answers a recipient and a non-recipient with the same status, redirects and page, and mails only the recipient', async () => {
    const recipient = await openSignIn(gp);
    const outsider = await openSignIn(gp);
    const recipientPost = await recipient.browser.submit(recipient.page, '/email', { email: 'rita@example.org' }, { follow: false });
    const outsiderPost = await outsider.browser.submit(outsider.page, '/email', { email: 'rob@example.org' }, { follow: false });
    expect(outsiderPost.status).to.equal(recipientPost.status).and.to.equal(303);
    expect(new URL(outsiderPost.leftTo ?? outsiderPost.headers.get('location')!, gp.issuer).pathname.replace(/[^/]+$/, 'UID')).to.equal(
      new URL(recipientPost.leftTo ?? recipientPost.headers.get('location')!, gp.issuer).pathname.replace(/[^/]+$/, 'UID'),
    );
    recipient.page = await recipient.browser.get(recipient.page.url);
    outsider.page = await outsider.browser.get(outsider.page.url);
    expect(outsider.page.status).to.equal(recipient.page.status).and.to.equal(200);
    expect(comparable(outsider)).to.equal(comparable(recipient));
    expect(visibleText(outsider.page.body)).to.contain('If r***@example.org has access, a 6-digit code is on its way to it.');

    const mail = await gp.smtp.waitForMail('rita@example.org');
    await gp.smtp.expectNoMail('rob@example.org');
    const wrong = wrongCodeFor(codeFrom(mail));
    await submitCode(recipient, wrong);
    await submitCode(outsider, wrong);
    expect(comparable(outsider)).to.equal(comparable(recipient));

    const audit = (await gp.store.listAudit({}, { limit: 100 })).items;
    expect(audit.find((event) => event.operation === 'RecipientNotOnLink')?.detail).to.include({ email: 'rob@example.org', reason: 'not a recipient' });
    expect(audit.find((event) => event.operation === 'VerificationCodeSent')?.detail).to.include({ email: 'rita@example.org' });
  });

  it('a non-recipient cannot get in with any code', async () => {
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'rob2@example.org');
    for (const guess of ['000000', '123456', '999999']) {
      const page = await submitCode(journey, guess);
      expect(page.leftTo).to.equal(undefined);
    }
  });
});
