/**
 * What the console does, through the real server on Redis: each action goes through the same
 * operation the API uses and is audited with the admin as the actor; an auditor's every form is
 * refused on the server (403) and changes nothing; a form without the session's CSRF token, or
 * posted from another site, is refused; the settings form speaks the API's validation messages
 * and does not overwrite a change someone else made meanwhile.
 */
import { expect } from 'chai';

import type { Browser, PageResponse } from '../support/browser.ts';
import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { consoleCsrf, signInToConsole } from '../support/console.ts';
import { adminClient, filesClient, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody, type PersonBody } from '../support/management.ts';

describe('the admin console: what it does', () => {
  const clock = new ManualClock();
  const gp = useGuestpass({
    store: 'redis',
    clock,
    config: {
      organization: { name: 'Contoso', domains: ['contoso.com'] },
      admin: { emails: ['boss@example.com'], auditorEmails: ['watcher@example.com'] },
      policy: { otp: { resendCooldownSeconds: 10, maxCodesPerHour: 50 } },
    },
  });
  let files: ManagementApi;
  let api: ManagementApi;
  let admin: { browser: Browser; page: PageResponse; csrf: string; personId: string };
  let auditor: { browser: Browser; page: PageResponse; csrf: string };

  const consoleSignIn = async (email: string) => {
    clock.advanceSeconds(11);
    const { browser, page } = await signInToConsole(() => gp.browser(), gp.smtp, email);
    return { browser, page, csrf: consoleCsrf(page) };
  };
  const auditOf = async (operation: string) => (await gp.store.listAuditNewestFirst({ operation }, { limit: 1 })).items[0];

  before(async () => {
    files = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    api = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write settings:write admin');
    const signedIn = await consoleSignIn('boss@example.com');
    const person = (await api.get<{ items: PersonBody[] }>('/users?email=boss@example.com')).body.items[0]!;
    admin = { ...signedIn, personId: person.id };
    auditor = await consoleSignIn('watcher@example.com');
  });

  it('finds a link by recipient, removes that recipient, and audits it with the admin as the actor', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'q3-report.xlsx', recipients: ['ada@example.org', 'bob@example.org'] })).body;
    const found = await admin.browser.get('/admin/links?recipient=ADA@example.org');
    expect(visibleText(found.body)).to.contain('q3-report.xlsx');
    const page = await admin.browser.get(`/admin/links/${link.id}`);
    const removed = await admin.browser.post(`/admin/links/${link.id}/remove-recipient`, { csrf: admin.csrf, email: 'ada@example.org' });
    expect(new URL(removed.url).pathname).to.equal(`/admin/links/${link.id}`);
    expect(visibleText(removed.body)).to.contain('The recipient was removed from the link, and what guestpass issued them for it has ended.');
    expect(page.status).to.equal(200);
    expect((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients.map((recipient) => recipient.email)).to.deep.equal(['bob@example.org']);
    const event = await auditOf('RemovedFromSecureLink');
    expect(event).to.deep.include({ actor: { type: 'person', id: admin.personId }, sharingId: link.id });
    expect(event!.detail).to.include({ email: 'ada@example.org', clientId: 'files' }).and.have.property('revoked');
  });

  it('pages through the links of a recipient, 25 at a time, keeping the filter', async () => {
    for (let index = 0; index < 27; index += 1) await files.post<LinkBody>('/links', { resource: `batch-${index}.txt`, recipients: ['many@example.org'] });
    const first = await admin.browser.get('/admin/links?recipient=many@example.org');
    expect(first.body.match(/<td data-label="Resource"/g)).to.have.length(25);
    const next = /<a href="([^"]+)">Next page<\/a>/.exec(first.body)![1]!.replaceAll('&amp;', '&');
    expect(next).to.contain('recipient=many%40example.org');
    const second = await admin.browser.get(next);
    expect(second.body.match(/<td data-label="Resource"/g)).to.have.length(2);
    expect(second.body).to.not.contain('Next page');
    expect((await admin.browser.get('/admin/links?cursor=not-a-cursor')).status).to.equal(400);
  });

  it('changes a link\'s expiry (read as UTC), shows the API\'s message for a date in the past, and deletes only when confirmed', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'plans.pdf', recipients: ['eve@example.org'] })).body;
    const at = new Date(clock.now() + 7 * 86_400_000).toISOString().slice(0, 16);
    await admin.browser.post(`/admin/links/${link.id}/expiry`, { csrf: admin.csrf, expiresAt: at });
    expect((await files.get<LinkBody>(`/links/${link.id}`)).body.expiresAt).to.equal(`${at}:00.000Z`);
    const past = await admin.browser.post(`/admin/links/${link.id}/expiry`, { csrf: admin.csrf, expiresAt: '2001-01-01T00:00' });
    expect(past.status).to.equal(400);
    expect(visibleText(past.body)).to.contain('expiresAt must be in the future');

    const unconfirmed = await admin.browser.post(`/admin/links/${link.id}/delete`, { csrf: admin.csrf });
    expect(unconfirmed.status).to.equal(400);
    expect((await files.get(`/links/${link.id}`)).status).to.equal(200);
    await admin.browser.post(`/admin/links/${link.id}/delete`, { csrf: admin.csrf, confirm: 'yes' });
    expect((await files.get(`/links/${link.id}`)).status).to.equal(404);
    expect((await auditOf('SecureLinkDeleted'))!.actor).to.deep.equal({ type: 'person', id: admin.personId });
  });

  it('invites a guest without a mail (the redeem link shown once) and with one, disables, enables and ends sessions', async () => {
    const shown = await admin.browser.post('/admin/people/invite', { csrf: admin.csrf, email: 'guest-one@example.net' });
    expect(visibleText(shown.body)).to.contain('Send them this invitation link yourself');
    expect(shown.body).to.match(/value="http:\/\/127\.0\.0\.1:\d+\/invitations\/[A-Za-z0-9_-]{43}"/);
    expect((await auditOf('GuestInvited'))).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    const mailed = await admin.browser.post('/admin/people/invite', { csrf: admin.csrf, email: 'guest-two@example.net', sendInvitationMail: 'yes' });
    expect(visibleText(mailed.body)).to.contain('The invitation is on its way by mail.');
    await gp.smtp.waitForMail('guest-two@example.net');

    const guest = (await api.get<{ items: PersonBody[] }>('/users?email=guest-one@example.net')).body.items[0]!;
    await admin.browser.post(`/admin/people/${guest.id}/disable`, { csrf: admin.csrf });
    expect((await api.get<PersonBody>(`/users/${guest.id}`)).body.disabled).to.equal(true);
    expect((await auditOf('UserDisabled'))).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    const enabled = await admin.browser.post(`/admin/people/${guest.id}/enable`, { csrf: admin.csrf });
    expect(visibleText(enabled.body)).to.contain('The person was enabled.');
    expect((await api.get<PersonBody>(`/users/${guest.id}`)).body.disabled).to.equal(false);
    await admin.browser.post(`/admin/people/${guest.id}/revoke-sessions`, { csrf: admin.csrf });
    expect((await auditOf('SessionsRevoked'))).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    await admin.browser.post(`/admin/people/${guest.id}/delete`, { csrf: admin.csrf, confirm: 'yes' });
    expect((await api.get(`/users/${guest.id}`)).status).to.equal(404);
  });

  it('saves the settings, refuses values out of range with the API\'s words, and shows a stale form what changed meanwhile', async () => {
    const form = await admin.browser.get('/admin/settings');
    expect(form.body).to.contain('name="reverificationDays"').and.contain('min="1" max="730"');
    const fields = settingsFields(form.body);

    const tooLong = await admin.browser.post('/admin/settings', { ...fields, 'otp.length': '11' });
    expect(tooLong.status).to.equal(400);
    expect(visibleText(tooLong.body)).to.contain('otp.length: Too big: expected number to be <=10');
    expect((await api.get<{ otp: { length: number } }>('/settings')).body.otp.length).to.equal(6);

    const saved = await admin.browser.post('/admin/settings', { ...fields, reverificationDays: '14' });
    expect(visibleText(saved.body)).to.contain('The settings were saved.');
    expect((await api.get<{ reverificationDays: number }>('/settings')).body.reverificationDays).to.equal(14);
    expect((await auditOf('SettingsUpdated'))).to.deep.include({ actor: { type: 'person', id: admin.personId } });

    const opened = settingsFields((await admin.browser.get('/admin/settings')).body);
    const current = await api.get<Record<string, unknown>>('/settings');
    await api.request('PUT', '/settings', { ...current.body, reverificationDays: 20 }, { 'if-match': current.headers.get('etag')! });
    const stale = await admin.browser.post('/admin/settings', { ...opened, 'otp.ttlSeconds': '300' });
    expect(stale.status).to.equal(409);
    expect(visibleText(stale.body)).to.contain('Someone changed the settings after you opened this page').and.contain('Reverification (days): 14 → 20');
    expect(stale.body).to.contain('name="otp.ttlSeconds" type="number" inputmode="numeric" step="1" min="60" max="1800" required value="300"');
    expect((await api.get<{ reverificationDays: number; otp: { ttlSeconds: number } }>('/settings')).body).to.deep.include({ reverificationDays: 20 });
  });

  it('downloads the sharing report as CSV and NDJSON, filtered, formula-like cells as text', async () => {
    await files.post<LinkBody>('/links', { resource: '=cmd|calc', recipients: ['mallory@example.org', 'colleague@contoso.com'] });
    const page = await admin.browser.get('/admin/reports/external-sharing?recipient=mallory@example.org');
    expect(visibleText(page.body)).to.contain('=cmd|calc').and.not.contain('colleague@contoso.com');
    const csv = await admin.browser.get('/admin/reports/external-sharing.csv?recipient=mallory@example.org');
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const rows = csv.body.trimEnd().split('\r\n');
    expect(rows).to.have.length(2);
    expect(rows[1]).to.contain(",'=cmd|calc,files,").and.contain('mallory@example.org,adhoc');
    const ndjson = await admin.browser.get('/admin/reports/external-sharing.ndjson?recipient=mallory@example.org');
    expect(JSON.parse(ndjson.body.trim()).resource).to.equal('=cmd|calc');
  });

  it('filters the audit trail newest first and exports what matches as NDJSON; the overview counts the day', async () => {
    const page = await admin.browser.get('/admin/audit?operation=SettingsUpdated');
    expect(page.body).to.contain('<td data-label="Operation">SettingsUpdated').and.not.contain('<td data-label="Operation">GuestInvited');
    const exported = await admin.browser.get('/admin/audit/export?operation=GuestInvited');
    const events = exported.body.trim().split('\n').map((line) => JSON.parse(line));
    expect(events.map((event) => event.detail.email)).to.deep.equal(['guest-one@example.net', 'guest-two@example.net']);
    const overview = visibleText((await admin.browser.get('/admin')).body);
    expect(overview).to.match(/\d+ Sign-ins/).and.contain('Codes sent');
    expect(overview).to.match(/No mail is waiting to be sent\.|waiting to be sent/);
    expect((await admin.browser.get('/admin/audit?since=2030-01-02T00:00&until=2030-01-01T00:00')).status).to.equal(400);
  });

  it('lets an auditor read every page and change nothing: each form is refused on the server with 403', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'audit-me.txt', recipients: ['ada@example.org'] })).body;
    const person = (await api.get<{ items: PersonBody[] }>('/users?email=boss@example.com')).body.items[0]!;
    for (const path of ['/admin', '/admin/links', `/admin/links/${link.id}`, '/admin/people', `/admin/people/${person.id}`, '/admin/reports/external-sharing', '/admin/audit', '/admin/settings']) {
      const page = await auditor.browser.get(path);
      expect(page.status, path).to.equal(200);
      expect(page.body, path).to.not.match(/<button type="submit"[^>]*>(Remove|Save|Delete|Invite|Disable|End every)/);
    }
    const before = (await gp.store.listAuditNewestFirst({}, { limit: 1 })).items[0]!.id;
    const posts: [string, Record<string, string>][] = [
      [`/admin/links/${link.id}/remove-recipient`, { email: 'ada@example.org' }],
      [`/admin/links/${link.id}/expiry`, { expiresAt: '' }],
      [`/admin/links/${link.id}/delete`, { confirm: 'yes' }],
      ['/admin/people/invite', { email: 'sneaky@example.org' }],
      [`/admin/people/${person.id}/disable`, {}],
      [`/admin/people/${person.id}/revoke-sessions`, {}],
      [`/admin/people/${person.id}/delete`, { confirm: 'yes' }],
      ['/admin/settings', { ...settingsFields((await auditor.browser.get('/admin/settings')).body), reverificationDays: '700' }],
    ];
    for (const [path, fields] of posts) {
      const answer = await auditor.browser.post(path, { csrf: auditor.csrf, ...fields }, { follow: false });
      expect(answer.status, path).to.equal(403);
      expect(visibleText(answer.body), path).to.contain('auditors can read everything in the console but change nothing');
    }
    expect((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients).to.have.length(1);
    expect((await gp.store.listAuditNewestFirst({}, { limit: 1 })).items[0]!.id).to.equal(before);
  });

  it('refuses a form without the session\'s CSRF token, or posted from another site, and changes nothing', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'csrf.txt', recipients: ['ada@example.org'] })).body;
    const path = `/admin/links/${link.id}/remove-recipient`;
    expect((await admin.browser.post(path, { email: 'ada@example.org' }, { follow: false })).status).to.equal(403);
    expect((await admin.browser.post(path, { csrf: auditor.csrf, email: 'ada@example.org' }, { follow: false })).status).to.equal(403);
    expect((await admin.browser.post(path, { csrf: admin.csrf, email: 'ada@example.org' }, { follow: false, headers: { 'sec-fetch-site': 'cross-site' } })).status).to.equal(403);
    expect((await admin.browser.post(path, { csrf: admin.csrf, email: 'ada@example.org' }, { follow: false, headers: { origin: 'https://evil.example' } })).status).to.equal(403);
    expect((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients).to.have.length(1);
  });
});

/** The settings form's fields as the page filled them in (inputs, the selected options, the checked radio, the textarea). */
function settingsFields(body: string): Record<string, string> {
  const form = /<form method="post" action="\/admin\/settings"[\s\S]*?<\/form>/.exec(body)![0];
  const fields: Record<string, string> = {};
  for (const input of form.matchAll(/<input\b[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (!name || (/type="radio"/.test(input[0]) && !/ checked/.test(input[0]))) continue;
    fields[name] = value.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
  }
  for (const select of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) fields[select[1]!] = /<option selected>([^<]*)</.exec(select[2]!)?.[1] ?? '';
  for (const area of form.matchAll(/<textarea[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[area[1]!] = area[2]!;
  return fields;
}
