/**
 * Work accounts of any organisation (SPEC §1b): one multi-tenant entry (the `entra` preset)
 * against a stand-in that speaks Entra's protocol and claims — three real oidc-provider tenants
 * with issuers of their own, and the per-domain discovery document — on Redis, over HTTP.
 * guestpass finds the tenant that owns a recipient's domain, sends them there, and links only a
 * token of that tenant, for the verified address, with `xms_edov: true`.
 */
import { expect } from 'chai';

import { visibleText, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { capturingLogger, logLevels } from '../support/log_capture.ts';
import { ManagementApi } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider } from '../support/work_provider.ts';
import { startTenantCloud, type RunningTenantCloud } from '../support/work_tenants.ts';

interface PersonBody {
  id: string;
  email: string;
  userType: string;
  state?: string;
  identities: { issuer: string; subject: string }[];
}

describe('work accounts of any organisation (a multi-tenant entry)', () => {
  let smtp: SmtpCapture;
  let cloud: RunningTenantCloud;
  let gp: TestGuestpass;
  let guarded: TestGuestpass;
  let admin: ManagementApi;
  const clock = new ManualClock();
  const log = capturingLogger();
  const guardedLog = capturingLogger();
  const ports: number[] = [];

  const entry = () => ({
    preset: 'entra',
    issuer: cloud.issuerTemplate,
    clientId: 'guestpass-app',
    clientSecret: 'multi-tenant-app-secret',
    tenants: { discoveryUrl: cloud.discoveryUrl, excludeIssuers: [cloud.issuerOf('consumers')], timeoutMs: 500 },
  });

  before(async () => {
    smtp = await new SmtpCapture().start();
    ports.push(await freePort(), await freePort());
    cloud = await startTenantCloud({
      clientId: 'guestpass-app',
      clientSecret: 'multi-tenant-app-secret',
      redirectUris: ports.map((port) => `http://127.0.0.1:${port}/federation/entra/callback`),
      tenants: {
        'tenant-a': {
          domains: ['alpha.example'],
          accounts: {
            'ann-a': { email: 'ann@alpha.example', xms_edov: true, name: 'Ann Alpha' },
            'max-a': { email: 'max@alpha.example', xms_edov: true },
            'uli-a': { email: 'uli@alpha.example', xms_edov: false },
            // Says email_verified, but the entry believes only xms_edov.
            'nia-a': { email: 'nia@alpha.example', email_verified: true },
            'cora-a': { email: 'cora@beta.example', xms_edov: true },
            'ivy-a': { email: 'ivy@alpha.example', xms_edov: true },
          },
        },
        'tenant-b': {
          domains: ['beta.example'],
          accounts: {
            'bob-b': { email: 'bob@beta.example', xms_edov: true },
            // nOAuth: tenant B writes an address of tenant A's domain into one of its own users, and calls it verified.
            'eve-b': { email: 'axel@alpha.example', xms_edov: true },
          },
        },
        'tenant-c': { domains: ['gamma.example', 'delta.example', 'epsilon.example'], accounts: {} },
        consumers: { domains: ['outlook.example'], accounts: {} },
      },
    });
    const config = (port: number) => ({
      port,
      clients: [rpClient, filesClient, adminClient],
      organization: { name: 'Contoso', domains: ['contoso.com'] },
      federation: [entry()],
    });
    [gp, guarded] = await Promise.all([
      startGuestpass({ store: 'redis', smtp, clock, deps: { logger: log.logger }, config: { ...config(ports[0]!), allowPrivateNetworkCalls: true } }),
      startGuestpass({ store: 'redis', smtp, clock, deps: { logger: guardedLog.logger }, config: config(ports[1]!) }),
    ]);
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write admin audit:read');
  });
  after(async () => {
    await gp?.close();
    await guarded?.close();
    await cloud?.stop();
    await smtp?.stop();
  });
  afterEach(() => {
    cloud.discovery = 'answer';
    clock.advanceSeconds(61);
  });

  function open(instance = gp): Promise<Journey> {
    return openSignIn({ rp: instance.rp, browser: () => instance.browser().alsoFollow(cloud.origin) });
  }

  /** Email and code; returns where the browser lands after the code (at a tenant, for an upgrade). */
  async function verifyCode(journey: Journey, email: string): Promise<PageResponse> {
    const before = smtp.mailsTo(email).length;
    await submitEmail(journey, email);
    return submitCode(journey, codeFrom(await smtp.waitForMail(email, { nth: before + 1 })));
  }

  async function person(email: string): Promise<PersonBody> {
    const found = (await admin.get<{ items: PersonBody[] }>(`/users?email=${encodeURIComponent(email)}`)).body.items.find((item) => item.email === email);
    if (!found) throw new Error(`no person ${email}`);
    return found;
  }

  async function refusals(email: string): Promise<unknown[]> {
    const events = (await gp.store.listAudit({ operation: 'GuestUpgraded', email }, { limit: 10 })).items;
    return events.filter((event) => event.result === 'failure').map((event) => event.detail.reason);
  }

  const tenantOf = (page: PageResponse) => new URL(page.url).pathname.split('/')[1];

  it('sends a recipient to the tenant that owns their domain, links that tenant\'s account, and signs them in there afterwards', async () => {
    const journey = await open();
    const atWork = await verifyCode(journey, 'ann@alpha.example');
    expect(new URL(atWork.url).origin, atWork.body.slice(0, 300)).to.equal(cloud.origin);
    expect(tenantOf(atWork)).to.equal('tenant-a');
    const back = await signInAtWorkProvider(journey.browser, atWork, 'ann-a');
    const claims = (await gp.rp.redeem(journey.pending, back.leftTo!)).claims()!;
    expect(claims).to.include({ email: 'ann@alpha.example', user_type: 'guest', idp: cloud.issuerOf('tenant-a') });
    expect(claims.amr).to.deep.equal(['otp', 'fed']);
    expect((await person('ann@alpha.example')).identities).to.deep.equal([{ issuer: cloud.issuerOf('tenant-a'), subject: 'ann-a' }]);

    // Later the domain lookup says another tenant, and then nothing at all: the linked identity
    // still signs in, at its own tenant, with no code.
    cloud.owners.set('alpha.example', 'tenant-b');
    clock.advanceSeconds(3601);
    cloud.discovery = 'down';
    try {
      const next = await open();
      const straightUp = await submitEmail(next, 'ann@alpha.example');
      expect(tenantOf(straightUp)).to.equal('tenant-a');
      const again = await signInAtWorkProvider(next.browser, straightUp, 'ann-a');
      const second = (await gp.rp.redeem(next.pending, again.leftTo!)).claims()!;
      expect(second).to.include({ sub: claims.sub, user_type: 'guest', idp: cloud.issuerOf('tenant-a') });
      expect(second.amr).to.deep.equal(['fed']);
    } finally {
      cloud.owners.set('alpha.example', 'tenant-a');
    }
  });

  it('refuses a code of tenant B delivered to a sign-in sent to tenant A, with or without B\'s iss', async () => {
    // The attacker can have tenant B issue a code for guestpass: by signing in for an address of B's domain.
    const attacker = await open();
    const atB = await verifyCode(attacker, 'bob@beta.example');
    expect(tenantOf(atB)).to.equal('tenant-b');
    attacker.browser.follows.delete(new URL(gp.issuer).origin);
    const fromB = new URL((await signInAtWorkProvider(attacker.browser, atB, 'eve-b')).leftTo!);
    expect(fromB.pathname).to.equal('/federation/entra/callback');

    for (const keepIss of [false, true]) {
      // A moment's access to axel's mailbox gives a code, and a sign-in sent to tenant A with its state.
      const journey = await open();
      const atA = await verifyCode(journey, 'axel@alpha.example');
      expect(tenantOf(atA)).to.equal('tenant-a');
      const state = new URL(atA.history.find((url) => url.includes('/auth?')) ?? 'http://invalid').searchParams.get('state');
      expect(state, 'the authorization request carries a state').to.be.a('string');
      const forged = new URL(`${gp.issuer}/federation/entra/callback`);
      forged.searchParams.set('code', fromB.searchParams.get('code')!);
      forged.searchParams.set('state', state!);
      if (keepIss) forged.searchParams.set('iss', fromB.searchParams.get('iss')!);
      const refused = await journey.browser.get(forged.href);
      expect(visibleText(refused.body)).to.contain('Your work account was not linked').and.contain('did not complete the sign-in');
      expect(await person('axel@alpha.example')).to.include({ userType: 'adhoc' });
      expect((await person('axel@alpha.example')).identities).to.deep.equal([]);
      clock.advanceSeconds(61);
    }
  });

  it('refuses, at link time, a token from a tenant that no longer owns the address\'s domain', async () => {
    const journey = await open();
    const atA = await verifyCode(journey, 'max@alpha.example');
    expect(tenantOf(atA)).to.equal('tenant-a');
    cloud.owners.set('alpha.example', 'tenant-b');
    clock.advanceSeconds(3601);
    try {
      const refused = await signInAtWorkProvider(journey.browser, atA, 'max-a');
      expect(visibleText(refused.body)).to.contain('for another email address');
    } finally {
      // Back to tenant A, and past guestpass's memory of tenant B.
      cloud.owners.set('alpha.example', 'tenant-a');
      clock.advanceSeconds(3601);
    }
    expect(await refusals('max@alpha.example')).to.deep.equal(['wrong_tenant']);
    expect((await person('max@alpha.example')).identities).to.deep.equal([]);
  });

  it('refuses an account whose address the tenant has not verified (xms_edov false or missing, whatever email_verified says)', async () => {
    for (const [email, account] of [
      ['uli@alpha.example', 'uli-a'],
      ['nia@alpha.example', 'nia-a'],
    ] as const) {
      const journey = await open();
      const refused = await signInAtWorkProvider(journey.browser, await verifyCode(journey, email), account);
      expect(visibleText(refused.body)).to.contain('has not verified the email address');
      expect(await refusals(email)).to.deep.equal(['email_not_verified']);
      expect(await person(email)).to.include({ userType: 'adhoc' });
    }
  });

  it('refuses an account of the right tenant whose address is at a domain the tenant does not own', async () => {
    const journey = await open();
    const refused = await signInAtWorkProvider(journey.browser, await verifyCode(journey, 'cora@alpha.example'), 'cora-a');
    expect(visibleText(refused.body)).to.contain('for another email address');
    expect(await refusals('cora@alpha.example')).to.deep.equal(['email_mismatch']);
  });

  it('offers nothing for a domain no tenant owns or an excluded tenant owns, and asks once per domain', async () => {
    for (const email of ['nadia@nobody.example', 'noel@nobody.example', 'olivia@outlook.example']) {
      const done = await verifyCode(await open(), email);
      expect(done.leftTo, `${email}: back at the relying party with the code alone`).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    }
    expect(cloud.lookups.get('nobody.example')).to.equal(1);
    expect(cloud.lookups.get('outlook.example')).to.equal(1);
  });

  it('answers repeated lookups of a domain from its cache until the answer expires', async () => {
    const first = await verifyCode(await open(), 'gus@gamma.example');
    expect(tenantOf(first)).to.equal('tenant-c');
    expect(tenantOf(await verifyCode(await open(), 'gil@gamma.example'))).to.equal('tenant-c');
    expect(cloud.lookups.get('gamma.example')).to.equal(1);
    clock.advanceSeconds(3601);
    expect(tenantOf(await verifyCode(await open(), 'gwen@gamma.example'))).to.equal('tenant-c');
    expect(cloud.lookups.get('gamma.example')).to.equal(2);
  });

  it('keeps the email code when domain discovery is down or does not answer, and does not ask again at once', async () => {
    cloud.discovery = 'down';
    const down = await verifyCode(await open(), 'dora@delta.example');
    expect(down.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    cloud.discovery = 'hang';
    for (const email of ['emil@epsilon.example', 'esme@epsilon.example']) {
      const done = await verifyCode(await open(), email);
      expect(done.leftTo, `${email} signs in with the code`).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    }
    expect(cloud.lookups.get('epsilon.example'), 'the failure is remembered').to.equal(1);
    const warnings = log.lines.filter((line) => line.level === logLevels.warn && line.provider === 'entra').map((line) => line.domain);
    expect(warnings).to.include.members(['delta.example', 'epsilon.example']);
  });

  it('looks a domain up once however many sign-ins ask at the same moment', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => gp.server.federation.forEmail('zoe@zeta.example')));
    expect(answers.every((entry) => entry === undefined)).to.equal(true);
    expect(cloud.lookups.get('zeta.example')).to.equal(1);
  });

  it('serves no domain whose document states an issuer off the template, or sends people off the provider\'s origin', async () => {
    const genuine = (await (await fetch(`${cloud.issuerOf('tenant-c')}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    cloud.impostors.set('foreign.example', { ...genuine, issuer: 'http://localhost:1/tenant-c/v2.0' });
    cloud.impostors.set('phish.example', { ...genuine, issuer: cloud.issuerOf('tenant-z'), authorization_endpoint: 'http://localhost:1/tenant-z/v2.0/auth' });
    for (const email of ['fay@foreign.example', 'phil@phish.example']) {
      const done = await verifyCode(await open(), email);
      expect(done.leftTo, `${email} keeps the code`).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    }
    const warned = log.lines.filter((line) => line.level === logLevels.warn && line.provider === 'entra');
    expect(warned.find((line) => line.domain === 'foreign.example')?.msg).to.contain('does not fit the template');
    expect(warned.find((line) => line.domain === 'phish.example')?.error).to.contain('sends people to http://localhost:1');
  });

  it('looks nothing up on the private network while allowPrivateNetworkCalls is off', async () => {
    const before = cloud.lookups.get('alpha.example') ?? 0;
    const done = await verifyCode(await open(guarded), 'ann@alpha.example');
    expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    expect(cloud.lookups.get('alpha.example') ?? 0).to.equal(before);
    const refused = guardedLog.lines.find((line) => line.level === logLevels.warn && line.domain === 'alpha.example');
    expect(refused?.error).to.contain('allowPrivateNetworkCalls is off');
  });

  it('never looks up the organisation\'s own domains', async () => {
    const done = await verifyCode(await open(), 'mia@contoso.com');
    expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    expect(cloud.lookups.has('contoso.com')).to.equal(false);
  });

  it('lets an invited guest accept with an account of the tenant that owns their domain', async () => {
    const invited = await admin.post<{ inviteRedeemUrl: string }>('/invitations', { email: 'ivy@alpha.example', redirectUrl: 'http://files.test/welcome' });
    const browser = gp.browser().alsoFollow(cloud.origin);
    let page = await browser.get(invited.body.inviteRedeemUrl);
    expect(visibleText(page.body)).to.contain('Sign in with your Microsoft work or school account instead');
    page = await browser.submit(page, '/work-account');
    expect(tenantOf(page)).to.equal('tenant-a');
    const landed = await signInAtWorkProvider(browser, page, 'ivy-a');
    expect(landed.leftTo).to.equal('http://files.test/welcome');
    const ivy = await person('ivy@alpha.example');
    expect(ivy).to.include({ userType: 'guest', state: 'Accepted' });
    expect(ivy.identities).to.deep.equal([{ issuer: cloud.issuerOf('tenant-a'), subject: 'ivy-a' }]);
  });
});
