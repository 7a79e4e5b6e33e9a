/**
 * When Redis is away guestpass fails closed: people get a 503 page, relying parties a 503 JSON
 * error (or `temporarily_unavailable` at the authorization endpoint), readiness says so, and
 * nothing is accepted. When Redis is back, sign-ins work again without a restart.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { openSignIn, rpClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('when Redis is down', () => {
  let smtp: SmtpCapture;
  let redis: RunningRedis;
  let gp: TestGuestpass;

  before(async () => {
    smtp = await new SmtpCapture().start();
    redis = await startRedisServer();
    gp = await startGuestpass({ store: 'redis', smtp, config: { redis: { url: redis.url, keyPrefix: 'gp:', commandTimeoutMs: 500 } } });
  });
  after(async () => {
    await gp?.close();
    await redis?.stop();
    await smtp?.stop();
  });

  it('answers 503 everywhere, accepts nothing, and recovers when Redis is back', async () => {
    const journey = await openSignIn(gp);
    expect(journey.page.status).to.equal(200);
    await redis.pause!();

    const page = await journey.browser.get(journey.page.url);
    expect(page.status).to.equal(503);
    expect(page.headers.get('retry-after')).to.equal('5');
    expect(visibleText(page.body)).to.contain('The sign-in service is briefly unavailable.');

    const posted = await journey.browser.submit(journey.page, '/email', { email: 'outage@example.org' });
    expect(posted.status).to.equal(503);

    const token = await fetch(`${gp.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${rpClient.client_id}:${rpClient.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: rpClient.redirect_uris[0]!, code_verifier: 'y'.repeat(43) }),
    });
    expect(token.status).to.equal(503);
    expect(await token.json()).to.include({ error: 'temporarily_unavailable' });

    const authorize = await gp.browser().get((await gp.rp.authorizationUrl()).url);
    const error = authorize.leftTo ? new URL(authorize.leftTo).searchParams.get('error') : String(authorize.status);
    expect(error).to.be.oneOf(['temporarily_unavailable', '503']);

    const ready = await fetch(`${gp.issuer}/readyz`);
    expect(ready.status).to.equal(503);
    expect((await fetch(`${gp.issuer}/healthz`)).status).to.equal(200);
    await smtp.expectNoMail('outage@example.org', 300);

    await redis.resume!();
    const deadline = Date.now() + 5000;
    while ((await fetch(`${gp.issuer}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('guestpass did not reconnect to Redis');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { claims } = await signIn(gp, smtp, 'after-outage@example.org');
    expect(claims.email).to.equal('after-outage@example.org');
  });

  it('answers 503, not 500, on routes outside the API and the sign-in pages', async () => {
    await redis.pause!();
    try {
      const invitation = await fetch(`${gp.issuer}/invitations/${'a'.repeat(43)}`, { redirect: 'manual' });
      expect(invitation.status).to.equal(503);
      const callback = await fetch(`${gp.issuer}/federation/work/callback?state=some-state&code=x`, { redirect: 'manual' });
      expect(callback.status).to.equal(503);
    } finally {
      await redis.resume!();
    }
  });
});
