/**
 * RFC 7591 registration and RFC 7592 management through oidc-provider's own endpoints, against
 * Redis: only with an initial access token an administrator issued, within its policy, and what
 * a forged, expired, used, raced or widening request gets.
 */
import { expect } from 'chai';

import { adminClient, filesClient, openSignIn, rpClient, submitEmail, useGuestpass } from '../support/guestpass.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import type { ManagementApi } from '../support/management.ts';
import { clientsAdmin, clientsApi, initialAccessToken, registration } from './support.ts';

describe('dynamic client registration (RFC 7591/7592)', () => {
  const gp = useGuestpass({ store: 'redis', config: { clients: [rpClient, filesClient, adminClient, clientsAdmin] } });
  let api: ManagementApi;
  let endpoint: string;
  const metadata = { client_name: 'Fabrikam Files', redirect_uris: ['http://fabrikam.test/callback'], grant_types: ['authorization_code'] };

  before(async () => {
    api = await clientsApi(gp.issuer);
    const discovery = (await (await fetch(`${gp.issuer}/.well-known/openid-configuration`)).json()) as { registration_endpoint?: string };
    endpoint = discovery.registration_endpoint!;
  });

  it('announces the registration endpoint in discovery', () => {
    expect(endpoint).to.equal(`${gp.issuer}/reg`);
  });

  it('refuses anonymous and forged registrations with 401, and registers nothing', async () => {
    const before = await api.get<{ items: unknown[] }>('/clients?limit=100');
    for (const token of [undefined, 'forged-initial-access-token', `${await initialAccessToken(api)}x`]) {
      const answer = await registration(endpoint, 'POST', token, metadata);
      expect(answer.status, String(token)).to.equal(401);
      expect(answer.body.error).to.equal('invalid_token');
    }
    expect((await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items).to.have.length(before.body.items.length);
  });

  it('registers with an initial access token, then the client reads, updates and deletes itself', async () => {
    const token = await initialAccessToken(api);
    const created = await registration(endpoint, 'POST', token, metadata);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { client_id: clientId, client_secret: secret, registration_access_token: rat, registration_client_uri: uri } = created.body as Record<string, string>;
    expect(secret).to.be.a('string').with.length.above(30);
    expect(uri).to.equal(`${gp.issuer}/reg/${clientId}`);

    const read = await registration(uri!, 'GET', rat);
    expect(read.status).to.equal(200);
    expect(read.body).to.include({ client_id: clientId, client_name: 'Fabrikam Files' });

    const updated = await registration(uri!, 'PUT', rat, { ...metadata, client_id: clientId, client_name: 'Fabrikam Drive', redirect_uris: ['http://fabrikam.test/cb2'] });
    expect(updated.status, JSON.stringify(updated.body)).to.equal(200);
    expect(updated.body).to.include({ client_name: 'Fabrikam Drive' });
    const nextRat = updated.body.registration_access_token as string;
    expect(nextRat, 'the registration access token rotates on update').to.not.equal(rat);
    expect((await registration(uri!, 'GET', rat)).status, 'the previous registration access token').to.equal(401);

    const shown = await api.get(`/clients/${clientId}`);
    expect(shown.body).to.include({ client_name: 'Fabrikam Drive', readOnly: false });
    expect(shown.body).to.not.have.property('client_secret');

    expect((await registration(uri!, 'DELETE', nextRat)).status).to.equal(204);
    expect((await api.get(`/clients/${clientId}`)).status).to.equal(404);
    expect((await registration(uri!, 'GET', nextRat)).status).to.equal(401);

    const operations = (await gp.store.listAudit({}, { limit: 1000 })).items.filter((event) => event.detail.clientId === clientId).map((event) => event.operation);
    expect(operations).to.include.members(['ClientRegistered', 'ClientUpdated', 'ClientDeleted']);
  });

  it('refuses an expired initial access token with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    await gp.store.upsertModel('InitialAccessToken', 'expired-iat-for-tests', { jti: 'expired-iat-for-tests', kind: 'InitialAccessToken', iat: now - 120, exp: now - 60, policies: ['guestpass', 'grant:authorization_code'] }, 3600);
    const answer = await registration(endpoint, 'POST', 'expired-iat-for-tests', metadata);
    expect(answer.status).to.equal(401);
    // The same token, not yet expired, registers: it is the expiry that was refused.
    await gp.store.upsertModel('InitialAccessToken', 'live-iat-for-tests', { jti: 'live-iat-for-tests', kind: 'InitialAccessToken', iat: now - 120, exp: now + 60, policies: ['guestpass', 'grant:authorization_code'] }, 3600);
    expect((await registration(endpoint, 'POST', 'live-iat-for-tests', metadata)).status).to.equal(201);
  });

  it('lets a single-use token register exactly one client, even when two registrations race', async () => {
    const token = await initialAccessToken(api, { singleUse: true });
    // A refused request does not use the token up.
    expect((await registration(endpoint, 'POST', token, { ...metadata, redirect_uris: ['not a uri'] })).status).to.equal(400);
    const raced = await Promise.all([registration(endpoint, 'POST', token, metadata), registration(endpoint, 'POST', token, metadata)]);
    expect(raced.map((answer) => answer.status).sort()).to.deep.equal([201, 401]);
    expect((await registration(endpoint, 'POST', token, metadata)).status).to.equal(401);
  });

  it('keeps a client within its policy: no grant type, scope or open sign-in beyond it, at registration or on update', async () => {
    const token = await initialAccessToken(api, { policy: { grantTypes: ['authorization_code'], scopes: ['links:read'] } });
    const widened = await registration(endpoint, 'POST', token, { ...metadata, grant_types: ['authorization_code', 'client_credentials'] });
    expect(widened.status).to.equal(400);
    expect(widened.body.error).to.equal('invalid_client_metadata');
    expect(widened.body.error_description).to.match(/grant_types: client_credentials/);

    const scoped = await registration(endpoint, 'POST', token, { ...metadata, scope: 'openid email links:write' });
    expect(scoped.status).to.equal(400);
    expect(scoped.body.error_description).to.match(/scope: links:write/);

    const open = await registration(endpoint, 'POST', token, { ...metadata, guestpass_open_sign_in: true });
    expect(open.status).to.equal(400);
    expect(open.body.error_description).to.match(/guestpass_open_sign_in/);

    const created = await registration(endpoint, 'POST', token, { ...metadata, scope: 'openid email links:read' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const { client_id: clientId, registration_access_token: rat, registration_client_uri: uri } = created.body as Record<string, string>;
    for (const change of [{ grant_types: ['authorization_code', 'client_credentials'] }, { scope: 'openid links:read admin' }, { guestpass_open_sign_in: true }]) {
      const answer = await registration(uri!, 'PUT', rat, { ...metadata, client_id: clientId, ...change });
      expect(answer.status, JSON.stringify(change)).to.equal(400);
      expect(answer.body.error).to.equal('invalid_client_metadata');
    }
    expect((await api.get(`/clients/${clientId}`)).body).to.deep.include({ grant_types: ['authorization_code'], scope: 'openid email links:read' });
  });

  it('answers bad metadata with 400 naming the field', async () => {
    const token = await initialAccessToken(api);
    const badUri = await registration(endpoint, 'POST', token, { ...metadata, redirect_uris: ['not a uri'] });
    expect(badUri.status).to.equal(400);
    expect(badUri.body.error).to.match(/^invalid_(client_metadata|redirect_uri)$/);
    expect(badUri.body.error_description).to.match(/redirect_uris/);
    const badName = await registration(endpoint, 'POST', token, { ...metadata, client_name: 42 });
    expect(badName.status).to.equal(400);
    expect(badName.body.error_description).to.match(/client_name/);
  });

  it('answers an oversized or malformed registration with a 4xx, registers nothing and keeps a single-use token', async () => {
    const token = await initialAccessToken(api, { singleUse: true });
    const before = (await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length;
    const send = (body: string) => fetch(endpoint, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const oversized = await send(JSON.stringify({ ...metadata, client_name: 'x'.repeat(2_000_000) }));
    expect(oversized.status).to.be.within(400, 499);
    const malformed = await send('{"redirect_uris": [');
    expect(malformed.status).to.be.within(400, 499);
    expect((await api.get<{ items: unknown[] }>('/clients?limit=100')).body.items.length).to.equal(before);
    expect((await registration(endpoint, 'POST', token, metadata)).status).to.equal(201);
  });

  it('keeps secrets and tokens out of the audit trail', async () => {
    const token = await initialAccessToken(api);
    const created = await registration(endpoint, 'POST', token, metadata);
    const trail = JSON.stringify((await gp.store.listAudit({}, { limit: 1000 })).items);
    for (const secret of [token, created.body.client_secret, created.body.registration_access_token] as string[]) {
      expect(trail).to.not.include(secret);
    }
  });

  it('gives a registered client no open sign-in unless its policy allowed it: a stranger is sent no code', async () => {
    const redirectUri = 'http://closed.test/callback';
    const created = await registration(endpoint, 'POST', await initialAccessToken(api), { redirect_uris: [redirectUri] });
    const { client_id: clientId, client_secret: secret } = created.body as Record<string, string>;
    const rp = await TestRelyingParty.discover(gp.issuer, clientId!, secret!, redirectUri);
    const journey = await openSignIn({ rp, browser: () => gp.browser() });
    await submitEmail(journey, 'stranger@example.org');
    await gp.server.outbox.settled();
    const withheld = (await gp.store.listAudit({ operation: 'RecipientNotOnLink' }, { limit: 1000 })).items.filter((event) => event.detail.email === 'stranger@example.org');
    expect(withheld, 'the code was withheld').to.have.length(1);
    expect(gp.smtp.mailsTo('stranger@example.org')).to.have.length(0);
  });
});
