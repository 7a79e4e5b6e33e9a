/**
 * The clients API (`/api/v1/clients`, SPEC §6) against Redis: static clients read-only, dynamic
 * ones created, changed, deleted, listed a page at a time; a rotated secret that keeps working
 * through its grace period and stops after it (an openid-client RP, the test's clock moved on).
 */
import { expect } from 'chai';
import * as client from 'openid-client';

import { ManualClock } from '../support/clock.ts';
import { checkRedirectSchemes } from '../../src/client_registration.ts';
import { adminClient, filesClient, rpClient, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi, managementToken } from '../support/management.ts';
import { clientsAdmin, clientsApi } from './support.ts';

interface ClientBody {
  client_id: string;
  client_secret?: string;
  readOnly: boolean;
  registeredAt: string | null;
  [field: string]: unknown;
}

describe('the clients API', () => {
  const clock = new ManualClock();
  const gp = useGuestpass({ store: 'redis', clock, config: { clients: [rpClient, filesClient, adminClient, clientsAdmin] } });
  let api: ManagementApi;
  const service = { client_name: 'Northwind Files', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'links:read links:write' };

  before(async () => {
    api = await clientsApi(gp.issuer);
  });

  it('lists static clients read-only, then dynamic ones, a page at a time', async () => {
    const created = await Promise.all([1, 2, 3].map((n) => api.post<ClientBody>('/clients', { ...service, client_name: `Paged ${n}` })));
    const seen: ClientBody[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: ClientBody[]; nextCursor: string | null } } = await api.get(`/clients?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).to.equal(200);
      expect(page.body.items.length).to.be.at.most(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const ids = seen.map((item) => item.client_id);
    expect(new Set(ids).size, 'each client once').to.equal(ids.length);
    expect(ids).to.include.members(['rp', 'files', ...created.map((answer) => answer.body.client_id)]);
    expect(seen.find((item) => item.client_id === 'rp')).to.include({ readOnly: true });
    expect(seen.find((item) => item.client_id === created[0]!.body.client_id)).to.include({ readOnly: false });
    for (const item of seen) expect(item, item.client_id).to.not.have.property('client_secret');
    expect((await api.get('/clients?cursor=forged')).status).to.equal(400);
  });

  it('creates a client (its secret shown once), reads, changes and deletes it, each audited', async () => {
    const created = await api.post<ClientBody>('/clients', service);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.client_id;
    expect(created.headers.get('location')).to.equal(`/api/v1/clients/${id}`);
    expect(created.body.client_secret).to.be.a('string');
    expect(created.body.registeredAt).to.be.a('string');
    // The new client works at once: a management token with its own secret.
    expect(await managementToken(gp.issuer, { client_id: id, client_secret: created.body.client_secret! }, 'links:read')).to.be.a('string');

    const read = await api.get<ClientBody>(`/clients/${id}`);
    expect(read.body).to.include({ client_id: id, client_name: 'Northwind Files', readOnly: false });
    expect(read.body).to.not.have.property('client_secret');

    const changed = await api.patch<ClientBody>(`/clients/${id}`, { client_name: 'Northwind Drive', scope: null });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
    expect(changed.body).to.include({ client_name: 'Northwind Drive' });
    expect(changed.body).to.not.have.property('scope');

    expect((await api.delete(`/clients/${id}`)).status).to.equal(204);
    expect((await api.get(`/clients/${id}`)).status).to.equal(404);
    expect((await api.delete(`/clients/${id}`)).status).to.equal(404);

    const events = (await gp.store.listAudit({}, { limit: 1000 })).items.filter((event) => event.detail.clientId === id);
    expect(events.map((event) => event.operation)).to.deep.equal(['ClientRegistered', 'ClientUpdated', 'ClientDeleted']);
    expect(JSON.stringify(events)).to.not.include(created.body.client_secret!);
  });

  it('refuses to change, delete or rotate a static client (409), and names it read-only', async () => {
    expect((await api.get<ClientBody>('/clients/files')).body).to.include({ readOnly: true, registeredAt: null });
    for (const answer of [await api.patch('/clients/files', { client_name: 'x' }), await api.delete('/clients/files'), await api.post('/clients/files/rotate-secret', {})]) {
      expect(answer.status).to.equal(409);
      expect(answer.body).to.include({ error: 'conflict' });
      expect(answer.body.error_description).to.match(/configuration file/);
    }
  });

  it('answers bad input with 400 naming the field, and a caller without the scope with 403', async () => {
    const reserved = await api.post('/clients', { ...service, client_secret: 'chosen' });
    expect(reserved.status).to.equal(400);
    expect(reserved.body.error_description).to.match(/client_secret/);
    const badUri = await api.post('/clients', { ...service, grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['javascript:alert(1)'] });
    expect(badUri.status).to.equal(400);
    expect(badUri.body.error).to.match(/^invalid_(client_metadata|redirect_uri)$/);
    expect(badUri.body.error_description).to.match(/redirect_uris/);
    const badType = await api.post('/clients', { ...service, client_name: ['not', 'a', 'string'] });
    expect(badType.status).to.equal(400);
    expect(badType.body.error_description).to.match(/client_name/);
    const badGrace = await api.post('/clients/rp/rotate-secret', { graceSeconds: -1 });
    expect(badGrace.status).to.equal(400);
    expect(badGrace.body.error_description).to.match(/graceSeconds/);
    const badIat = await api.post('/initial-access-tokens', { policy: { scopes: ['everything'] } });
    expect(badIat.status).to.equal(400);
    expect(badIat.body.error_description).to.match(/policy\.scopes/);

    const reader = await ManagementApi.as(gp.issuer, clientsAdmin, 'clients:read');
    expect((await reader.get('/clients')).status).to.equal(200);
    expect((await reader.post('/clients', service)).status).to.equal(403);
    expect((await reader.post('/initial-access-tokens', {})).status).to.equal(403);
    const linksOnly = await ManagementApi.as(gp.issuer, filesClient, 'links:read');
    expect((await linksOnly.get('/clients')).status).to.equal(403);
  });

  it('rotates a secret: the old one keeps working for the grace period, then stops; the new one works at once', async () => {
    const created = await api.post<ClientBody>('/clients', service);
    const id = created.body.client_id;
    const oldSecret = created.body.client_secret!;
    const rotated = await api.post<ClientBody & { previousSecretValidUntil: string }>(`/clients/${id}/rotate-secret`, { graceSeconds: 3600 });
    expect(rotated.status, JSON.stringify(rotated.body)).to.equal(200);
    const newSecret = rotated.body.client_secret!;
    expect(newSecret).to.be.a('string').and.not.equal(oldSecret);
    expect(Date.parse(rotated.body.previousSecretValidUntil) - clock.now()).to.be.closeTo(3600_000, 5000);

    const tokenWith = async (secret: string) => {
      const config = await client.discovery(new URL(gp.issuer), id, secret, undefined, { execute: [client.allowInsecureRequests] });
      return client.clientCredentialsGrant(config, { scope: 'links:read', resource: `${gp.issuer}/api` });
    };
    expect((await tokenWith(newSecret)).access_token).to.be.a('string');
    expect((await tokenWith(oldSecret)).access_token, 'the old secret inside the grace period').to.be.a('string');
    await tokenWith('never-this-clients-secret').then(
      () => expect.fail('a wrong secret was accepted'),
      (error: unknown) => expect((error as { error?: string }).error).to.equal('invalid_client'),
    );

    clock.advanceSeconds(3601);
    await tokenWith(oldSecret).then(
      () => expect.fail('the old secret still works after the grace period'),
      (error: unknown) => expect((error as { error?: string }).error).to.equal('invalid_client'),
    );
    expect((await tokenWith(newSecret)).access_token).to.be.a('string');

    const events = (await gp.store.listAudit({ operation: 'ClientSecretRotated' }, { limit: 1000 })).items.filter((event) => event.detail.clientId === id);
    expect(events).to.have.length(1);
    expect(JSON.stringify(events)).to.not.include(oldSecret).and.not.include(newSecret);
  });

  it('rotates without grace when asked: the old secret stops at once', async () => {
    const created = await api.post<ClientBody>('/clients', service);
    const rotated = await api.post<ClientBody>(`/clients/${created.body.client_id}/rotate-secret`, { graceSeconds: 0 });
    expect(rotated.body.previousSecretValidUntil).to.equal(null);
    await managementToken(gp.issuer, { client_id: created.body.client_id, client_secret: created.body.client_secret! }, 'links:read').then(
      () => expect.fail('the old secret still works'),
      () => {},
    );
  });
});

describe('redirect URIs of clients made at runtime', () => {
  // Both the API (Clients.#save) and registration (the policy) call this one check.
  const refusal = (issuer: string, metadata: Record<string, unknown>) => {
    try {
      checkRedirectSchemes(issuer, metadata);
      return undefined;
    } catch (error) {
      return error as { error?: string; error_description?: string };
    }
  };

  it('must be https when the issuer is, naming the field', () => {
    expect(refusal('https://id.example.test', { redirect_uris: ['http://files.example.test/callback'] })).to.include({
      error: 'invalid_redirect_uri',
      error_description: 'redirect_uris: http://files.example.test/callback must be an https URI (the issuer is https)',
    });
    expect(refusal('https://id.example.test', { redirect_uris: ['https://files.example.test/callback'], post_logout_redirect_uris: ['http://files.example.test/out'] })?.error_description).to.match(/^post_logout_redirect_uris/);
    expect(refusal('https://id.example.test', { redirect_uris: ['https://files.example.test/callback'] })).to.equal(undefined);
    expect(refusal('http://localhost:3000', { redirect_uris: ['http://files.example.test/callback'] })).to.equal(undefined);
  });
});
