/**
 * The console's clients page, through the real server on Redis: every relying party listed,
 * never a secret, to admins and auditors; for admins, registering a client, rotating a runtime
 * client's secret, deleting one and issuing an initial access token, each through the clients
 * API's operations and audited with the admin as the actor; the new secret or token appears in
 * the one answer and nowhere else (pages, audit, log). An auditor's POST, a forged form (no CSRF
 * token, another site, another origin) change nothing; bad input names the field.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';

import { createLogger } from '../../src/log.ts';
import type { Browser, PageResponse } from '../support/browser.ts';
import { findForm, visibleText } from '../support/browser.ts';
import { consoleCsrf, signInToConsole } from '../support/console.ts';
import { adminClient, filesClient, rpClient, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi } from '../support/management.ts';
import { clientsAdmin, registration } from '../clients/support.ts';

describe('the admin console: clients', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const gp = useGuestpass({
    store: 'redis',
    config: { clients: [rpClient, filesClient, adminClient, clientsAdmin], admin: { emails: ['boss@example.com'], auditorEmails: ['watcher@example.com'] } },
    deps: { logger: createLogger('trace', sink) },
  });
  let api: ManagementApi;
  let admin: { browser: Browser; csrf: string; personId: string };
  let auditor: { browser: Browser; csrf: string };

  const signIn = async (email: string) => {
    const { browser, page } = await signInToConsole(() => gp.browser(), gp.smtp, email);
    return { browser, csrf: consoleCsrf(page) };
  };
  const auditOf = async (operation: string) => (await gp.store.listAuditNewestFirst({ operation }, { limit: 1 })).items[0];
  const shownOnce = (page: PageResponse) => findForm(`<form action="/x">${/<input id="shown-once"[^>]*>/.exec(page.body)![0].replace('type="text"', 'type="hidden" name="value"')}</form>`, '/x').hidden.value!;
  const clientIdOn = (page: PageResponse) => /<dt>Client id<\/dt><dd><code>([^<]+)<\/code>/.exec(page.body)![1]!;
  const register = (browser: Browser, csrf: string, fields: Record<string, string> = {}, options = {}) =>
    browser.post('/admin/clients/register', { csrf, client_name: 'Northwind Files', redirect_uris: 'http://northwind.test/callback\r\nhttp://northwind.test/other', refresh_token: 'yes', ...fields }, options);

  before(async () => {
    api = await ManagementApi.as(gp.issuer, clientsAdmin, 'clients:read clients:write directory:read');
    const signedIn = await signIn('boss@example.com');
    const me = (await api.get<{ items: { id: string }[] }>('/users?email=boss@example.com')).body.items[0]!;
    admin = { ...signedIn, personId: me.id };
    auditor = await signIn('watcher@example.com');
  });

  it('lists static and runtime clients, never a secret, to admins and auditors; only admins get the forms', async () => {
    const created = await api.post<{ client_id: string; client_secret: string }>('/clients', { client_name: 'Contoso Wiki', redirect_uris: ['http://wiki.test/callback'] });
    expect(created.status).to.equal(201);
    for (const [who, browser] of [['admin', admin.browser], ['auditor', auditor.browser]] as const) {
      const page = await browser.get('/admin/clients');
      expect(page.status, who).to.equal(200);
      const text = visibleText(page.body);
      expect(text).to.contain('Contoso Wiki').and.contain(created.body.client_id).and.contain('http://wiki.test/callback');
      expect(text).to.match(/rp\s+Test File Host\s+configuration file/);
      expect(page.body).to.not.contain(created.body.client_secret).and.not.contain(rpClient.client_secret);
      expect(page.body).to.contain('aria-current="page"');
      expect(page.body.includes('/admin/clients/register'), who).to.equal(who === 'admin');
      expect(page.body.includes('/admin/clients/initial-access-tokens'), who).to.equal(who === 'admin');
      const one = await browser.get(`/admin/clients/${created.body.client_id}`);
      expect(one.status).to.equal(200);
      expect(one.body).to.not.contain(created.body.client_secret);
      expect(one.body.includes('rotate-secret'), who).to.equal(who === 'admin');
    }
    const staticPage = await admin.browser.get('/admin/clients/rp');
    expect(visibleText(staticPage.body)).to.contain('configuration file');
    expect(staticPage.body).to.not.contain('rotate-secret').and.not.contain('/delete');
    expect((await admin.browser.get('/admin/clients/gp-nobody')).status).to.equal(404);
  });

  it('registers a client for an admin and shows its secret once, on the answer only', async () => {
    const answer = await register(admin.browser, admin.csrf, { scopes: 'links:read' });
    expect(answer.status).to.equal(200);
    expect(new URL(answer.url).pathname).to.equal('/admin/clients/register');
    const clientId = clientIdOn(answer);
    const secret = shownOnce(answer);
    expect(secret).to.have.length.greaterThan(30);
    expect(answer.url).to.not.contain(secret);
    const stored = (await api.get<Record<string, unknown>>(`/clients/${clientId}`)).body;
    expect(stored).to.deep.include({ client_name: 'Northwind Files', redirect_uris: ['http://northwind.test/callback', 'http://northwind.test/other'], grant_types: ['authorization_code', 'refresh_token'] });
    expect(String(stored.scope).split(' ')).to.include.members(['openid', 'offline_access', 'links:read']);
    expect(stored).to.not.have.property('client_secret');
    const event = await auditOf('ClientRegistered');
    expect(event).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    expect(event!.detail).to.include({ clientId, via: 'console' });
    for (const page of [await admin.browser.get('/admin/clients'), await admin.browser.get(`/admin/clients/${clientId}`), await admin.browser.get('/admin/audit')]) {
      expect(page.body).to.contain(clientId).and.not.contain(secret);
    }
    expect(JSON.stringify(event)).to.not.contain(secret);
    expect(lines.join('')).to.not.contain(secret);
  });

  it('rotates a runtime client\'s secret with the grace period asked for; the new secret is shown once; static clients cannot be rotated', async () => {
    const registered = await register(admin.browser, admin.csrf);
    const clientId = clientIdOn(registered);
    const first = shownOnce(registered);
    const page = await admin.browser.get(`/admin/clients/${clientId}`);
    expect(findForm(page.body, `/admin/clients/${clientId}/rotate-secret`).hidden.csrf).to.equal(admin.csrf);
    expect(page.body).to.match(/name="graceHours"[^>]*value="24"/);
    const rotated = await admin.browser.post(`/admin/clients/${clientId}/rotate-secret`, { csrf: admin.csrf, graceHours: '2' });
    expect(rotated.status).to.equal(200);
    const second = shownOnce(rotated);
    expect(second).to.not.equal(first);
    expect(visibleText(rotated.body)).to.contain('The previous secret keeps working until');
    const event = await auditOf('ClientSecretRotated');
    expect(event).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    expect(event!.detail).to.include({ clientId, graceSeconds: 7200 });
    expect((await admin.browser.get(`/admin/clients/${clientId}`)).body).to.not.contain(second);
    expect(lines.join('')).to.not.contain(second);
    const unchanged = await admin.browser.post('/admin/clients/rp/rotate-secret', { csrf: admin.csrf, graceHours: '2' });
    expect(unchanged.status).to.equal(409);
    expect(visibleText(unchanged.body)).to.contain('configuration file');
  });

  it('deletes a runtime client only when the admin confirms', async () => {
    const clientId = clientIdOn(await register(admin.browser, admin.csrf));
    const unconfirmed = await admin.browser.post(`/admin/clients/${clientId}/delete`, { csrf: admin.csrf });
    expect(unconfirmed.status).to.equal(400);
    expect(visibleText(unconfirmed.body)).to.contain('confirm: tick the box to confirm');
    expect((await api.get(`/clients/${clientId}`)).status).to.equal(200);
    const deleted = await admin.browser.post(`/admin/clients/${clientId}/delete`, { csrf: admin.csrf, confirm: 'yes' }, { follow: false });
    expect(deleted.status).to.equal(303);
    expect(deleted.headers.get('location')).to.equal('/admin/clients?done=client_deleted');
    expect(visibleText((await admin.browser.get('/admin/clients?done=client_deleted')).body)).to.contain('The client was deleted');
    expect((await api.get(`/clients/${clientId}`)).status).to.equal(404);
    expect(await auditOf('ClientDeleted')).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    expect((await admin.browser.post('/admin/clients/rp/delete', { csrf: admin.csrf, confirm: 'yes' })).status).to.equal(409);
  });

  it('issues a single-use initial access token with the policy asked for; it registers once, within the policy', async () => {
    const answer = await admin.browser.post('/admin/clients/initial-access-tokens', { csrf: admin.csrf, expiresInHours: '2', singleUse: 'yes', grantTypes: 'authorization_code' });
    expect(answer.status).to.equal(200);
    const token = shownOnce(answer);
    expect(answer.url).to.not.contain(token);
    const event = await auditOf('InitialAccessTokenIssued');
    expect(event).to.deep.include({ actor: { type: 'person', id: admin.personId } });
    expect(event!.detail).to.deep.include({ grantTypes: ['authorization_code'], scopes: [], openSignIn: false, singleUse: true });
    expect(JSON.stringify(event)).to.not.contain(token);
    const beyond = await registration(`${gp.issuer}/reg`, 'POST', token, { redirect_uris: ['http://iat.test/cb'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
    expect(beyond.status).to.equal(400);
    const registered = await registration(`${gp.issuer}/reg`, 'POST', token, { redirect_uris: ['http://iat.test/cb'] });
    expect(registered.status).to.equal(201);
    expect((await registration(`${gp.issuer}/reg`, 'POST', token, { redirect_uris: ['http://iat.test/cb'] })).status).to.not.equal(201);
    expect((await admin.browser.get('/admin/clients')).body).to.not.contain(token);
    expect(lines.join('')).to.not.contain(token);
  });

  it('shows bad input as a message naming the field, and changes nothing', async () => {
    const before = (await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length;
    const cases: [string, Record<string, string>, string][] = [
      ['/admin/clients/register', { client_name: 'X', redirect_uris: ' \n ' }, 'redirect_uris'],
      ['/admin/clients/register', { client_name: '', redirect_uris: 'http://x.test/cb' }, 'client_name'],
      ['/admin/clients/register', { client_name: 'X', redirect_uris: 'not a uri' }, 'redirect_uris'],
      ['/admin/clients/register', { client_name: 'X', redirect_uris: 'http://x.test/cb', scopes: 'everything' }, 'scopes'],
      ['/admin/clients/initial-access-tokens', { expiresInHours: '0' }, 'expiresInHours'],
      ['/admin/clients/initial-access-tokens', { expiresInHours: 'soon' }, 'expiresInHours'],
      ['/admin/clients/initial-access-tokens', { grantTypes: 'password' }, 'grantTypes'],
      ['/admin/clients/initial-access-tokens', { expiresInHours: '1' }, 'grantTypes: tick at least one'],
    ];
    for (const [path, fields, field] of cases) {
      const answer = await admin.browser.post(path, { csrf: admin.csrf, ...fields });
      expect(answer.status, JSON.stringify(fields)).to.equal(400);
      expect(visibleText(answer.body), JSON.stringify(fields)).to.contain(field);
      expect(answer.body).to.not.contain('id="shown-once"');
    }
    const clientId = clientIdOn(await register(admin.browser, admin.csrf));
    for (const graceHours of ['-1', '721', 'a day', '1.5']) {
      const answer = await admin.browser.post(`/admin/clients/${clientId}/rotate-secret`, { csrf: admin.csrf, graceHours });
      expect(answer.status, graceHours).to.equal(400);
      expect(visibleText(answer.body)).to.contain('graceHours');
    }
    expect((await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length).to.equal(before + 1);
    expect((await auditOf('ClientSecretRotated'))?.detail).to.not.include({ clientId });
  });

  it('refuses an auditor\'s every form (403) and forged forms (no CSRF token, another site, another origin), changing nothing', async () => {
    const clientId = clientIdOn(await register(admin.browser, admin.csrf));
    const forms: [string, Record<string, string>][] = [
      ['/admin/clients/register', { client_name: 'Forged', redirect_uris: 'http://forged.test/cb' }],
      ['/admin/clients/initial-access-tokens', { expiresInHours: '1', grantTypes: 'authorization_code' }],
      [`/admin/clients/${clientId}/rotate-secret`, { graceHours: '0' }],
      [`/admin/clients/${clientId}/delete`, { confirm: 'yes' }],
    ];
    const issued = async () => (await gp.store.listAuditNewestFirst({ operation: 'InitialAccessTokenIssued' }, { limit: 100 })).items.length;
    const before = { clients: (await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length, tokens: await issued(), audit: (await gp.store.listAuditNewestFirst({}, { limit: 1 })).items[0] };
    for (const [path, fields] of forms) {
      const attempts = [
        await auditor.browser.post(path, { csrf: auditor.csrf, ...fields }, { follow: false }),
        await admin.browser.post(path, fields, { follow: false }),
        await admin.browser.post(path, { csrf: auditor.csrf, ...fields }, { follow: false }),
        await admin.browser.post(path, { csrf: admin.csrf, ...fields }, { follow: false, headers: { 'sec-fetch-site': 'cross-site' } }),
        await admin.browser.post(path, { csrf: admin.csrf, ...fields }, { follow: false, headers: { origin: 'https://evil.example' } }),
      ];
      attempts.forEach((answer, index) => expect(answer.status, `${path} #${index}`).to.equal(403));
      expect(attempts[0]!.body).to.contain('auditors can read everything in the console but change nothing');
    }
    expect((await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length).to.equal(before.clients);
    expect(await issued()).to.equal(before.tokens);
    expect((await api.get(`/clients/${clientId}`)).status).to.equal(200);
    const latest = (await gp.store.listAuditNewestFirst({}, { limit: 1 })).items[0];
    expect(JSON.stringify(latest)).to.equal(JSON.stringify(before.audit));
  });
});
