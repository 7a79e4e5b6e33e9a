/**
 * The links API (SPEC §6) as a resource server uses it: a client_credentials token for
 * <ISSUER>/api, JSON over real HTTP, against Redis. Bad input gets a 4xx naming the problem.
 */
import { expect } from 'chai';
import { SignJWT, importJWK, type JWK } from 'jose';

import type { AuditEvent } from '../../adapters/store.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, rpClient, startGuestpass, useGuestpass, testKeys } from '../support/guestpass.ts';
import { ManagementApi, managementToken, type LinkBody } from '../support/management.ts';
import { SmtpCapture } from '../support/smtp.ts';

const day = 24 * 60 * 60 * 1000;

describe('the links API', () => {
  let files: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();
  const otherClient = { ...filesClient, client_id: 'photos', client_secret: 'photos-secret-for-tests-only', redirect_uris: ['http://photos.test/callback'] };

  const gp = useGuestpass({
      store: 'redis',
      clock,
      config: { clients: [rpClient, filesClient, adminClient, otherClient], organization: { name: 'Contoso', domains: ['contoso.com'] }, links: { maxRecipients: 5 } },
    });
  before(async () => {
    files = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'links:read links:write audit:read admin');
  });

  async function auditFor(sharingId: string): Promise<AuditEvent[]> {
    return (await gp.store.listAudit({ sharingId }, { limit: 1000 })).items;
  }

  it('creates a link: 201, its Location, the SPEC shape, and the audit events in order', async () => {
    const created = await files.post<LinkBody>('/links', { resource: 'files/q3-report.pdf', recipients: ['Ada@Example.org', 'bob@contoso.com'], createdBy: 'owner@contoso.com' });
    expect(created.status).to.equal(201);
    const link = created.body;
    expect(created.headers.get('location')).to.equal(`/api/v1/links/${link.id}`);
    expect(link.id).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(link).to.include({ resource: 'files/q3-report.pdf', clientId: 'files', createdBy: 'owner@contoso.com' });
    expect(link.recipients.map(({ email, userType }) => ({ email, userType }))).to.deep.equal([
      { email: 'Ada@Example.org', userType: 'adhoc' },
      { email: 'bob@contoso.com', userType: 'member' },
    ]);
    expect(Date.parse(link.createdAt)).to.be.closeTo(clock.now(), 5000);
    expect(link).to.not.have.property('expiresAt');

    const events = await auditFor(link.id);
    expect(events.map((event) => event.operation)).to.deep.equal(['SecureLinkCreated', 'AddedToSecureLink', 'AddedToSecureLink']);
    expect(events[1]!.detail).to.include({ email: 'ada@example.org', external: true, clientId: 'files' });
    expect(events[2]!.detail).to.include({ email: 'bob@contoso.com', external: false });
    expect(events.every((event) => event.actor.type === 'client' && event.actor.id === 'files' && event.sharingId === link.id)).to.equal(true);

    expect((await files.get<LinkBody>(`/links/${link.id}`)).body).to.deep.equal(link);
  });

  it('adds recipients (already-present ones are left alone), removes one, changes the expiry, and deletes, auditing each step', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/plan.docx', recipients: ['ada@example.org'] });
    const added = await files.post<LinkBody>(`/links/${link.id}/recipients`, { emails: ['ADA@example.org', 'carol@example.org'] });
    expect(added.status).to.equal(200);
    expect(added.body.recipients.map((recipient) => recipient.email)).to.deep.equal(['ada@example.org', 'carol@example.org']);

    const removed = await files.delete<LinkBody>(`/links/${link.id}/recipients/${encodeURIComponent('Carol@Example.org')}`);
    expect(removed.status).to.equal(200);
    expect(removed.body.recipients.map((recipient) => recipient.email)).to.deep.equal(['ada@example.org']);

    const expiresAt = new Date(clock.now() + 7 * day).toISOString();
    const patched = await files.patch<LinkBody>(`/links/${link.id}`, { expiresAt });
    expect(patched.body.expiresAt).to.equal(expiresAt);
    expect((await files.patch<LinkBody>(`/links/${link.id}`, { expiresAt: null })).body).to.not.have.property('expiresAt');

    await files.post(`/links/${link.id}/recipients`, { emails: ['dave@example.org'] });
    expect((await files.delete(`/links/${link.id}`)).status).to.equal(204);
    expect((await files.get(`/links/${link.id}`)).status).to.equal(404);

    const operations = (await auditFor(link.id)).map((event) => `${event.operation}${event.detail.email ? ` ${String(event.detail.email)}` : ''}`);
    expect(operations).to.deep.equal([
      'SecureLinkCreated',
      'AddedToSecureLink ada@example.org',
      'AddedToSecureLink carol@example.org',
      'RemovedFromSecureLink carol@example.org',
      'SecureLinkExpiryChanged',
      'SecureLinkExpiryChanged',
      'AddedToSecureLink dave@example.org',
      'RemovedFromSecureLink ada@example.org',
      'RemovedFromSecureLink dave@example.org',
      'SecureLinkDeleted',
    ]);
  });

  it('answers whether one address is still a recipient of a live link, for hosts that keep their own session', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/check.txt', recipients: ['Still@Example.org'], expiresAt: new Date(clock.now() + day).toISOString() });
    expect(link.live).to.equal(true);
    const present = await files.get(`/links/${link.id}/recipients/still%40example.org`);
    expect(present.status).to.equal(200);
    expect(present.body).to.include({ email: 'Still@Example.org', userType: 'adhoc', sharingId: link.id, live: true });
    expect((await files.get(`/links/${link.id}/recipients/other%40example.org`)).status).to.equal(404);
    const photos = await ManagementApi.as(gp.issuer, otherClient, 'links:read');
    expect((await photos.get(`/links/${link.id}/recipients/still%40example.org`)).status, "another client's link").to.equal(404);

    clock.advance(day + 1000);
    expect((await files.get(`/links/${link.id}/recipients/still%40example.org`)).body).to.include({ live: false });
    expect((await files.get<LinkBody>(`/links/${link.id}`)).body.live).to.equal(false);
    await files.delete(`/links/${link.id}/recipients/still%40example.org`);
    expect((await files.get(`/links/${link.id}/recipients/still%40example.org`)).status).to.equal(404);
  });

  it('keeps concurrent additions from two callers', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/concurrent.txt', recipients: ['one@example.org'] });
    await Promise.all(['two', 'three', 'four'].map((name) => files.post(`/links/${link.id}/recipients`, { emails: [`${name}@example.org`] })));
    const { body } = await files.get<LinkBody>(`/links/${link.id}`);
    expect(body.recipients.map((recipient) => recipient.email).sort()).to.deep.equal(['four@example.org', 'one@example.org', 'three@example.org', 'two@example.org']);
  });

  it('lists its own links newest first, a page at a time, filtered by resource and recipient', async () => {
    const resource = `files/paged-${Date.now()}`;
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      clock.advance(1000);
      ids.push((await files.post<LinkBody>('/links', { resource, recipients: [`paged-${index % 2}@example.org`] })).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/links?resource=${encodeURIComponent(resource)}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await files.get<{ items: LinkBody[]; nextCursor: string | null }>(query);
      expect(page.status).to.equal(200);
      seen.push(...page.body.items.map((link) => link.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal([...ids].reverse());

    const byRecipient = await files.get<{ items: LinkBody[] }>(`/links?resource=${encodeURIComponent(resource)}&recipient=PAGED-1@example.org`);
    expect(byRecipient.body.items.map((link) => link.id)).to.deep.equal([ids[5], ids[3], ids[1]]);
  });

  it('treats another client\'s link as not found, while an admin sees and changes every link', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/private.txt', recipients: ['ada@example.org'] });
    const photos = await ManagementApi.as(gp.issuer, otherClient, 'links:read links:write');
    for (const response of [
      await photos.get(`/links/${link.id}`),
      await photos.patch(`/links/${link.id}`, { expiresAt: null }),
      await photos.post(`/links/${link.id}/recipients`, { emails: ['mallory@example.org'] }),
      await photos.delete(`/links/${link.id}`),
    ]) {
      expect(response.status).to.equal(404);
      expect(response.body).to.deep.equal({ error: 'not_found', error_description: 'no such link' });
    }
    expect((await photos.get<{ items: LinkBody[] }>('/links?resource=files%2Fprivate.txt')).body.items).to.deep.equal([]);
    expect((await admin.get<LinkBody>(`/links/${link.id}`)).body.id).to.equal(link.id);
    expect((await admin.get<{ items: LinkBody[] }>('/links?resource=files%2Fprivate.txt')).body.items.map((item) => item.id)).to.deep.equal([link.id]);
    expect((await admin.post<LinkBody>(`/links/${link.id}/recipients`, { emails: ['eve@example.org'] })).status).to.equal(200);
  });

  it('answers bad input with a 4xx that names the problem', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/x', recipients: ['ada@example.org'] });
    const cases: [Promise<{ status: number; body: unknown }>, number, RegExp][] = [
      [files.post('/links', { resource: 'r', recipients: ['ada@example.org', 'not-an-email'] }), 400, /not email addresses: "not-an-email"/],
      [files.post('/links', { resource: 'r', recipients: ['ada@example.org', ' ADA@example.org'] }), 400, /listed more than once.*ada@example\.org/],
      [files.post('/links', { resource: 'r', recipients: [] }), 400, /at least one email address/],
      [files.post('/links', { resource: 'r', recipients: ['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org', 'e@x.org', 'f@x.org'] }), 400, /at most 5 recipients; got 6/],
      [files.post('/links', { resource: 'r', recipients: ['a@x.org'], expiresAt: new Date(clock.now() - 1000).toISOString() }), 400, /expiresAt must be in the future/],
      [files.post('/links', { resource: 'r', recipients: ['a@x.org'], expiresAt: 'tomorrow' }), 400, /expiresAt: must be an ISO 8601 date-time/],
      [files.post('/links', { resource: '', recipients: ['a@x.org'] }), 400, /resource: must not be empty/],
      [files.post('/links', { recipients: ['a@x.org'] }), 400, /resource: is required/],
      [files.post('/links', { resource: 'r', recipients: ['a@x.org'], owner: 'x' }), 400, /unknown field owner/],
      [files.request('POST', '/links', '{"resource":', { 'content-type': 'application/json' }), 400, /not valid JSON/],
      [files.request('POST', '/links', JSON.stringify({ resource: 'x'.repeat(300_000), recipients: [] }), { 'content-type': 'application/json' }), 413, /larger than 256 kB/],
      [files.request('POST', '/links', 'resource=r', { 'content-type': 'application/x-www-form-urlencoded' }), 415, /application\/json/],
      [files.post(`/links/${link.id}/recipients`, { emails: ['b@x.org', 'c@x.org', 'd@x.org', 'e@x.org', 'f@x.org'] }), 400, /at most 5 recipients; this one would have 6/],
      [files.delete(`/links/${link.id}/recipients/nobody%40example.org`), 404, /nobody@example\.org is not a recipient/],
      [files.get('/links/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 404, /no such link/],
      [files.get('/links/not-a-sharing-id'), 404, /no such link/],
      [files.get('/links?limit=1000'), 400, /limit/],
      [files.get('/links?cursor=bm9wZQ'), 400, /cursor/],
      [files.get('/links?colour=red'), 400, /unknown field colour/],
      [files.get('/nothing-here'), 404, /no such endpoint/],
      [files.request('PUT', '/links', {}), 405, /./],
      [files.request('PUT', `/links/${link.id}`, {}), 405, /./],
    ];
    for (const [pending, status, description] of cases) {
      const response = await pending;
      expect(response.status, `${String(description)}: ${JSON.stringify(response.body)}`).to.equal(status);
      const body = response.body as { error: string; error_description: string };
      expect(body.error, JSON.stringify(body)).to.be.a('string');
      expect(body.error_description, JSON.stringify(body)).to.match(description);
    }
  });

  it('caps link lifetimes by policy.maxLinkLifetimeDays and applies the cap by default', async () => {
    const capped = await startGuestpass({ store: 'memory', smtp: gp.smtp, clock, config: { clients: [filesClient], policy: { maxLinkLifetimeDays: 30 } } });
    try {
      const api = await ManagementApi.as(capped.issuer, filesClient, 'links:write');
      const defaulted = await api.post<LinkBody>('/links', { resource: 'r', recipients: ['a@x.org'] });
      expect(Date.parse(defaulted.body.expiresAt!)).to.be.closeTo(clock.now() + 30 * day, 5000);
      const tooLate = await api.post('/links', { resource: 'r', recipients: ['a@x.org'], expiresAt: new Date(clock.now() + 31 * day).toISOString() });
      expect(tooLate.status).to.equal(400);
      expect(String(tooLate.body.error_description)).to.match(/at most 30 days ahead/);
      const removing = await api.patch(`/links/${defaulted.body.id}`, { expiresAt: null });
      expect(removing.status).to.equal(400);
      expect(String(removing.body.error_description)).to.match(/cannot be removed/);
    } finally {
      await capped.close();
    }
  });
});

describe('management API tokens', () => {
  const gp = useGuestpass({ store: 'memory' });

  async function signedToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const jwk = (await testKeys()).jwks.keys[0] as JWK;
    const key = await importJWK(jwk, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: 'files', scope: 'links:read links:write', ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid, ...header })
      .setIssuer(String(claims.iss ?? gp.issuer))
      .setAudience(String(claims.aud ?? `${gp.issuer}/api`))
      .setIssuedAt(now - 60)
      .setExpirationTime(Number(claims.exp ?? now + 60))
      .sign(key);
  }

  it('accepts a client_credentials token for <ISSUER>/api, and refuses everything else with 401 and a reason', async () => {
    const good = await managementToken(gp.issuer, filesClient, 'links:read');
    expect((await new ManagementApi(gp.issuer, good).get('/links')).status).to.equal(200);

    const cases: [string | undefined, RegExp][] = [
      [undefined, /a bearer access token is required/],
      [await signedToken({ aud: 'https://elsewhere.example/api' }), /not for this API/],
      [await signedToken({ iss: 'https://evil.example' }), /not issued by this provider/],
      [await signedToken({ exp: Math.floor(Date.now() / 1000) - 120 }), /has expired/],
      [await signedToken({}, { typ: 'JWT' }), /typ/],
      [`${good.slice(0, -4)}AAAA`, /invalid/],
      ['not-a-jwt', /invalid/],
    ];
    for (const [token, reason] of cases) {
      const response = await fetch(`${gp.issuer}/api/v1/links`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(response.status, String(reason)).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.match(/^Bearer realm="guestpass"/);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).to.equal('invalid_token');
      expect(body.error_description).to.match(reason);
    }
  });

  it('answers 403 insufficient_scope when the token lacks the route\'s scope', async () => {
    const readOnly = new ManagementApi(gp.issuer, await managementToken(gp.issuer, filesClient, 'links:read'));
    const response = await readOnly.post('/links', { resource: 'r', recipients: ['a@x.org'] });
    expect(response.status).to.equal(403);
    expect(response.body).to.deep.equal({ error: 'insufficient_scope', error_description: 'this needs the links:write scope' });
    expect(response.headers.get('www-authenticate')).to.contain('error="insufficient_scope"');
  });

  it('gives a client only the management scopes its own metadata lists', async () => {
    let refused: unknown;
    await managementToken(gp.issuer, filesClient, 'links:read admin').catch((error: unknown) => (refused = error));
    expect(String((refused as { error?: string })?.error ?? refused)).to.match(/invalid_scope/);
  });

  it('refuses a user access token (it is not for the API) and an API token asked for outside client_credentials', async () => {
    const api = `${gp.issuer}/api`;
    const pending = await gp.rp.authorizationUrl({ resource: api, scope: 'openid' });
    const page = await gp.browser().get(pending.url);
    const error = new URL(page.leftTo!).searchParams;
    expect(error.get('error')).to.equal('invalid_target');
  });
});

describe('links and deleted people', () => {
  it('refuses to share with an address whose person was deleted, until they are invited again', async () => {
    const smtp = await new SmtpCapture().start();
    const gp = await startGuestpass({ store: 'memory', smtp, config: { clients: [filesClient, adminClient] } });
    try {
      const files = await ManagementApi.as(gp.issuer, filesClient, 'links:write');
      const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:write');
      const invited = await admin.post<{ user: { id: string } }>('/invitations', { email: 'gone@example.org' });
      expect((await admin.delete(`/users/${invited.body.user.id}`)).status).to.equal(204);
      const refused = await files.post('/links', { resource: 'r', recipients: ['gone@example.org'] });
      expect(refused.status).to.equal(400);
      expect(String(refused.body.error_description)).to.contain('gone@example.org (this person was deleted from the directory; invite them again to share with them)');
      await admin.post('/invitations', { email: 'gone@example.org' });
      expect((await files.post('/links', { resource: 'r', recipients: ['gone@example.org'] })).status).to.equal(201);
    } finally {
      await gp.close();
      await smtp.stop();
    }
  });
});
