/**
 * `POST /api/v1/links/:id/recipients/:email/access`: a resource server reports an access (a
 * download), so a recipient's last access is true in the API and the sharing report, audited as
 * `SecureLinkAccessed`. Only the owning client (or an admin); the same 404 whatever is missing;
 * reports of one person within a minute are one stamp and one event.
 */
import { expect } from 'chai';

import type { AuditEvent } from '../../adapters/store.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, rpClient, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';

const photosClient = { ...filesClient, client_id: 'photos', client_secret: 'photos-secret-for-tests-only', redirect_uris: ['http://photos.test/callback'] };
const filesWithReport = { ...filesClient, scope: `${filesClient.scope} audit:read` };

describe('reporting an access to a link', () => {
  let files: ManagementApi;
  let filesReadOnly: ManagementApi;
  let photos: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({ store: 'redis', clock, config: { clients: [rpClient, filesWithReport, photosClient, adminClient] } });
  before(async () => {
    files = await ManagementApi.as(gp.issuer, filesWithReport, 'links:read links:write audit:read');
    filesReadOnly = await ManagementApi.as(gp.issuer, filesWithReport, 'links:read');
    photos = await ManagementApi.as(gp.issuer, photosClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'links:read links:write admin');
  });
  afterEach(() => {
    clock.advanceSeconds(61);
  });

  const accessPath = (sharingId: string, email: string) => `/links/${sharingId}/recipients/${encodeURIComponent(email)}/access`;

  async function accessEvents(sharingId: string): Promise<AuditEvent[]> {
    return (await gp.store.listAudit({ sharingId, operation: 'SecureLinkAccessed' }, { limit: 100 })).items;
  }

  it('answers 204, stamps lastAccessAt, audits SecureLinkAccessed, and the sharing report shows the access', async () => {
    const link = await files.share(['Ada@Example.org', 'bob@example.org']);
    const at = clock.now();
    clock.freezeAt(at);
    try {
      const response = await files.post(accessPath(link.id, ' ADA@example.org '), undefined);
      expect(response.status).to.equal(204);
      expect(response.body).to.equal(undefined);
    } finally {
      clock.thaw();
    }

    const { body: read } = await files.get<LinkBody>(`/links/${link.id}`);
    expect(read.recipients.find((recipient) => recipient.email === 'Ada@Example.org')).to.include({ lastAccessAt: new Date(at).toISOString() });
    expect(read.recipients.find((recipient) => recipient.email === 'bob@example.org')).to.not.have.property('lastAccessAt');
    const [event] = await accessEvents(link.id);
    expect(event).to.deep.include({ actor: { type: 'client', id: 'files' }, result: 'success', time: new Date(at).toISOString() });
    expect(event!.detail).to.deep.equal({ clientId: 'files', email: 'ada@example.org', external: true, live: true });

    const report = await files.get<{ items: LinkBody[] }>('/reports/external-sharing?limit=100');
    const inReport = report.body.items.find((item) => item.id === link.id)!;
    expect(inReport.recipients.find((recipient) => recipient.email === 'Ada@Example.org')).to.include({ lastAccessAt: new Date(at).toISOString() });
  });

  it('folds reports of one person within a minute into one stamp and one event, also 20 at once, and takes the next minute\'s', async () => {
    const link = await files.share(['carla@example.org']);
    const first = clock.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => files.post(accessPath(link.id, 'carla@example.org'), undefined)));
    expect(answers.map((answer) => answer.status)).to.deep.equal(Array(20).fill(204));
    clock.advanceSeconds(30);
    expect((await files.post(accessPath(link.id, 'carla@example.org'), undefined)).status).to.equal(204);
    expect(await accessEvents(link.id)).to.have.length(1);
    const stamped = Date.parse((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients[0]!.lastAccessAt!);
    expect(stamped).to.be.within(first, first + 5_000);

    clock.advanceSeconds(31);
    expect((await files.post(accessPath(link.id, 'carla@example.org'), undefined)).status).to.equal(204);
    expect(await accessEvents(link.id)).to.have.length(2);
    expect(Date.parse((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients[0]!.lastAccessAt!)).to.be.greaterThan(stamped + 60_000);
  });

  it('answers the same 404 for another client\'s link, an address not on the link, a link that does not exist and a malformed address, and records nothing', async () => {
    const mine = await files.share(['dan@example.org']);
    const theirs = await photos.share(['dan@example.org']);
    const answers = await Promise.all([
      files.post(accessPath(theirs.id, 'dan@example.org'), undefined),
      files.post(accessPath(mine.id, 'not-on-it@example.org'), undefined),
      files.post(accessPath('x'.repeat(32), 'dan@example.org'), undefined),
      files.post(accessPath(mine.id, 'not an address'), undefined),
      files.post(accessPath(mine.id, `${'a'.repeat(300)}@example.org`), undefined),
    ]);
    for (const answer of answers) {
      expect(answer.status).to.equal(404);
      expect(answer.body).to.deep.equal({ error: 'not_found', error_description: 'no such recipient of this link' });
    }
    expect(await accessEvents(mine.id)).to.deep.equal([]);
    expect(await accessEvents(theirs.id)).to.deep.equal([]);
    expect((await photos.get<LinkBody>(`/links/${theirs.id}`)).body.recipients[0]).to.not.have.property('lastAccessAt');
    // A sharing id that cannot be one is refused before anything is read.
    expect((await files.post(accessPath('short', 'dan@example.org'), undefined)).status).to.equal(404);
  });

  it('needs a token with links:write; an admin may report for any client\'s link', async () => {
    const link = await files.share(['eve@example.org']);
    const anonymous = await fetch(`${gp.issuer}/api/v1${accessPath(link.id, 'eve@example.org')}`, { method: 'POST' });
    expect(anonymous.status).to.equal(401);
    const readOnly = await filesReadOnly.post(accessPath(link.id, 'eve@example.org'), undefined);
    expect(readOnly.status).to.equal(403);
    expect(readOnly.body).to.deep.equal({ error: 'insufficient_scope', error_description: 'this needs the links:write scope' });
    expect(await accessEvents(link.id)).to.deep.equal([]);

    expect((await admin.post(accessPath(link.id, 'eve@example.org'), undefined)).status).to.equal(204);
    const [event] = await accessEvents(link.id);
    expect(event!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
    expect(event!.detail).to.include({ clientId: 'files', email: 'eve@example.org' });
  });

  it('records an access to a link that has expired, as not live', async () => {
    const link = await files.share(['fay@example.org'], { expiresAt: new Date(clock.now() + 60 * 60 * 1000).toISOString() });
    clock.advanceSeconds(2 * 60 * 60);
    expect((await files.post(accessPath(link.id, 'fay@example.org'), undefined)).status).to.equal(204);
    expect((await accessEvents(link.id))[0]!.detail).to.include({ live: false });
  });
});
