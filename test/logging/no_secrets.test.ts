/** No code, token or secret ever reaches a log line, even at the most verbose level. */
import { expect } from 'chai';
import * as client from 'openid-client';

import { adminClient, rpClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody } from '../support/management.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';
import { capturingLogger } from '../support/log_capture.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

describe('logs', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const capture = capturingLogger('trace');

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, deps: { logger: capture.logger } });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('carry no code, token, client secret or cookie across a whole sign-in', async () => {
    const { tokens, mail, journey } = await signIn(gp, smtp, 'logs@example.org', { scope: 'openid email offline_access', prompt: 'consent' });
    const refreshed = await client.refreshTokenGrant(gp.rp.config, tokens.refresh_token!);
    await client.fetchUserInfo(gp.rp.config, refreshed.access_token, refreshed.claims()!.sub);
    const log = capture.text();
    expect(capture.lines.length, 'something was logged').to.be.greaterThan(5);
    expect(log).to.contain('"audit":"VerificationCodeSent"');
    const secrets = {
      code: codeFrom(mail),
      authorizationCode: new URL(journey.page.leftTo!).searchParams.get('code')!,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token!,
      rotatedRefreshToken: refreshed.refresh_token!,
      idTokenSignature: tokens.id_token!.split('.')[2]!,
      clientSecret: rpClient.client_secret,
      sessionCookie: journey.browser.cookie('gp_session')!.value,
    };
    for (const [name, value] of Object.entries(secrets)) expect(log, name).to.not.contain(value);
  });
});

describe('logs of invitations, redeem URLs and client secrets (ASVS 5.0 16.2.5)', () => {
  let smtp: SmtpCapture;
  let redis: RunningRedis;
  let gp: TestGuestpass;
  const capture = capturingLogger('trace');

  before(async () => {
    smtp = await new SmtpCapture().start();
    redis = await startRedisServer();
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      config: { clients: [rpClient, adminClient], redis: { url: redis.url, keyPrefix: 'gp:', commandTimeoutMs: 300 } },
      deps: { logger: capture.logger },
    });
  });
  after(async () => {
    await gp?.close();
    await redis?.stop();
    await smtp?.stop();
  });

  it('carry no redeem token — at trace level, and on a 5xx — and no client secret, sent right or wrong', async () => {
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:write');
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'logged-guest@example.org', sendInvitationMail: true });
    const token = new URL(invited.body.inviteRedeemUrl).pathname.split('/').pop()!;
    const browser = gp.browser();
    const page = await browser.get(invited.body.inviteRedeemUrl);
    await browser.submit(page, '/email', { email: 'logged-guest@example.org' });
    await smtp.waitForMail('logged-guest@example.org', { nth: 2 });
    // With the store away the redeem URL answers 5xx, and 5xx request lines are logged at any level.
    await redis.pause!();
    try {
      const failed = await fetch(invited.body.inviteRedeemUrl);
      expect(failed.status).to.be.at.least(500);
    } finally {
      await redis.resume!();
    }
    const wrongSecret = 'wrong-secret-that-must-not-be-logged-1234';
    await fetch(`${gp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: adminClient.client_id, client_secret: wrongSecret, resource: `${gp.issuer}/api` }),
    });
    const log = capture.text();
    expect(log).to.contain('/invitations/[redacted]');
    expect(log, 'the redeem token').to.not.contain(token);
    expect(log, 'the redeem URL').to.not.contain(invited.body.inviteRedeemUrl);
    expect(log, 'a client secret').to.not.contain(adminClient.client_secret);
    expect(log, 'a wrong client secret').to.not.contain(wrongSecret);
  });
});
