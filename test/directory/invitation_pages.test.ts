/**
 * What an invited guest reads (SPEC §6 `POST /invitations`): the redeem page says who invited
 * them, to which organisation, and where accepting leads — never that something was "shared" —
 * and accepting ends at the invitation's `redirectUrl` or on a page that says what happens next.
 * Who sent an invitation is told only to the browser that opened its redeem URL. Real Redis,
 * SMTP and HTTP.
 */
import { expect } from 'chai';

import { visibleText, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, rpClient, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody, type PersonBody } from '../support/management.ts';
import { codeFrom } from '../support/smtp.ts';

/** A client that invites guests and has a display name (`client_name`), as a partner portal would. */
const partnerPortal = {
  client_id: 'partner-portal',
  client_secret: 'partner-portal-secret-for-tests-only',
  client_name: 'Partner Portal',
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'directory:read directory:write',
};

/** Nothing about links or sharing: an invitation is neither. */
const linkWording = /\blink\b|\bshared\b/i;

describe('the pages of an invitation', () => {
  let portal: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({
    store: 'redis',
    clock,
    config: { clients: [rpClient, filesClient, adminClient, partnerPortal], organization: { name: 'Contoso', domains: ['contoso.com'] }, rateLimits: { codesPerIpPerHour: 1000 } },
  });
  before(async () => {
    portal = await ManagementApi.as(gp.issuer, partnerPortal, 'directory:read directory:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
  });
  afterEach(() => clock.advanceSeconds(61));

  async function invite(api: ManagementApi, body: Record<string, unknown>): Promise<InvitationBody> {
    const response = await api.post<InvitationBody>('/invitations', body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  }

  /** The email page, the code page and the mail, then the answer to the right code. */
  async function accept(redeemUrl: string, email: string): Promise<{ emailPage: PageResponse; codePage: PageResponse; mailText: string; done: PageResponse }> {
    const browser = gp.browser();
    const emailPage = await browser.get(redeemUrl);
    const codePage = await browser.submit(emailPage, '/email', { email });
    const mail = await gp.smtp.waitForMail(email);
    const done = await browser.submit(codePage, '/code', { code: codeFrom(mail) });
    return { emailPage, codePage, mailText: mail.text, done };
  }

  it('says who invited the guest to what and where accepting leads, then sends them there', async () => {
    const { user, inviteRedeemUrl } = await invite(portal, { email: 'ivy@example.org', redirectUrl: 'http://files.test/welcome?from=invitation' });
    const { emailPage, codePage, mailText, done } = await accept(inviteRedeemUrl, 'ivy@example.org');

    const text = visibleText(emailPage.body);
    expect(emailPage.body).to.contain('<h1>Accept your invitation</h1>');
    expect(text).to.contain('Partner Portal invited you to Contoso as a guest. To accept, confirm your email address with a one-time code. Afterwards you go on to files.test.');
    expect(text).to.contain('Use the address the invitation was sent to.');
    expect(emailPage.body).to.contain('value="ivy@example.org"');
    expect(text).to.not.match(linkWording);
    expect(text, 'the first-party client stays out of sight').to.not.contain('guestpass invitations');
    expect(emailPage.body, 'no "requested by" block for guestpass\'s own invitations client').to.not.contain('<div class="client">');

    const codeText = visibleText(codePage.body);
    expect(codeText).to.contain('Check that this is the address the invitation was sent to.');
    expect(codeText).to.contain('Still nothing? Ask the person who invited you to check your address.');
    expect(codeText).to.not.match(linkWording);
    expect(mailText).to.contain('You are accepting an invitation to Contoso for ivy@example.org; the code shows that the address is yours.');
    expect(mailText).to.not.contain('guestpass invitations').and.not.match(/shared something/);

    expect(done.leftTo, done.body.slice(0, 300)).to.equal('http://files.test/welcome?from=invitation');
    expect((await admin.get<PersonBody>(`/users/${user.id}`)).body).to.include({ state: 'Accepted' });
  });

  it('ends an invitation without a redirectUrl on a page that says what happens next', async () => {
    const { inviteRedeemUrl } = await invite(admin, { email: 'gus@example.org' });
    const { emailPage, done } = await accept(inviteRedeemUrl, 'gus@example.org');
    // The admin's client has no display name: the page names the organisation alone, never a client id.
    expect(visibleText(emailPage.body)).to.contain('You are invited to Contoso as a guest. To accept, confirm your email address with a one-time code.');
    expect(visibleText(emailPage.body)).to.not.contain('admin-console');

    expect(done.status).to.equal(200);
    expect(new URL(done.url).pathname).to.equal('/invitations/done');
    const text = visibleText(done.body);
    expect(done.body).to.contain('<h1>Invitation accepted</h1>');
    expect(text).to.contain('You are now a guest of Contoso.');
    expect(text).to.contain('What happens next');
    expect(text).to.contain('When someone at Contoso shares something with you, you get a link by email.');
    expect(text).to.contain('Open it and sign in as g***@example.org: with a code sent to that address, or with your work account once it is linked.');
    expect(text).to.contain('There is nothing more to do here; you can close this page.');
    expect(done.headers.get('cache-control')).to.equal('no-store');
  });

  it('tells who sent an invitation only to the browser that opened its redeem URL', async () => {
    const { inviteRedeemUrl } = await invite(portal, { email: 'kim@example.org', redirectUrl: 'http://files.test/welcome' });
    const holder = await gp.browser().get(inviteRedeemUrl);
    expect(visibleText(holder.body)).to.contain('Partner Portal invited you');
    const authorization = holder.history.find((url) => new URL(url).pathname === '/auth');
    expect(authorization, holder.history.join('\n')).to.be.a('string');

    // The same authorization URL in another browser (copied, or forged around a guessed ticket id): no ticket, no names.
    const copied = await gp.browser().get(authorization!);
    expect(copied.status).to.equal(200);
    const text = visibleText(copied.body);
    expect(text).to.contain('You are invited to Contoso as a guest.');
    expect(text).to.not.contain('Partner Portal').and.not.contain('files.test');
  });

  it('writes the invitation mail in the language asked for, one of the five, and refuses another', async () => {
    await invite(portal, { email: 'flo@example.org', sendInvitationMail: true, locale: 'fr' });
    const mail = await gp.smtp.waitForMail('flo@example.org');
    expect(mail.subject).to.equal('Contoso vous a envoyé une invitation');
    expect(mail.text).to.contain('Pour accepter, ouvrez cette adresse dans votre navigateur\u00a0:');
    expect(mail.headers['content-language']).to.equal('fr');
    const refused = await portal.post('/invitations', { email: 'pia@example.org', sendInvitationMail: true, locale: 'pt' });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.deep.include({ error: 'invalid_request' });
    expect(String(refused.body.error_description)).to.match(/^request body: locale: Invalid option: expected one of "en"\|"de"\|"es"\|"fr"\|"it"/);
  });

  it('gives the invitation page, the code page and the next-steps page in the browser\'s language', async () => {
    const { inviteRedeemUrl } = await invite(portal, { email: 'lea@example.org' });
    const browser = gp.browser({ 'accept-language': 'it-IT,it;q=0.9' });
    const emailPage = await browser.get(inviteRedeemUrl);
    expect(emailPage.body).to.contain('<h1>Accetta l’invito</h1>');
    expect(visibleText(emailPage.body)).to.contain('Partner Portal ti ha invitato in Contoso come ospite.');
    const codePage = await browser.submit(emailPage, '/email', { email: 'lea@example.org' });
    const mail = await gp.smtp.waitForMail('lea@example.org');
    expect(mail.text).to.contain('Stai accettando un invito in Contoso per lea@example.org');
    const done = await browser.submit(codePage, '/code', { code: codeFrom(mail) });
    expect(visibleText(done.body)).to.contain('Ora sei ospite di Contoso.').and.contain('E adesso?');
  });
});
