/**
 * Interoperability with a work-account provider that is not oidc-provider: LemonLDAP::NG 2.16
 * (Perl) from Debian's packages, configured as docs/federation.md tells an operator (issue 16).
 * It states its issuer with a trailing slash while guestpass's entry is written without one, it
 * compares Basic credentials raw, and it produces `email_verified` from a macro — the three
 * things that broke or needed a guide.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { openSignIn, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { signInAtLemonLdap, startLemonLdap, type RunningLemonLdap } from '../support/lemonldap.ts';
import { capturingLogger, logLevels } from '../support/log_capture.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

describe('interop: LemonLDAP::NG 2.16 as the work-account provider (Debian packages)', () => {
  // The characters RFC 6749 §2.3.1 form-encoding changes, as a generated secret may hold.
  const secret = 'Lx-9q+Rw/2pZ=e';
  let smtp: SmtpCapture;
  let lemon: RunningLemonLdap;
  let post: TestGuestpass;
  let basic: TestGuestpass;
  const basicLog = capturingLogger();

  before(async function () {
    this.timeout(90_000);
    smtp = await new SmtpCapture().start();
    const [postPort, basicPort] = [await freePort(), await freePort()];
    lemon = await startLemonLdap({
      clientSecret: secret,
      redirectUris: [postPort, basicPort].map((port) => `http://127.0.0.1:${port}/federation/fabrikam/callback`),
      defaultIssuer: true,
    });
    const entry = (tokenEndpointAuthMethod: string) => ({
      id: 'fabrikam',
      name: 'Fabrikam work account',
      // Written without the trailing slash LemonLDAP::NG's discovery states.
      issuer: lemon.origin,
      clientId: 'guestpass',
      clientSecret: secret,
      domains: ['badwolf.org'],
      tokenEndpointAuthMethod,
    });
    post = await startGuestpass({ store: 'redis', smtp, config: { port: postPort, federation: [entry('client_secret_post')] } });
    basic = await startGuestpass({ store: 'redis', smtp, config: { port: basicPort, federation: [entry('client_secret_basic')] }, deps: { logger: basicLog.logger } });
  });
  after(async () => {
    await post?.close();
    await basic?.close();
    await lemon?.stop();
    await smtp?.stop();
  });

  it('states its issuer with a trailing slash; guestpass accepts the entry written without one', () => {
    expect(lemon.issuer).to.equal(`${lemon.origin}/`);
  });

  it('upgrades a recipient to a guest after one code, with client_secret_post, and signs them in there from then on with no code', async () => {
    const browser = post.browser().alsoFollow(lemon.origin);
    const first = await openSignIn(post, {}, browser);
    await submitEmail(first, 'dwho@badwolf.org');
    const atLemon = await submitCode(first, codeFrom(await smtp.waitForMail('dwho@badwolf.org')));
    expect(atLemon.url.startsWith(lemon.origin), `sent to LemonLDAP::NG's login: ${atLemon.url}`).to.equal(true);
    const back = await signInAtLemonLdap(browser, atLemon, 'dwho');
    expect(back.leftTo, visibleText(back.body).slice(0, 300)).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    const claims = (await post.rp.redeem(first.pending, back.leftTo!)).claims()!;
    expect(claims).to.include({ email: 'dwho@badwolf.org', user_type: 'guest', idp: lemon.issuer });
    expect(claims.amr).to.deep.equal(['otp', 'fed']);

    // A new browser: the address goes straight to LemonLDAP::NG, and no second code is mailed.
    const later = post.browser().alsoFollow(lemon.origin);
    const second = await openSignIn(post, {}, later);
    const straight = await submitEmail(second, 'dwho@badwolf.org');
    expect(straight.url.startsWith(lemon.origin), 'home realm: no code page').to.equal(true);
    const again = await signInAtLemonLdap(later, straight, 'dwho');
    const secondClaims = (await post.rp.redeem(second.pending, again.leftTo!)).claims()!;
    expect(secondClaims.sub).to.equal(claims.sub);
    expect(secondClaims.amr).to.deep.equal(['fed']);
    expect(smtp.mailsTo('dwho@badwolf.org')).to.have.length(1);
  });

  it('with client_secret_basic, is refused by LemonLDAP::NG (raw Basic comparison); the log names the cause and the client_secret_post fix, and the code still signs the person in', async () => {
    const browser = basic.browser().alsoFollow(lemon.origin);
    const journey = await openSignIn(basic, {}, browser);
    await submitEmail(journey, 'rtyler@badwolf.org');
    const atLemon = await submitCode(journey, codeFrom(await smtp.waitForMail('rtyler@badwolf.org')));
    const back = await signInAtLemonLdap(browser, atLemon, 'rtyler');
    expect(visibleText(back.body)).to.contain('Your work account was not linked');
    const refusal = basicLog.lines.find((line) => line.level >= logLevels.warn && /invalid_client/.test(JSON.stringify(line)));
    expect(refusal, basicLog.text().slice(-2000)).to.not.equal(undefined);
    expect(JSON.stringify(refusal)).to.contain('client_secret_post');
    expect(basicLog.text()).to.not.contain(secret);
    journey.page = back;
    const done = await journey.browser.submit(back, '/continue');
    expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
  });
});
