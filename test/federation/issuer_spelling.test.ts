/**
 * The issuer a work provider's discovery document states is the one identity key, whichever way
 * the federation entry spells it (SPEC §1b, docs/federation.md): with or without a trailing
 * slash, on the provider's side or in the configuration, a linked guest's second visit goes
 * straight to their work provider and no code is mailed. Against real oidc-providers, one per
 * spelling, and one guestpass serving all of them.
 */
import { expect } from 'chai';

import { openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

interface SpellingCase {
  id: string;
  title: string;
  issuerPath?: string;
  providerSlash: boolean;
  configuredSlash: boolean;
}

const cases: SpellingCase[] = [
  { id: 'slash-slash', title: 'provider and entry both with a trailing slash', providerSlash: true, configuredSlash: true },
  { id: 'slash-bare', title: 'provider with a trailing slash, entry without', providerSlash: true, configuredSlash: false },
  { id: 'bare-slash', title: 'provider without a trailing slash, entry with one', providerSlash: false, configuredSlash: true },
  { id: 'bare-bare', title: 'provider and entry both without a trailing slash', providerSlash: false, configuredSlash: false },
  // Under a path (Keycloak's /realms/<name>) openid-client alone would refuse these two at discovery.
  { id: 'path-bare-slash', title: 'a provider under a path without a trailing slash, entry with one', issuerPath: '/realms/partner', providerSlash: false, configuredSlash: true },
  { id: 'path-slash-bare', title: 'a provider under a path with a trailing slash, entry without', issuerPath: '/realms/partner', providerSlash: true, configuredSlash: false },
];

describe('federation issuers spelled with and without a trailing slash', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const providers = new Map<string, RunningWorkProvider>();
  const domain = (spelling: SpellingCase) => `${spelling.id}.example`;
  const respell = (issuer: string, slash: boolean) => (slash ? `${issuer.replace(/\/$/, '')}/` : issuer.replace(/\/$/, ''));

  before(async () => {
    smtp = await new SmtpCapture().start();
    // guestpass's port first: each provider registers its redirect URI.
    const port = await freePort();
    for (const spelling of cases) {
      const provider = await startWorkProvider({
        clientId: 'guestpass',
        clientSecret: `secret-of-${spelling.id}`,
        redirectUris: [`http://127.0.0.1:${port}/federation/${spelling.id}/callback`],
        issuerPath: spelling.issuerPath,
        trailingSlash: spelling.providerSlash,
        accounts: { [`ada-${spelling.id}`]: { email: `ada@${domain(spelling)}`, email_verified: true }, [`leo-${spelling.id}`]: { email: `leo@${domain(spelling)}`, email_verified: true } },
      });
      providers.set(spelling.id, provider);
    }
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      config: {
        port,
        clients: [rpClient],
        federation: cases.map((spelling) => ({
          id: spelling.id,
          name: `${spelling.id} work account`,
          issuer: respell(providers.get(spelling.id)!.issuer, spelling.configuredSlash),
          clientId: 'guestpass',
          clientSecret: `secret-of-${spelling.id}`,
          domains: [domain(spelling)],
        })),
      },
    });
  });
  after(async () => {
    await gp?.close();
    for (const provider of providers.values()) await provider.stop();
    await smtp?.stop();
  });

  function browserFor(provider: RunningWorkProvider) {
    return () => gp.browser().alsoFollow(provider.issuer);
  }

  async function codesSentTo(email: string): Promise<number> {
    return (await gp.store.listAudit({ operation: 'VerificationCodeSent', email }, { limit: 10 })).items.length;
  }

  for (const spelling of cases) {
    it(`signs a linked guest in on the second visit with no code: ${spelling.title}`, async () => {
      const provider = providers.get(spelling.id)!;
      const email = `ada@${domain(spelling)}`;
      expect(provider.issuer.endsWith('/')).to.equal(spelling.providerSlash);

      const first = await openSignIn({ rp: gp.rp, browser: browserFor(provider) });
      await submitEmail(first, email);
      const atWork = await submitCode(first, codeFrom(await smtp.waitForMail(email)));
      expect(atWork.url.startsWith(respell(provider.issuer, false)), 'sent to the work provider after the code').to.equal(true);
      const back = await signInAtWorkProvider(first.browser, atWork, `ada-${spelling.id}`);
      const upgraded = (await gp.rp.redeem(first.pending, back.leftTo!)).claims()!;
      expect(upgraded).to.include({ user_type: 'guest', idp: provider.issuer });
      const person = await gp.server.people.findByEmail(email);
      expect(person?.identities, 'keyed by the issuer the provider states').to.deep.equal([{ issuer: provider.issuer, subject: `ada-${spelling.id}` }]);

      const second = await openSignIn({ rp: gp.rp, browser: browserFor(provider) });
      const straightUp = await submitEmail(second, email);
      expect(new URL(straightUp.url).origin, 'the address goes straight to its work provider').to.equal(new URL(provider.issuer).origin);
      const again = await signInAtWorkProvider(second.browser, straightUp, `ada-${spelling.id}`);
      const claims = (await gp.rp.redeem(second.pending, again.leftTo!)).claims()!;
      expect(claims).to.include({ sub: upgraded.sub, user_type: 'guest', idp: provider.issuer });
      expect(claims.amr).to.deep.equal(['fed']);
      expect(await codesSentTo(email), 'one code in all: the first visit').to.equal(1);
      expect(smtp.mailsTo(email)).to.have.length(1);
    });
  }

  it('signs in a guest whose identity was stored under the other spelling of the issuer, with no code', async () => {
    // As if linked while the provider spelled its issuer the other way: the provider now says
    // http://localhost:<port> and the stored identity says http://localhost:<port>/.
    const spelling = cases.find((candidate) => candidate.id === 'bare-slash')!;
    const provider = providers.get(spelling.id)!;
    const email = `leo@${domain(spelling)}`;
    const otherSpelling = `${provider.issuer}/`;
    const leo = await gp.server.people.recordVerification({ display: email, normalized: email });
    const linked = await gp.server.people.linkIdentity(leo.id, { issuer: otherSpelling, subject: `leo-${spelling.id}` }, 'guest');
    expect(linked.outcome).to.equal('linked');

    const journey = await openSignIn({ rp: gp.rp, browser: browserFor(provider) });
    const straightUp = await submitEmail(journey, email);
    expect(new URL(straightUp.url).origin).to.equal(new URL(provider.issuer).origin);
    const back = await signInAtWorkProvider(journey.browser, straightUp, `leo-${spelling.id}`);
    const claims = (await gp.rp.redeem(journey.pending, back.leftTo!)).claims()!;
    expect(claims).to.include({ sub: leo.id, user_type: 'guest' });
    expect(claims.amr).to.deep.equal(['fed']);
    expect(await codesSentTo(email)).to.equal(0);
    expect((await gp.server.people.get(leo.id))?.identities, 'left as it was stored').to.deep.equal([{ issuer: otherSpelling, subject: `leo-${spelling.id}` }]);

    // The same upstream account under the provider's spelling is still Leo's: no one else links it.
    const ivo = await gp.server.people.recordVerification({ display: `ivo@${domain(spelling)}`, normalized: `ivo@${domain(spelling)}` });
    expect(await gp.server.people.linkIdentity(ivo.id, { issuer: provider.issuer, subject: `leo-${spelling.id}` }, 'guest')).to.deep.equal({ outcome: 'taken', personId: leo.id });
    expect(await gp.server.people.linkIdentity(leo.id, { issuer: provider.issuer, subject: 'leo-second-account' }, 'guest')).to.deep.equal({ outcome: 'issuer_already_linked' });
  });
});
