/**
 * An invitation stands in for the emailed code only when the browser holds the real invitation
 * (SPEC §1; ASVS 5.0 6.4.1, 6.3.4). The attacker below controls an upstream account that claims
 * the victim's address (email_verified: true) and tries to link it to the victim through the
 * invitations client, without ever seeing a code.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';

import type { Browser, PageResponse } from '../support/browser.ts';
import { findForm, visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody, type PersonBody } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

const workAccountOffer = 'Sign in with your Partner work account instead';

describe('security: a forged invitation links no work account (ASVS 5.0 6.4.1, 6.3.4)', () => {
  let smtp: SmtpCapture;
  let work: RunningWorkProvider;
  let gp: TestGuestpass;
  let off: TestGuestpass;
  let admin: ManagementApi;
  let adminOff: ManagementApi;
  const clock = new ManualClock();

  async function start(port: number, guestUpgrade: 'automatic' | 'off') {
    return startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        port,
        clients: [rpClient, filesClient, adminClient],
        organization: { name: 'Contoso', domains: ['contoso.com'] },
        policy: { guestUpgrade },
        federation: [{ id: 'partner', name: 'Partner work account', issuer: work.issuer, clientId: 'guestpass', clientSecret: 'work-secret-for-tests', domains: ['partner.example'] }],
      },
    });
  }

  before(async () => {
    smtp = await new SmtpCapture().start();
    const ports = [await freePort(), await freePort()];
    work = await startWorkProvider({
      clientId: 'guestpass',
      clientSecret: 'work-secret-for-tests',
      redirectUris: ports.map((port) => `http://127.0.0.1:${port}/federation/partner/callback`),
      accounts: {
        // The attacker's upstream account claims whatever address the attack targets.
        attacker: { email: 'victim@partner.example', email_verified: true },
        'attacker-as-pending': { email: 'pending@partner.example', email_verified: true },
        'attacker-as-replayed': { email: 'replayed@partner.example', email_verified: true },
        'attacker-as-expired': { email: 'expired@partner.example', email_verified: true },
        'attacker-as-off': { email: 'off@partner.example', email_verified: true },
        'replayed-at-work': { email: 'replayed@partner.example', email_verified: true },
        'mallory-at-work': { email: 'mallory@partner.example', email_verified: true },
        'disabled-at-work': { email: 'disabled@partner.example', email_verified: true },
        'disabled-late-at-work': { email: 'disabled-late@partner.example', email_verified: true },
      },
    });
    [gp, off] = await Promise.all([start(ports[0]!, 'automatic'), start(ports[1]!, 'off')]);
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
    adminOff = await ManagementApi.as(off.issuer, adminClient, 'directory:read directory:write');
  });
  after(async () => {
    await gp?.close();
    await off?.close();
    await work?.stop();
    await smtp?.stop();
  });
  afterEach(() => clock.advanceSeconds(61));

  async function personByEmail(api: ManagementApi, email: string): Promise<PersonBody | undefined> {
    const { body } = await api.get<{ items: PersonBody[] }>(`/users?email=${encodeURIComponent(email)}`);
    return body.items.find((person) => person.email.toLowerCase() === email);
  }

  /** The authorization request of the invitations client, as an attacker writes it by hand. */
  function handMadeRedemption(target: TestGuestpass, invitation: string, loginHint: string): string {
    const url = new URL('/auth', target.issuer);
    url.search = new URLSearchParams({
      client_id: 'guestpass-invitations',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${target.issuer}/invitations/done`,
      code_challenge: randomBytes(32).toString('base64url'),
      code_challenge_method: 'S256',
      state: 'attacker',
      login_hint: loginHint,
      invitation,
    }).toString();
    return url.href;
  }

  /**
   * Goes as far as the attack can: presses the work-account button if the page offers one, or
   * posts it by hand; signs in upstream as `upstreamAccount` if that leads there. Returns the
   * last page and whether the browser was ever sent to the work provider.
   */
  async function pressWorkAccount(browser: Browser, emailPage: PageResponse, upstreamAccount: string): Promise<{ page: PageResponse; wentUpstream: boolean }> {
    const offered = visibleText(emailPage.body).includes(workAccountOffer);
    const csrf = findForm(emailPage.body, '/email').hidden.csrf ?? '';
    let page = offered ? await browser.submit(emailPage, '/work-account') : await browser.post(`${emailPage.url}/work-account`, { csrf });
    const wentUpstream = page.url.startsWith(work.issuer);
    if (wentUpstream) page = await signInAtWorkProvider(browser, page, upstreamAccount);
    return { page, wentUpstream };
  }

  async function expectNotLinked(api: ManagementApi, target: TestGuestpass, email: string): Promise<void> {
    const person = await personByEmail(api, email);
    expect(person?.identities ?? [], `${email} has no linked identity`).to.deep.equal([]);
    const signIns = (await target.store.listAudit({ operation: 'SignedIn', email }, { limit: 10 })).items;
    expect(signIns, `nobody signed in as ${email}`).to.deep.equal([]);
  }

  it('refuses a hand-made invitation parameter: no work-account offer, the button is refused, nothing is linked (the reported attack)', async () => {
    const victim = await admin.post<InvitationBody>('/invitations', { email: 'pending@partner.example' });
    expect(victim.status).to.equal(201);
    const browser = gp.browser().alsoFollow(work.issuer);
    const page = await browser.get(handMadeRedemption(gp, 'A'.repeat(43), 'pending@partner.example'));
    expect(page.status).to.equal(200);
    expect(visibleText(page.body)).to.not.contain(workAccountOffer);
    const attack = await pressWorkAccount(browser, page, 'attacker-as-pending');
    expect(attack.wentUpstream, 'the browser was never sent upstream').to.equal(false);
    expect(attack.page.status).to.equal(400);
    await expectNotLinked(admin, gp, 'pending@partner.example');
    expect((await personByEmail(admin, 'pending@partner.example'))?.state).to.equal('PendingAcceptance');
  });

  it('refuses it for an existing adhoc person too, who stays adhoc', async () => {
    // The victim proves their address once and stops at the work provider the upgrade sends them to: adhoc.
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'victim@partner.example');
    const upgrade = await submitCode(journey, codeFrom(await smtp.waitForMail('victim@partner.example')));
    expect(upgrade.leftTo?.startsWith(work.issuer)).to.equal(true);
    const before = await personByEmail(admin, 'victim@partner.example');
    expect(before?.userType).to.equal('adhoc');
    const browser = gp.browser().alsoFollow(work.issuer);
    const page = await browser.get(handMadeRedemption(gp, randomBytes(32).toString('base64url'), 'victim@partner.example'));
    const attack = await pressWorkAccount(browser, page, 'attacker');
    expect(attack.wentUpstream).to.equal(false);
    await expectNotLinked(admin, gp, 'victim@partner.example');
    expect((await personByEmail(admin, 'victim@partner.example'))?.userType).to.equal('adhoc');
  });

  it('refuses a real invitation of another address (the attacker\'s own) presented for the victim', async () => {
    await admin.post<InvitationBody>('/invitations', { email: 'pending@partner.example' });
    const own = await admin.post<InvitationBody>('/invitations', { email: 'mallory@partner.example' });
    const browser = gp.browser().alsoFollow(work.issuer);
    // Opening their own redeem URL gives the attacker a genuine ticket (cookie) and its id.
    const ownPage = await browser.get(own.body.inviteRedeemUrl);
    const ticketId = ticketIdOf(ownPage);
    const page = await browser.get(handMadeRedemption(gp, ticketId, 'pending@partner.example'));
    expect(visibleText(page.body)).to.not.contain(workAccountOffer);
    const attack = await pressWorkAccount(browser, page, 'attacker-as-pending');
    expect(attack.wentUpstream).to.equal(false);
    await expectNotLinked(admin, gp, 'pending@partner.example');
  });

  it('binds a ticket to the first sign-in that uses it: a second sign-in with the same ticket gets no shortcut', async () => {
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'pending@partner.example' });
    const browser = gp.browser().alsoFollow(work.issuer);
    const opened = await browser.get(invited.body.inviteRedeemUrl);
    const ticketId = ticketIdOf(opened);
    const started = await browser.submit(opened, '/work-account');
    expect(started.url.startsWith(work.issuer), 'the first sign-in went to the work provider').to.equal(true);
    // The same browser (same cookie) starts a second sign-in naming the same ticket.
    const second = await browser.get(handMadeRedemption(gp, ticketId, 'pending@partner.example'));
    expect(visibleText(second.body)).to.not.contain(workAccountOffer);
    const attack = await pressWorkAccount(browser, second, 'attacker-as-pending');
    expect(attack.wentUpstream).to.equal(false);
    await expectNotLinked(admin, gp, 'pending@partner.example');
  });

  it('refuses a redeem URL opened again after its invitation was redeemed', async () => {
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'replayed@partner.example' });
    const guest = gp.browser().alsoFollow(work.issuer);
    const first = await guest.get(invited.body.inviteRedeemUrl);
    expect(visibleText(first.body)).to.contain(workAccountOffer);
    const redeemed = await pressWorkAccount(guest, first, 'replayed-at-work');
    expect(redeemed.wentUpstream).to.equal(true);
    expect((await personByEmail(admin, 'replayed@partner.example'))?.state).to.equal('Accepted');

    // Someone who later finds the redeem URL (a forwarded mail) gets no work-account shortcut.
    const finder = gp.browser().alsoFollow(work.issuer);
    const again = await finder.get(invited.body.inviteRedeemUrl);
    expect(visibleText(again.body)).to.not.contain(workAccountOffer);
    const attack = await pressWorkAccount(finder, again, 'attacker-as-replayed');
    expect(attack.wentUpstream).to.equal(false);
    const identities = (await personByEmail(admin, 'replayed@partner.example'))?.identities ?? [];
    expect(identities.map((identity) => identity.subject)).to.deep.equal(['replayed-at-work']);
  });

  it('refuses an expired invitation: its URL is dead, and a ticket taken before it expired vouches for nothing', async () => {
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'expired@partner.example' });
    const browser = gp.browser().alsoFollow(work.issuer);
    const opened = await browser.get(invited.body.inviteRedeemUrl);
    const ticketId = ticketIdOf(opened);
    clock.advanceDays(31);
    try {
      const late = await gp.browser().get(invited.body.inviteRedeemUrl);
      expect(late.status).to.equal(404);
      const page = await browser.get(handMadeRedemption(gp, ticketId, 'expired@partner.example'));
      expect(visibleText(page.body)).to.not.contain(workAccountOffer);
      const attack = await pressWorkAccount(browser, page, 'attacker-as-expired');
      expect(attack.wentUpstream).to.equal(false);
      await expectNotLinked(admin, gp, 'expired@partner.example');
    } finally {
      clock.advanceDays(-31);
    }
  });

  it('refuses a disabled invited guest: the redeem URL offers no work account, and one pressed anyway links nothing (SPEC §1)', async () => {
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'disabled@partner.example' });
    // The admin opens the invitation's ticket in a browser first, then disables the guest before they accept.
    const browser = gp.browser().alsoFollow(work.issuer);
    const opened = await browser.get(invited.body.inviteRedeemUrl);
    expect(visibleText(opened.body), 'offered while the guest is active').to.contain(workAccountOffer);
    expect((await admin.patch(`/users/${invited.body.user.id}`, { disabled: true })).status).to.equal(200);
    const page = await browser.get(opened.url);
    expect(visibleText(page.body)).to.not.contain(workAccountOffer);
    const attack = await pressWorkAccount(browser, page, 'disabled-at-work');
    expect(attack.wentUpstream, 'a disabled person is never sent upstream to redeem').to.equal(false);
    const person = await personByEmail(admin, 'disabled@partner.example');
    expect(person?.identities).to.deep.equal([]);
    expect(person?.state).to.equal('PendingAcceptance');
    // A fresh open of the redeem URL offers nothing either.
    const again = await gp.browser().get(invited.body.inviteRedeemUrl);
    expect(visibleText(again.body)).to.not.contain(workAccountOffer);
  });

  it('links nothing for a guest disabled while at the work provider, and signs nobody in', async () => {
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'disabled-late@partner.example' });
    const browser = gp.browser().alsoFollow(work.issuer);
    const opened = await browser.get(invited.body.inviteRedeemUrl);
    const upstream = await browser.submit(opened, '/work-account');
    expect(upstream.url.startsWith(work.issuer)).to.equal(true);
    expect((await admin.patch(`/users/${invited.body.user.id}`, { disabled: true })).status).to.equal(200);
    await signInAtWorkProvider(browser, upstream, 'disabled-late-at-work');
    const person = await personByEmail(admin, 'disabled-late@partner.example');
    expect(person?.identities).to.deep.equal([]);
    expect(person?.state).to.equal('PendingAcceptance');
    await expectNotLinked(admin, gp, 'disabled-late@partner.example');
  });

  it('with guestUpgrade "off", links nothing, neither for a forged invitation nor for a real one', async () => {
    const invited = await adminOff.post<InvitationBody>('/invitations', { email: 'off@partner.example' });
    const browser = off.browser().alsoFollow(work.issuer);
    const forged = await browser.get(handMadeRedemption(off, 'B'.repeat(43), 'off@partner.example'));
    expect((await pressWorkAccount(browser, forged, 'attacker-as-off')).wentUpstream).to.equal(false);
    const real = await off.browser().alsoFollow(work.issuer).get(invited.body.inviteRedeemUrl);
    expect(visibleText(real.body), 'the policy turns work accounts off').to.not.contain(workAccountOffer);
    await expectNotLinked(adminOff, off, 'off@partner.example');
  });
});

/** The `invitation` parameter a redeem URL put into the sign-in it started: visible in the browser's history. */
function ticketIdOf(page: PageResponse): string {
  const authorization = page.history.find((url) => url.includes('invitation='));
  if (!authorization) throw new Error(`no authorization request with an invitation in ${page.history.join(' → ')}`);
  return new URL(authorization).searchParams.get('invitation')!;
}
