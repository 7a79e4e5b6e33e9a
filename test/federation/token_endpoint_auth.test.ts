/**
 * How guestpass authenticates at a work provider's token endpoint (SPEC §1b,
 * docs/federation.md): client_secret_basic form-encodes the ID and secret as RFC 6749 §2.3.1
 * requires; a provider that compares the Basic credentials raw (LemonLDAP::NG does) refuses a
 * secret with `-+/=`, and the log then names that cause and the `client_secret_post` fix, which
 * works. The stand-in is a real oidc-provider behind a middleware that compares Basic
 * credentials raw (test/support/work_provider.ts).
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { capturingLogger, logLevels } from '../support/log_capture.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

describe('authenticating at a work provider’s token endpoint', () => {
  // Characters form-encoding changes, as a provider's generated secret may well contain.
  const secret = 'Sx-7q+Lw/0pZ=e';
  let smtp: SmtpCapture;
  let lemon: RunningWorkProvider;
  let postOnly: RunningWorkProvider;
  let basicGp: TestGuestpass;
  let postGp: TestGuestpass;
  const basicLog = capturingLogger();
  const postLog = capturingLogger();

  before(async () => {
    smtp = await new SmtpCapture().start();
    const [basicPort, postPort] = [await freePort(), await freePort()];
    lemon = await startWorkProvider({
      clientId: 'guestpass',
      clientSecret: secret,
      compareBasicCredentialsRaw: true,
      redirectUris: [basicPort, postPort].map((port) => `http://127.0.0.1:${port}/federation/lemon/callback`),
      accounts: { 'ada-at-lemon': { email: 'ada@lemon.example', email_verified: true }, 'bea-at-lemon': { email: 'bea@lemon.example', email_verified: true } },
    });
    postOnly = await startWorkProvider({ clientId: 'guestpass', clientSecret: 'post-only-secret', redirectUris: [], clientAuthMethods: ['client_secret_post'], tokenEndpointAuthMethod: 'client_secret_post' });
    const lemonEntry = { id: 'lemon', name: 'Lemon work account', issuer: lemon.issuer, clientId: 'guestpass', clientSecret: secret, domains: ['lemon.example'] };
    const [basic, post] = await Promise.all([
      startGuestpass({
        store: 'redis',
        smtp,
        deps: { logger: basicLog.logger },
        config: {
          port: basicPort,
          clients: [rpClient],
          federation: [lemonEntry, { id: 'post-only', name: 'Post-only', issuer: postOnly.issuer, clientId: 'guestpass', clientSecret: 'post-only-secret', domains: ['post.example'] }],
        },
      }),
      startGuestpass({
        store: 'redis',
        smtp,
        deps: { logger: postLog.logger },
        config: { port: postPort, clients: [rpClient], federation: [{ ...lemonEntry, tokenEndpointAuthMethod: 'client_secret_post' }] },
      }),
    ]);
    [basicGp, postGp] = [basic, post];
  });
  after(async () => {
    await basicGp?.close();
    await postGp?.close();
    await lemon?.stop();
    await postOnly?.stop();
    await smtp?.stop();
  });

  /** Email, code, and the work provider's login; returns the page back at guestpass. */
  async function upgrade(gp: TestGuestpass, email: string, login: string) {
    const journey = await openSignIn({ rp: gp.rp, browser: () => gp.browser().alsoFollow(lemon.issuer) });
    await submitEmail(journey, email);
    const atWork = await submitCode(journey, codeFrom(await smtp.waitForMail(email)));
    expect(new URL(atWork.url).origin).to.equal(lemon.issuer);
    return { journey, back: await signInAtWorkProvider(journey.browser, atWork, login) };
  }

  it('says at discovery which method each entry uses, and warns when the provider does not list it', async () => {
    await basicGp.server.federation.checkProviders();
    const discovered = basicLog.lines.find((line) => line.level === logLevels.info && line.provider === 'lemon');
    expect(discovered?.msg).to.contain('guestpass authenticates at its token endpoint with client_secret_basic');
    expect(discovered).to.deep.include({ tokenEndpointAuthMethod: 'client_secret_basic', providerAuthMethods: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none'] });
    expect(basicLog.lines.filter((line) => line.level === logLevels.warn && line.provider === 'lemon'), 'lemon lists client_secret_basic').to.deep.equal([]);

    const unlisted = basicLog.lines.find((line) => line.level === logLevels.warn && line.provider === 'post-only');
    expect(unlisted?.msg).to.contain('does not list client_secret_basic').and.contain('(client_secret_post)').and.contain('"tokenEndpointAuthMethod"');

    await postGp.server.federation.checkProviders();
    expect(postLog.lines.find((line) => line.level === logLevels.info && line.provider === 'lemon')?.msg).to.contain('with client_secret_post');
  });

  it('the stand-in takes raw Basic credentials and refuses form-encoded ones, as LemonLDAP::NG does', async () => {
    const tokenRequest = (credentials: string) =>
      fetch(`${lemon.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: `${basicGp.issuer}/federation/lemon/callback` }),
      }).then(async (response) => ((await response.json()) as { error: string }).error);
    expect(await tokenRequest(`guestpass:${secret}`), 'authenticated, then the made-up code is refused').to.equal('invalid_grant');
    expect(await tokenRequest(`guestpass:${encodeURIComponent(secret)}`)).to.equal('invalid_client');
  });

  it('names the likely cause and the client_secret_post fix when the provider refuses form-encoded Basic credentials', async () => {
    const { journey, back } = await upgrade(basicGp, 'ada@lemon.example', 'ada-at-lemon');
    expect(visibleText(back.body)).to.contain('Your work account was not linked').and.contain('did not complete the sign-in');
    const refused = basicLog.lines.filter((line) => line.level === logLevels.error && line.provider === 'lemon');
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({ error: 'invalid_client', tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(refused[0]!.msg)
      .to.contain('invalid_client')
      .and.contain('RFC 6749 §2.3.1')
      .and.contain('- + / =')
      .and.contain('"tokenEndpointAuthMethod": "client_secret_post"')
      .and.contain('docs/federation.md');
    const log = basicLog.text();
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(`guestpass:${encodeURIComponent(secret)}`).toString('base64')]) expect(log).to.not.contain(form);

    // The person keeps the sign-in their code earned.
    const done = await journey.browser.submit(back, '/continue');
    expect((await basicGp.rp.redeem(journey.pending, done.leftTo!)).claims()).to.include({ user_type: 'adhoc' });
  });

  it('links the work account with tokenEndpointAuthMethod client_secret_post against the same provider', async () => {
    const { journey, back } = await upgrade(postGp, 'bea@lemon.example', 'bea-at-lemon');
    const claims = (await postGp.rp.redeem(journey.pending, back.leftTo!)).claims()!;
    expect(claims).to.include({ user_type: 'guest', idp: lemon.issuer });
    expect(claims.amr).to.deep.equal(['otp', 'fed']);
    expect(postLog.lines.filter((line) => line.level >= logLevels.warn)).to.deep.equal([]);
  });
});
