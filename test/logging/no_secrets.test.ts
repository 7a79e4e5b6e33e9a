/** No code, token or secret ever reaches a log line, even at the most verbose level. */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import * as client from 'openid-client';

import { createLogger } from '../../src/log.ts';
import { rpClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

describe('logs', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const lines: string[] = [];

  before(async () => {
    smtp = await new SmtpCapture().start();
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    gp = await startGuestpass({ store: 'redis', smtp, deps: { logger: createLogger('trace', sink) } });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('carry no code, token, client secret or cookie across a whole sign-in', async () => {
    const { tokens, mail, journey } = await signIn(gp, smtp, 'logs@example.org', { scope: 'openid email offline_access', prompt: 'consent' });
    const refreshed = await client.refreshTokenGrant(gp.rp.config, tokens.refresh_token!);
    await client.fetchUserInfo(gp.rp.config, refreshed.access_token, refreshed.claims()!.sub);
    const log = lines.join('');
    expect(lines.length, 'something was logged').to.be.greaterThan(5);
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
