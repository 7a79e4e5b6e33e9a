/**
 * The audit trail and the external-sharing report through the API: filters, pages, NDJSON that
 * streams, retention, and who may read what.
 */
import { expect } from 'chai';

import type { AuditEvent, Store } from '../../adapters/store.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, startGuestpass, useGuestpass, submitCode, submitEmail } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom } from '../support/smtp.ts';

const photosClient = { ...filesClient, client_id: 'photos', client_secret: 'photos-secret-for-tests-only', redirect_uris: ['http://photos.test/callback'], scope: 'openid email sharing links:read links:write audit:read' };
const filesWithAudit = { ...filesClient, scope: `${filesClient.scope} audit:read` };

describe('the audit trail and the sharing report', () => {
  let files: ManagementApi;
  let photos: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({
      store: 'redis',
      clock,
      config: { clients: [rpClient, filesWithAudit, photosClient, adminClient], organization: { name: 'Contoso', domains: ['contoso.com'] } },
    });
  before(async () => {
    files = await ManagementApi.as(gp.issuer, filesWithAudit, 'links:read links:write audit:read');
    photos = await ManagementApi.as(gp.issuer, photosClient, 'links:read links:write audit:read');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'links:read audit:read admin');
  });

  type AuditPage = { items: AuditEvent[]; nextCursor: string | null };

  it('filters by operation, sharing id, email and time, and pages with a cursor', async () => {
    const start = new Date(clock.now()).toISOString();
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/a', recipients: ['f1@example.org', 'f2@example.org', 'f3@example.org'] });
    clock.advanceSeconds(10);
    const middle = new Date(clock.now()).toISOString();
    await files.post(`/links/${link.id}/recipients`, { emails: ['f4@example.org'] });

    const bySharingId = await files.get<AuditPage>(`/audit?sharingId=${link.id}`);
    expect(bySharingId.body.items.map((event) => event.operation)).to.deep.equal(['SecureLinkCreated', 'AddedToSecureLink', 'AddedToSecureLink', 'AddedToSecureLink', 'AddedToSecureLink']);
    const byEmail = await files.get<AuditPage>(`/audit?email=F2@example.org&sharingId=${link.id}`);
    expect(byEmail.body.items).to.have.length(1);
    expect(byEmail.body.items[0]).to.include({ operation: 'AddedToSecureLink', sharingId: link.id, result: 'success' });
    expect(byEmail.body.items[0]!.actor).to.deep.equal({ type: 'client', id: 'files' });
    expect(byEmail.body.items[0]).to.have.keys('id', 'time', 'operation', 'actor', 'sharingId', 'detail', 'ip', 'userAgent', 'result');
    const byOperation = await files.get<AuditPage>(`/audit?operation=SecureLinkCreated&sharingId=${link.id}`);
    expect(byOperation.body.items).to.have.length(1);
    const later = await files.get<AuditPage>(`/audit?sharingId=${link.id}&since=${encodeURIComponent(middle)}`);
    expect(later.body.items.map((event) => event.detail.email)).to.deep.equal(['f4@example.org']);
    const earlier = await files.get<AuditPage>(`/audit?sharingId=${link.id}&since=${encodeURIComponent(start)}&until=${encodeURIComponent(middle)}`);
    expect(earlier.body.items).to.have.length(4);

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = (await files.get<AuditPage>(`/audit?sharingId=${link.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      pages.push(page.items.map((event) => event.operation));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.length)).to.deep.equal([2, 2, 1]);

    for (const [query, reason] of [
      ['operation=Everything', /operation/],
      ['since=yesterday', /since/],
      [`since=${encodeURIComponent(middle)}&until=${encodeURIComponent(start)}`, /since must not be after until/],
      ['cursor=!!', /cursor/],
    ] as const) {
      const response = await files.get(`/audit?${query}`);
      expect(response.status, query).to.equal(400);
      expect(String(response.body.error_description)).to.match(reason);
    }
  });

  it('shows a client only the events about itself, and an admin everything; it needs audit:read', async () => {
    const { body: mine } = await files.post<LinkBody>('/links', { resource: 'files/own', recipients: ['own@example.org'] });
    const { body: theirs } = await photos.post<LinkBody>('/links', { resource: 'photos/own', recipients: ['own@example.org'] });
    const seenByFiles = (await files.get<AuditPage>('/audit?email=own@example.org')).body.items;
    expect(seenByFiles.map((event) => event.sharingId)).to.deep.equal([mine.id]);
    expect((await files.get<AuditPage>(`/audit?sharingId=${theirs.id}`)).body.items).to.deep.equal([]);
    const seenByAdmin = (await admin.get<AuditPage>('/audit?email=own@example.org')).body.items;
    expect(seenByAdmin.map((event) => event.sharingId)).to.deep.equal([mine.id, theirs.id]);
    const noAudit = await ManagementApi.as(gp.issuer, adminClient, 'links:read');
    expect((await noAudit.get('/audit')).status).to.equal(403);
  });

  it('records the sign-in events of a link under its sharing id, without codes', async () => {
    const { body: link } = await files.post<LinkBody>('/links', { resource: 'files/signin', recipients: ['audited@example.org'] });
    const rp = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    const journey = await openSignIn({ rp, browser: () => gp.browser() }, { sharing_id: link.id });
    await submitEmail(journey, 'audited@example.org');
    const code = codeFrom(await gp.smtp.waitForMail('audited@example.org'));
    await submitCode(journey, '000000' === code ? '111111' : '000000');
    await submitCode(journey, code);
    const events = (await files.get<AuditPage>(`/audit?sharingId=${link.id}`)).body.items;
    expect(events.map((event) => event.operation)).to.deep.equal(['SecureLinkCreated', 'AddedToSecureLink', 'VerificationCodeSent', 'VerificationCodeRejected', 'VerificationSucceeded', 'SignedIn']);
    expect(JSON.stringify(events)).to.not.contain(code);
  });

  it('exports 100,000 events as NDJSON, reading the store a page at a time', async () => {
    const time = new Date(clock.now()).toISOString();
    for (let batch = 0; batch < 100; batch += 1) {
      await gp.store.appendAudit(
        Array.from({ length: 1000 }, (_, index) => ({
          time,
          operation: 'RecipientNotOnLink' as const,
          actor: { type: 'anonymous' as const, id: 'bulk' },
          sharingId: 'bulk-export-link-00000000',
          detail: { email: `bulk-${batch * 1000 + index}@example.org`, clientId: 'files' },
          result: 'failure' as const,
        })),
      );
    }
    const pages: number[] = [];
    const store = gp.store as Store;
    const original = store.listAudit.bind(store);
    store.listAudit = async (query, page) => {
      pages.push(page.limit);
      return original(query, page);
    };
    try {
      const response = await fetch(`${gp.issuer}/api/v1/audit?sharingId=bulk-export-link-00000000`, { headers: { authorization: `Bearer ${admin.token}`, accept: 'application/x-ndjson' } });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.contain('application/x-ndjson');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let pagesAtFirstChunk: number | undefined;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pagesAtFirstChunk ??= pages.length;
        text += decoder.decode(value, { stream: true });
      }
      const lines = text.trimEnd().split('\n');
      expect(lines).to.have.length(100_000);
      expect(JSON.parse(lines[0]!).detail.email).to.equal('bulk-0@example.org');
      expect(JSON.parse(lines[99_999]!).detail.email).to.equal('bulk-99999@example.org');
      expect(Math.max(...pages), 'each read is one page').to.be.at.most(500);
      expect(pages.length).to.be.at.least(200);
      expect(pagesAtFirstChunk, 'lines go out before the whole trail is read').to.be.below(50);
    } finally {
      store.listAudit = original;
    }
  });

  it('reports every live link with its external recipients and when each was added, verified and last seen', async () => {
    const reporting = await startGuestpass({ store: 'memory', smtp: gp.smtp, clock, config: { clients: [rpClient, filesWithAudit, adminClient], organization: { name: 'Contoso', domains: ['contoso.com'] } } });
    try {
      const api = await ManagementApi.as(reporting.issuer, filesWithAudit, 'links:read links:write audit:read');
      const mixed = (await api.post<LinkBody>('/links', { resource: 'files/mixed', recipients: ['ext@example.org', 'colleague@contoso.com'] })).body;
      await api.post<LinkBody>('/links', { resource: 'files/internal', recipients: ['colleague@contoso.com'] });
      await api.post<LinkBody>('/links', { resource: 'files/expiring', recipients: ['old@example.org'], expiresAt: new Date(clock.now() + 60_000).toISOString() });
      const rp = await TestRelyingParty.discover(reporting.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
      const journey = await openSignIn({ rp, browser: () => reporting.browser() }, { sharing_id: mixed.id });
      await submitEmail(journey, 'ext@example.org');
      await submitCode(journey, codeFrom(await gp.smtp.waitForMail('ext@example.org', { nth: gp.smtp.mailsTo('ext@example.org').length || 1 })));
      clock.advanceSeconds(120);

      const report = await api.get<{ items: LinkBody[]; nextCursor: string | null }>('/reports/external-sharing');
      expect(report.status).to.equal(200);
      expect(report.body.nextCursor).to.equal(null);
      expect(report.body.items.map((item) => item.resource)).to.deep.equal(['files/mixed']);
      const [recipient] = report.body.items[0]!.recipients;
      expect(report.body.items[0]!.recipients).to.have.length(1);
      expect(recipient).to.include({ email: 'ext@example.org', userType: 'adhoc' });
      expect(recipient!.addedAt).to.be.a('string');
      expect(recipient!.verifiedAt).to.be.a('string');
      expect(recipient!.lastAccessAt).to.be.a('string');

      const ndjson = await api.get('/reports/external-sharing', { accept: 'application/x-ndjson' });
      expect(ndjson.headers.get('content-type')).to.contain('application/x-ndjson');
      const text = typeof ndjson.body === 'string' ? ndjson.body : JSON.stringify(ndjson.body);
      expect(text.trim().split('\n').map((line) => JSON.parse(line).resource)).to.deep.equal(['files/mixed']);
    } finally {
      await reporting.close();
    }
  });

  it('writes the sharing report as CSV for Accept: text/csv, a row per recipient, formula-like cells as text', async () => {
    const reporting = await startGuestpass({ store: 'memory', smtp: gp.smtp, clock, config: { clients: [rpClient, filesWithAudit, adminClient], organization: { name: 'Contoso', domains: ['contoso.com'] } } });
    try {
      const api = await ManagementApi.as(reporting.issuer, filesWithAudit, 'links:read links:write audit:read');
      const link = (await api.post<LinkBody>('/links', { resource: '=HYPERLINK("http://evil.test")', recipients: ['ext@example.org', 'two@example.net', 'colleague@contoso.com'] })).body;

      const csv = await api.get('/reports/external-sharing', { accept: 'text/csv' });
      expect(csv.status).to.equal(200);
      expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).to.contain('guestpass-external-sharing.csv');
      const rows = String(csv.body).trimEnd().split('\r\n');
      expect(rows[0]).to.equal('link_id,resource,client_id,expires_at,email,user_type,added_at,verified_at,last_access_at');
      expect(rows.slice(1).map((row) => row.split(',').slice(4, 6).join(' '))).to.deep.equal(['ext@example.org adhoc', 'two@example.net adhoc']);
      // The sharing id may itself start with "-": defused like any other cell.
      expect(rows[1]).to.contain(`${link.id},"'=HYPERLINK(""http://evil.test"")",files,`);

      // Anything else still gets JSON: CSV only when a client names it.
      expect((await api.get('/reports/external-sharing', { accept: '*/*' })).headers.get('content-type')).to.contain('application/json');
    } finally {
      await reporting.close();
    }
  });

  it('drops events older than audit.retentionDays', async () => {
    const short = await startGuestpass({ store: 'redis', smtp: gp.smtp, clock, config: { clients: [filesWithAudit], audit: { retentionDays: 1 } } });
    try {
      const api = await ManagementApi.as(short.issuer, filesWithAudit, 'links:write audit:read');
      await api.post('/links', { resource: 'files/old', recipients: ['old@example.org'] });
      expect((await short.store.listAudit({}, { limit: 10 })).items).to.have.length(2);
      clock.advanceSeconds(2 * 24 * 60 * 60);
      await short.server.trimAudit();
      expect((await short.store.listAudit({}, { limit: 10 })).items).to.deep.equal([]);
    } finally {
      await short.close();
    }
  });
});
