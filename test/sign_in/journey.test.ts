import { expect } from 'chai';

import { ManualClock } from '../support/clock.ts';
import { signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { SmtpCapture } from '../support/smtp.ts';

for (const store of ['memory', 'redis'] as const) {
  describe(`sign-in with an emailed code (${store} store)`, () => {
    let smtp: SmtpCapture;
    let gp: TestGuestpass;
    const clock = new ManualClock();

    before(async () => {
      smtp = await new SmtpCapture().start();
      gp = await startGuestpass({ store, smtp, clock });
    });
    after(async () => {
      await gp?.close();
      await smtp?.stop();
    });

    it('gives an unmodified openid-client an ID token for an adhoc person', async () => {
      const { claims, tokens } = await signIn(gp, smtp, 'Alice@Example.org');
      expect(claims).to.include({ email: 'alice@example.org', email_verified: true, user_type: 'adhoc', name: 'Alice@Example.org' });
      expect(claims.amr).to.deep.equal(['otp']);
      expect(claims.sub).to.be.a('string').with.length.greaterThan(10);
      const userinfo = await gp.rp.userinfo(tokens.access_token, claims.sub);
      expect(userinfo).to.include({ sub: claims.sub, email: 'alice@example.org', email_verified: true, user_type: 'adhoc' });
    });

    it('keeps the same sub for the same address across sign-ins', async () => {
      const first = await signIn(gp, smtp, 'bob@example.org');
      clock.advanceSeconds(61); // past the resend cooldown for the address
      const second = await signIn(gp, smtp, ' BOB@example.org ');
      expect(second.claims.sub).to.equal(first.claims.sub);
    });
  });
}
