import { expect } from 'chai';

import { ManualClock } from '../support/clock.ts';
import { signIn, useGuestpass } from '../support/guestpass.ts';

for (const store of ['memory', 'redis'] as const) {
  describe(`sign-in with an emailed code (${store} store)`, () => {
    const clock = new ManualClock();

    const gp = useGuestpass({ store, clock });

    it('gives an unmodified openid-client an ID token for an adhoc person', async () => {
      const { claims, tokens } = await signIn(gp, gp.smtp, 'Alice@Example.org');
      expect(claims).to.include({ email: 'alice@example.org', email_verified: true, user_type: 'adhoc', name: 'Alice@Example.org' });
      expect(claims.amr).to.deep.equal(['otp']);
      expect(claims.sub).to.be.a('string').with.length.greaterThan(10);
      const userinfo = await gp.rp.userinfo(tokens.access_token, claims.sub);
      expect(userinfo).to.include({ sub: claims.sub, email: 'alice@example.org', email_verified: true, user_type: 'adhoc' });
    });

    it('passes sharing_id through to the ID token and userinfo of that sign-in, and a later sign-in supersedes its tokens', async () => {
      const link = await gp.server.links.create({ clientId: 'rp', admin: false }, { resource: 'files/report.pdf', recipients: ['dana@example.org'] }, {});
      const sharingId = link.id;
      const linked = await signIn(gp, gp.smtp, 'dana@example.org', { sharing_id: sharingId });
      expect(linked.claims.sharing_id).to.equal(sharingId);
      expect(await gp.rp.userinfo(linked.tokens.access_token, linked.claims.sub)).to.include({ sharing_id: sharingId });

      // The same browser, now without a link: its live session is reused, and no sharing_id is claimed.
      const again = await gp.rp.authorizationUrl();
      const silent = await linked.journey.browser.get(again.url);
      const unlinked = await gp.rp.redeem(again, silent.leftTo!);
      expect(unlinked.claims()).to.not.have.property('sharing_id');
      expect(await gp.rp.userinfo(unlinked.access_token, linked.claims.sub)).to.not.have.property('sharing_id');
      // Tokens without offline_access belong to the browser session's current grant for the client.
      let superseded: unknown;
      await gp.rp.userinfo(linked.tokens.access_token, linked.claims.sub).catch((error: unknown) => (superseded = error));
      expect(superseded, 'the earlier access token was superseded').to.exist;
    });

    it('keeps the same sub for the same address across sign-ins', async () => {
      const first = await signIn(gp, gp.smtp, 'bob@example.org');
      clock.advanceSeconds(61); // past the resend cooldown for the address
      const second = await signIn(gp, gp.smtp, ' BOB@example.org ');
      expect(second.claims.sub).to.equal(first.claims.sub);
    });
  });
}
