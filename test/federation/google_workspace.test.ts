/**
 * The `google` preset: one issuer for every organisation, a domain offered the upgrade when its
 * MX hosts are Google's (asked of a real DNS server on loopback), and a link only when `hd`
 * equals the address's domain — a consumer Google account created with a work address has no
 * `hd`, and one of another organisation has another. On Redis, over HTTP.
 */
import { expect } from 'chai';

import { visibleText, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { startDnsServer, type RunningDnsServer } from '../support/dns_server.ts';
import { ManagementApi } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

describe('Google Workspace accounts of any organisation (the google preset)', () => {
  let smtp: SmtpCapture;
  let dns: RunningDnsServer;
  let google: RunningWorkProvider;
  let gp: TestGuestpass;
  let admin: ManagementApi;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    dns = await startDnsServer({
      'workspace.example': ['aspmx.l.google.com', 'alt1.aspmx.l.google.com'],
      'othermail.example': ['mx.othermail.example'],
      'gmail.com': ['gmail-smtp-in.l.google.com'],
    });
    const port = await freePort();
    google = await startWorkProvider({
      clientId: 'guestpass.apps.googleusercontent.test',
      clientSecret: 'google-client-secret',
      redirectUris: [`http://127.0.0.1:${port}/federation/google/callback`],
      emailClaims: ['email', 'email_verified', 'hd'],
      accounts: {
        gina: { email: 'gina@workspace.example', email_verified: true, hd: 'workspace.example', name: 'Gina' },
        // A consumer Google account someone created with their work address: Google verified the mailbox, no organisation vouches.
        'carl-consumer': { email: 'carl@workspace.example', email_verified: true },
        'olga-elsewhere': { email: 'olga@workspace.example', email_verified: true, hd: 'other.example' },
      },
    });
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        port,
        clients: [rpClient, adminClient],
        federation: [{ preset: 'google', issuer: google.issuer, clientId: 'guestpass.apps.googleusercontent.test', clientSecret: 'google-client-secret', tenants: { dnsServers: [dns.address], timeoutMs: 300 } }],
      },
    });
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read audit:read admin');
  });
  after(async () => {
    await gp?.close();
    await google?.stop();
    await dns?.stop();
    await smtp?.stop();
  });
  afterEach(() => clock.advanceSeconds(61));

  function open(): Promise<Journey> {
    return openSignIn({ rp: gp.rp, browser: () => gp.browser().alsoFollow(google.issuer) });
  }

  async function verifyCode(journey: Journey, email: string): Promise<PageResponse> {
    const before = smtp.mailsTo(email).length;
    await submitEmail(journey, email);
    return submitCode(journey, codeFrom(await smtp.waitForMail(email, { nth: before + 1 })));
  }

  async function identitiesOf(email: string): Promise<unknown[]> {
    const page = await admin.get<{ items: { email: string; identities: unknown[] }[] }>(`/users?email=${encodeURIComponent(email)}`);
    return page.body.items.find((item) => item.email === email)!.identities;
  }

  it('links the Workspace account of a domain whose mail Google handles, and signs in with it afterwards', async () => {
    const journey = await open();
    const atGoogle = await verifyCode(journey, 'gina@workspace.example');
    expect(new URL(atGoogle.url).origin).to.equal(google.issuer);
    const back = await signInAtWorkProvider(journey.browser, atGoogle, 'gina');
    const claims = (await gp.rp.redeem(journey.pending, back.leftTo!)).claims()!;
    expect(claims).to.include({ user_type: 'guest', idp: google.issuer });
    expect(await identitiesOf('gina@workspace.example')).to.deep.equal([{ issuer: google.issuer, subject: 'gina' }]);

    const next = await open();
    const straightUp = await submitEmail(next, 'gina@workspace.example');
    const again = await signInAtWorkProvider(next.browser, straightUp, 'gina');
    expect((await gp.rp.redeem(next.pending, again.leftTo!)).claims()).to.include({ sub: claims.sub, user_type: 'guest' });
  });

  it('refuses a Google account without hd, or with another organisation\'s, even with email_verified', async () => {
    for (const [email, account] of [
      ['carl@workspace.example', 'carl-consumer'],
      ['olga@workspace.example', 'olga-elsewhere'],
    ] as const) {
      const journey = await open();
      const refused = await signInAtWorkProvider(journey.browser, await verifyCode(journey, email), account);
      expect(visibleText(refused.body)).to.contain('has not verified the email address');
      const reasons = (await gp.store.listAudit({ operation: 'GuestUpgraded', email }, { limit: 5 })).items.map((event) => event.detail.reason);
      expect(reasons).to.deep.equal(['domain_not_verified']);
      expect(await identitiesOf(email)).to.deep.equal([]);
    }
  });

  it('offers nothing to a domain whose mail is elsewhere, to one without MX, or to gmail.com, and asks DNS once per domain', async () => {
    for (const email of ['otto@othermail.example', 'ned@nomx.example', 'nora@nomx.example', 'gabe@gmail.com']) {
      const done = await verifyCode(await open(), email);
      expect(done.leftTo, email).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    }
    expect(dns.queries.get('nomx.example')).to.equal(1);
    expect(dns.queries.has('gmail.com'), 'consumer domains are never looked up').to.equal(false);
  });

  it('keeps the email code when DNS does not answer', async () => {
    dns.silent = true;
    try {
      const done = await verifyCode(await open(), 'sam@silent.example');
      expect(done.leftTo).to.match(/^http:\/\/rp\.test\/callback\?code=/);
    } finally {
      dns.silent = false;
    }
  });
});
