/**
 * Who gets into the admin console, and what a session there is worth: admins and auditors sign
 * in through guestpass itself (a code, as anyone); nobody else is sent a code; an auditor's
 * changes are refused on the server; forms need the session's CSRF token from this site; and a
 * session ends when the person is disabled, loses their role or has their sessions ended.
 */
import { expect } from 'chai';

import { ManualClock } from '../support/clock.ts';
import { ManagementApi } from '../support/management.ts';
import { adminClient, rpClient, signIn, useGuestpass } from '../support/guestpass.ts';
import { visibleText } from '../support/browser.ts';
import { consoleCsrf, openConsoleSignIn, signInToConsole } from '../support/console.ts';

describe('the admin console: who gets in', () => {
  const clock = new ManualClock();
  const gp = useGuestpass({
    store: 'redis',
    clock,
    config: {
      // Several console sign-ins per address here; the code limits have tests of their own.
      policy: { otp: { resendCooldownSeconds: 10, maxCodesPerHour: 50 } },
      organization: { name: 'Contoso', domains: ['contoso.com'] },
      admin: { emails: ['boss@example.com'], auditorEmails: ['watcher@example.com'], groups: { admin: ['gp-admins'], auditor: ['gp-auditors'] } },
    },
  });
  let api: ManagementApi;
  /** A new console sign-in in a browser of its own, past the resend cooldown of the last one. */
  const consoleSignIn = (email: string, path?: string) => {
    clock.advanceSeconds(11);
    return signInToConsole(() => gp.browser(), gp.smtp, email, path);
  };
  before(async () => {
    api = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write audit:read admin');
  });

  it('signs an admin in through guestpass and shows the overview, with a sealed, HttpOnly, SameSite cookie for /admin', async () => {
    const { page, browser } = await consoleSignIn('boss@example.com');
    expect(page.status).to.equal(200);
    expect(new URL(page.url).pathname).to.equal('/admin');
    expect(visibleText(page.body)).to.contain('Overview').and.contain('boss@example.com (admin)');
    expect(page.headers.get('cache-control')).to.equal('no-store');
    expect(page.headers.get('content-security-policy')).to.contain("form-action 'self'");
    const cookie = browser.cookie('gp_admin')!;
    expect(cookie).to.include({ path: '/admin', httpOnly: true, sameSite: 'lax' });
    expect(cookie.value).to.not.contain('boss');
    const signedIn = (await gp.store.listAudit({ operation: 'SignedIn', email: 'boss@example.com' }, { limit: 10 })).items;
    expect(signedIn.at(-1)!.detail).to.include({ clientId: 'guestpass-admin' });
  });

  it('sends no code to an address without a role: the page anyone gets, no mail, and the refusal in the audit', async () => {
    const page = await openConsoleSignIn(gp.browser(), 'stranger@example.org');
    expect(visibleText(page.body)).to.contain('a 6-digit code is on its way');
    await gp.smtp.expectNoMail('stranger@example.org');
    const refused = (await gp.store.listAudit({ operation: 'VerificationCodeRejected', email: 'stranger@example.org' }, { limit: 10 })).items;
    expect(refused.map((event) => event.detail.reason)).to.deep.equal(['no_console_role']);
  });

  it('refuses a person who is signed in to guestpass but has no role: the console asks for an address and sends no code', async () => {
    const browser = gp.browser();
    await signIn(gp, gp.smtp, 'colleague@contoso.com', {}, browser);
    const page = await browser.get('/admin');
    expect(page.url).to.match(/\/interaction\//);
    expect(browser.cookie('gp_admin')).to.equal(undefined);
    // The signed-in address has no access here: the page offers another address, and that one gets no code either.
    expect(visibleText(page.body)).to.contain('Use a different email address');
    const emailPage = await browser.submit(page, '/change-email');
    clock.advanceSeconds(11);
    const codePage = await browser.submit(emailPage, '/email', { email: 'colleague@contoso.com' });
    expect(codePage.status).to.equal(200);
    // Decided after the answer, at a random moment: withheld, in the audit; nothing queued for the console's client.
    await gp.server.outbox.settled();
    const events = (await gp.store.listAudit({ email: 'colleague@contoso.com' }, { limit: 50 })).items;
    expect(events.filter((event) => event.operation === 'VerificationCodeRejected').map((event) => event.detail.reason)).to.deep.equal(['no_console_role']);
    expect(events.filter((event) => event.operation === 'VerificationCodeSent').map((event) => event.detail.clientId)).to.deep.equal(['rp']);
    expect(browser.cookie('gp_admin')).to.equal(undefined);
  });

  it('lets a member in through a directory group, and ends the session when the group is taken away', async () => {
    const browser = gp.browser();
    await signIn(gp, gp.smtp, 'grouped@contoso.com', {}, browser);
    const person = (await api.get<{ items: { id: string }[] }>('/users?email=grouped@contoso.com')).body.items[0]!;
    expect((await api.request('PATCH', `/users/${person.id}`, { groups: ['gp-admins'] })).status).to.equal(200);
    const { page, browser: consoleBrowser } = await consoleSignIn('grouped@contoso.com');
    expect(visibleText(page.body)).to.contain('grouped@contoso.com (admin)');

    expect((await api.request('PATCH', `/users/${person.id}`, { groups: ['gp-auditors'] })).status).to.equal(200);
    expect(visibleText((await consoleBrowser.get('/admin')).body)).to.contain('grouped@contoso.com (auditor)');

    expect((await api.request('PATCH', `/users/${person.id}`, { groups: [] })).status).to.equal(200);
    const after = await consoleBrowser.get('/admin');
    expect(after.url).to.match(/\/interaction\//);
  });

  it('never gives a session more than it signed in with: an auditor made admin stays an auditor until signing in again', async () => {
    await signIn(gp, gp.smtp, 'riser@contoso.com');
    const person = (await api.get<{ items: { id: string }[] }>('/users?email=riser@contoso.com')).body.items[0]!;
    await api.request('PATCH', `/users/${person.id}`, { groups: ['gp-auditors'] });
    const { browser } = await consoleSignIn('riser@contoso.com');
    await api.request('PATCH', `/users/${person.id}`, { groups: ['gp-admins'] });
    expect(visibleText((await browser.get('/admin')).body)).to.contain('riser@contoso.com (auditor)');
  });

  it('ends the console session of an admin who is disabled, and of one whose sessions are revoked', async () => {
    const { page, browser } = await consoleSignIn('boss@example.com');
    const csrf = consoleCsrf(page);
    const boss = (await api.get<{ items: { id: string }[] }>('/users?email=boss@example.com')).body.items[0]!;
    expect((await api.post(`/users/${boss.id}/revoke-sessions`, {})).status).to.equal(200);
    expect((await browser.get('/admin/people')).url).to.match(/\/interaction\//);

    const again = await consoleSignIn('boss@example.com');
    expect((await api.request('PATCH', `/users/${boss.id}`, { disabled: true })).status).to.equal(200);
    const form = await again.browser.post('/admin/people/invite', { csrf: consoleCsrf(again.page), email: 'late@example.org' }, { follow: false });
    expect(form.status).to.equal(401);
    expect(visibleText(form.body)).to.contain('Your console session has ended');
    expect((await again.browser.get('/admin', { follow: false })).status).to.equal(303);
    expect(csrf).to.not.equal(consoleCsrf(again.page));
    await api.request('PATCH', `/users/${boss.id}`, { disabled: false });
  });

  it('answers a callback this browser did not start with a page, not a session; and a tampered cookie is no session', async () => {
    const browser = gp.browser();
    const callback = await browser.get('/admin/callback?code=forged&state=forged');
    expect(callback.status).to.equal(400);
    expect(browser.cookie('gp_admin')).to.equal(undefined);

    const { browser: signedIn } = await consoleSignIn('boss@example.com');
    const cookie = signedIn.cookie('gp_admin')!;
    cookie.value = `${cookie.value.slice(0, -4)}AAAA`;
    expect((await signedIn.get('/admin', { follow: false })).headers.get('location')).to.match(/^\/admin\/sign-in/);
  });

  it('returns only to console pages after signing in, never to another site', async () => {
    const { page } = await consoleSignIn('boss@example.com', '/admin/sign-in?return_to=//evil.example/admin');
    expect(new URL(page.url).pathname).to.equal('/admin');
    for (const elsewhere of ['/admin/sign-in?return_to=/admin/../demo', '/admin/sign-in?return_to=%2Fadmin%5C%5Cevil.example', '/admin/sign-in?return_to=https://evil.example/admin']) {
      expect(new URL((await consoleSignIn('boss@example.com', elsewhere)).page.url).pathname, elsewhere).to.equal('/admin');
    }
    const deep = await consoleSignIn('boss@example.com', '/admin/links?recipient=ada@example.org');
    expect(deep.page.url).to.match(/\/admin\/links\?recipient=ada@example\.org$/);
  });

  it('signs out with the form, and offers to end the guestpass session too', async () => {
    const { page, browser } = await consoleSignIn('boss@example.com');
    const out = await browser.submit(page, '/admin/sign-out');
    expect(new URL(out.url).pathname).to.equal('/admin/signed-out');
    expect(browser.cookie('gp_admin')).to.equal(undefined);
    const endSession = /href="([^"]*session\/end[^"]*)"/.exec(out.body)?.[1];
    expect(endSession).to.be.a('string');
    expect(new URL(endSession!.replaceAll('&amp;', '&')).searchParams.get('client_id')).to.equal('guestpass-admin');
    expect((await browser.get('/admin', { follow: false })).status).to.equal(303);
  });

  it('is not the test client: rpClient still signs in as before', () => {
    expect(rpClient.client_id).to.equal('rp');
  });
});
