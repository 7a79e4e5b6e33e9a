/**
 * Disabled and deleted people (SPEC §1, §6): disabling or deleting someone ends their sessions
 * at once; entering their address afterwards shows a clear "Access removed" page and sends no
 * code; a deleted guest can be invited again as a new person. `revoke-sessions` ends every
 * session and grant of a person who stays enabled. Real Redis, SMTP, HTTP and openid-client.
 */
import { expect } from 'chai';

import type { AuditEvent, AuditOperation } from '../../src/audit.ts';
import { visibleText, type Browser, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, signIn, startGuestpass, useGuestpass, submitEmail, type Journey, type SignInTarget } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody, type LinkBody, type ListBody, type PersonBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom } from '../support/smtp.ts';

const callback = /^http:\/\/files\.test\/callback\?code=/;

describe('disabled and deleted people', () => {
  let files: TestRelyingParty;
  let links: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({
      store: 'redis',
      clock,
      config: {
        clients: [rpClient, filesClient, adminClient],
        organization: { name: 'Contoso', domains: ['contoso.com'], supportContact: 'it-help@contoso.com' },
        // Every test signs in from 127.0.0.1; the per-IP cap has tests of its own.
        rateLimits: { codesPerIpPerHour: 1000 },
      },
    });
  before(async () => {
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    links = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
  });
  afterEach(() => clock.advanceSeconds(61));

  async function signInToLink(email: string, link: LinkBody, browser?: Browser) {
    return signIn({ rp: files, browser: () => gp.browser() }, gp.smtp, email, { sharing_id: link.id }, browser);
  }

  /** A new authorization for the link in a browser that signed in before: where it ends without anyone typing. */
  async function silently(browser: Browser, link: LinkBody): Promise<PageResponse> {
    const pending = await files.authorizationUrl({ sharing_id: link.id });
    return browser.get(pending.url);
  }

  /** Opens the link in a new browser and enters the address: the page that follows. */
  async function enterAddress(email: string, link: LinkBody, target: SignInTarget = { rp: files, browser: () => gp.browser() }): Promise<Journey> {
    const journey = await openSignIn(target, { sharing_id: link.id });
    await submitEmail(journey, email);
    return journey;
  }

  async function expectNoNewMail(email: string, before: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(gp.smtp.mailsTo(email), `mail to ${email}`).to.have.length(before);
  }

  async function audited(operation: AuditOperation, email: string): Promise<AuditEvent[]> {
    return (await gp.store.listAudit({ operation, email }, { limit: 100 })).items;
  }

  async function redeem(invitation: InvitationBody, email: string): Promise<PageResponse> {
    const before = gp.smtp.mailsTo(email).length;
    const browser = gp.browser();
    let page = await browser.get(invitation.inviteRedeemUrl);
    page = await browser.submit(page, '/email', { email });
    return browser.submit(page, '/code', { code: codeFrom(await gp.smtp.waitForMail(email, { nth: before + 1 })) });
  }

  it('ends the sessions of a person it disables and audits UserDisabled; their browser stays signed out after re-enabling', async () => {
    const link = await links.share(['dora@example.org']);
    const { journey, tokens, claims } = await signInToLink('dora@example.org', link);
    expect((await silently(journey.browser, link)).leftTo, 'signed in: the link reopens without a code').to.match(callback);

    const disabled = await admin.patch<PersonBody>(`/users/${claims.sub}`, { disabled: true });
    expect(disabled.status).to.equal(200);
    expect(disabled.body).to.include({ id: claims.sub, disabled: true });
    const [event] = await audited('UserDisabled', 'dora@example.org');
    expect(event!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
    expect(event!.detail).to.include({ email: 'dora@example.org', personId: claims.sub, disabled: true, sessionsEnded: 1 });

    const after = await silently(journey.browser, link);
    expect(after.leftTo, 'no code is issued without signing in again').to.equal(undefined);
    expect(visibleText(after.body)).to.contain('Verify your email');
    const none = await files.authorizationUrl({ sharing_id: link.id, prompt: 'none' });
    expect(new URL((await journey.browser.get(none.url)).leftTo!).searchParams.get('error')).to.equal('login_required');
    let refused: unknown;
    await files.userinfo(tokens.access_token, claims.sub).catch((error: unknown) => (refused = error));
    expect(JSON.stringify((refused as { cause?: unknown }).cause), 'an access token from before is dead').to.contain('"error":"invalid_token"');

    const enabled = await admin.patch<PersonBody>(`/users/${claims.sub}`, { disabled: false });
    expect(enabled.body.disabled).to.equal(false);
    const events = await audited('UserDisabled', 'dora@example.org');
    expect(events.map((audit) => audit.detail.disabled)).to.deep.equal([true, false]);
    // The session was ended, not only hidden while the person was disabled.
    expect((await silently(journey.browser, link)).leftTo).to.equal(undefined);
  });

  it('shows a disabled person "Access removed" with the support contact and sends no code; re-enabled, they sign in again', async () => {
    const link = await links.share(['dan@example.org']);
    const { claims } = await signInToLink('dan@example.org', link);
    expect((await admin.patch(`/users/${claims.sub}`, { disabled: true })).status).to.equal(200);
    clock.advanceSeconds(61);

    const mails = gp.smtp.mailsTo('dan@example.org').length;
    const removed = await enterAddress('Dan@Example.org', link);
    const page = removed.page;
    expect(page.status).to.equal(200);
    const text = visibleText(page.body);
    expect(text).to.contain('Access removed');
    expect(text).to.contain('Access for D***@Example.org has been removed by Contoso.');
    expect(text).to.contain('If you think this is a mistake, contact it-help@contoso.com.');
    expect(text).to.not.contain('a 6-digit code is on its way');
    await expectNoNewMail('dan@example.org', mails);
    const rejected = await audited('VerificationCodeRejected', 'dan@example.org');
    expect(rejected.at(-1)).to.include({ sharingId: link.id, result: 'failure' });
    expect(rejected.at(-1)!.detail).to.include({ reason: 'disabled', clientId: 'files' });
    expect(await audited('VerificationCodeSent', 'dan@example.org')).to.have.length(1);

    const otherAddress = await removed.browser.submit(page, '/change-email');
    expect(visibleText(otherAddress.body), 'the page offers another address').to.contain('Verify your email');
    expect(otherAddress.body).to.contain('value="Dan@Example.org"');

    expect((await admin.patch(`/users/${claims.sub}`, { disabled: false })).status).to.equal(200);
    clock.advanceSeconds(61);
    const again = await signInToLink('dan@example.org', link);
    expect(again.claims).to.include({ sub: claims.sub, email: 'dan@example.org' });
  });

  it('sends a removed person to whoever shared the link when no support contact is configured', async () => {
    const plain = await startGuestpass({ store: 'memory', smtp: gp.smtp, clock, config: { clients: [filesClient, adminClient], organization: { name: 'Fabrikam' } } });
    try {
      const plainFiles = await TestRelyingParty.discover(plain.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
      const plainLinks = await ManagementApi.as(plain.issuer, filesClient, 'links:write');
      const plainAdmin = await ManagementApi.as(plain.issuer, adminClient, 'directory:write');
      const { body: link } = await plainLinks.post<LinkBody>('/links', { resource: 'files/plain', recipients: ['paula@example.org'] });
      const { claims } = await signIn({ rp: plainFiles, browser: () => plain.browser() }, gp.smtp, 'paula@example.org', { sharing_id: link.id });
      expect((await plainAdmin.patch(`/users/${claims.sub}`, { disabled: true })).status).to.equal(200);
      clock.advanceSeconds(61);

      const text = visibleText((await enterAddress('paula@example.org', link, { rp: plainFiles, browser: () => plain.browser() })).page.body);
      expect(text).to.contain('Access for p***@example.org has been removed by Fabrikam.');
      expect(text).to.contain('If you think this is a mistake, ask the person who shared the link with you.');
      expect(text).to.not.contain('it-help@contoso.com');
    } finally {
      await plain.close();
    }
  });

  it('deletes a person: 204, UserDeleted, gone from the directory, signed out, and their address gets "Access removed" and no code', async () => {
    const link = await links.share(['del@example.org']);
    const { journey, claims } = await signInToLink('del@example.org', link);

    const deleted = await admin.delete(`/users/${claims.sub}`);
    expect(deleted.status).to.equal(204);
    expect(deleted.body).to.equal(undefined);
    const [event] = await audited('UserDeleted', 'del@example.org');
    expect(event!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
    expect(event!.detail).to.include({ email: 'del@example.org', personId: claims.sub, userType: 'adhoc', sessionsEnded: 1 });

    expect((await admin.get(`/users/${claims.sub}`)).status).to.equal(404);
    expect((await admin.get<ListBody<PersonBody>>('/users?email=del@')).body).to.deep.equal({ items: [], nextCursor: null });
    expect((await silently(journey.browser, link)).leftTo).to.equal(undefined);

    clock.advanceSeconds(61);
    const mails = gp.smtp.mailsTo('del@example.org').length;
    const text = visibleText((await enterAddress('del@example.org', link)).page.body);
    expect(text).to.contain('Access removed');
    expect(text).to.contain('If you think this is a mistake, contact it-help@contoso.com.');
    await expectNoNewMail('del@example.org', mails);
    expect((await audited('VerificationCodeRejected', 'del@example.org')).at(-1)!.detail).to.include({ reason: 'deleted' });

    expect((await admin.delete(`/users/${claims.sub}`)).status, 'deleting twice').to.equal(404);
  });

  it('lets a deleted guest be invited again: a new person with a new sub, who can redeem and sign in', async () => {
    const first = await admin.post<InvitationBody>('/invitations', { email: 'gwen@example.org' });
    expect(visibleText((await redeem(first.body, 'gwen@example.org')).body)).to.contain('You are now a guest of Contoso.');
    const link = await links.share(['gwen@example.org']);
    clock.advanceSeconds(61);
    const before = await signInToLink('gwen@example.org', link);
    expect(before.claims).to.include({ sub: first.body.user.id, user_type: 'guest' });
    expect((await admin.delete(`/users/${first.body.user.id}`)).status).to.equal(204);

    const again = await admin.post<InvitationBody>('/invitations', { email: 'Gwen@Example.org' });
    expect(again.status).to.equal(201);
    expect(again.body.user.id, 'a new person').to.not.equal(first.body.user.id);
    expect(again.body.user).to.include({ userType: 'guest', state: 'PendingAcceptance', email: 'Gwen@Example.org' });
    expect((await audited('GuestInvited', 'gwen@example.org')).map((event) => event.detail.created)).to.deep.equal([true, true]);

    clock.advanceSeconds(61);
    expect(visibleText((await redeem(again.body, 'gwen@example.org')).body)).to.contain('You are now a guest of Contoso.');
    expect((await admin.get<PersonBody>(`/users/${again.body.user.id}`)).body).to.include({ state: 'Accepted', disabled: false });
    clock.advanceSeconds(61);
    const after = await signInToLink('gwen@example.org', link);
    expect(after.claims).to.include({ sub: again.body.user.id, user_type: 'guest' });
  });

  it('lets an invitation die with its guest: its URL stops working, and a sign-in it started is not credited to it', async () => {
    const first = (await admin.post<InvitationBody>('/invitations', { email: 'ivan@example.org' })).body;
    const browser = gp.browser();
    let started = await browser.get(first.inviteRedeemUrl);
    started = await browser.submit(started, '/email', { email: 'ivan@example.org' });
    const code = codeFrom(await gp.smtp.waitForMail('ivan@example.org'));

    expect((await admin.delete(`/users/${first.user.id}`)).status).to.equal(204);
    const again = (await admin.post<InvitationBody>('/invitations', { email: 'ivan@example.org' })).body;

    const finished = await browser.submit(started, '/code', { code });
    expect(visibleText(finished.body)).to.not.contain('You are now a guest');
    const reopened = await gp.browser().get(first.inviteRedeemUrl);
    expect(reopened.status).to.equal(404);
    expect(visibleText(reopened.body)).to.contain('This invitation link is unknown or has expired.');
    // Whoever entered the code proved the address, so the guest invited again at it has accepted;
    // the dead invitation gets no credit for it.
    expect((await admin.get<PersonBody>(`/users/${again.user.id}`)).body.state).to.equal('Accepted');
    const redeemed = await audited('GuestRedeemed', 'ivan@example.org');
    expect(redeemed.map((event) => event.detail)).to.deep.equal([{ email: 'ivan@example.org', clientId: 'guestpass-invitations', by: 'code', via: 'sign-in' }]);
  });

  it('accepts a PendingAcceptance guest who signs in to something shared with them, as redeeming the invitation', async () => {
    const invited = (await admin.post<InvitationBody>('/invitations', { email: 'pia@example.org' })).body;
    const link = await links.share(['pia@example.org']);
    clock.advanceSeconds(61);
    const { claims } = await signInToLink('pia@example.org', link);
    expect(claims).to.include({ sub: invited.user.id, user_type: 'guest' });
    expect((await admin.get<PersonBody>(`/users/${invited.user.id}`)).body.state).to.equal('Accepted');
    expect((await audited('GuestRedeemed', 'pia@example.org')).map((event) => event.detail)).to.deep.equal([{ email: 'pia@example.org', clientId: 'files', by: 'code', via: 'sign-in' }]);
  });

  it('revokes every session and grant of a person who stays enabled: old tokens fail at userinfo, the browser signs in again, SessionsRevoked', async () => {
    const link = await links.share(['rita@example.org']);
    const { journey, tokens, claims } = await signInToLink('rita@example.org', link);
    expect(await files.userinfo(tokens.access_token, claims.sub)).to.include({ sub: claims.sub, sharing_id: link.id });

    const revoked = await admin.request('POST', `/users/${claims.sub}/revoke-sessions`);
    expect(revoked.status).to.equal(200);
    expect(revoked.body).to.include({ sessions: 1, grants: 1 });
    const [event] = await audited('SessionsRevoked', 'rita@example.org');
    expect(event!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
    expect(event!.detail).to.include({ email: 'rita@example.org', personId: claims.sub, sessions: 1, grants: 1 });

    let refused: unknown;
    await files.userinfo(tokens.access_token, claims.sub).catch((error: unknown) => (refused = error));
    expect(refused, 'the access token went with its grant').to.be.instanceOf(Error);
    expect(JSON.stringify((refused as { cause?: unknown }).cause)).to.contain('"error":"invalid_token"');
    expect((await silently(journey.browser, link)).leftTo).to.equal(undefined);

    expect((await admin.get<PersonBody>(`/users/${claims.sub}`)).body.disabled).to.equal(false);
    clock.advanceSeconds(61);
    const again = await signInToLink('rita@example.org', link, journey.browser);
    expect(again.claims.sub).to.equal(claims.sub);
  });
});
