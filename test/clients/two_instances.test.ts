/**
 * Clients live in the store: two guestpass instances of one deployment (one issuer, one Redis
 * key prefix, each on its own port as behind a load balancer). A relying party registers through
 * A and signs a recipient in through B at once, with no restart; deleted through B, it is refused
 * by A.
 */
import { expect } from 'chai';
import * as client from 'openid-client';

import { Browser } from '../support/browser.ts';
import { adminClient, deleteKeys, rpClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, managementToken } from '../support/management.ts';
import { uniqueKeyPrefix } from '../support/redis.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { clientsAdmin, initialAccessToken, registration } from './support.ts';

/** An unmodified openid-client RP whose requests all go to one instance (`origin`) of the deployment at `issuer`. */
async function relyingPartyThrough(origin: string, issuer: string, clientId: string, clientSecret: string, redirectUri: string): Promise<TestRelyingParty> {
  const metadata = (await (await fetch(`${origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const routed = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, key !== 'issuer' && typeof value === 'string' && value.startsWith(issuer) ? origin + value.slice(issuer.length) : value]));
  const config = new client.Configuration(routed as client.ServerMetadata, clientId, clientSecret);
  client.allowInsecureRequests(config);
  return new TestRelyingParty(config, redirectUri);
}

describe('clients on two instances sharing one Redis', () => {
  const keyPrefix = uniqueKeyPrefix('clients2');
  let smtp: SmtpCapture;
  let a: TestGuestpass;
  let b: TestGuestpass;
  let originB: string;

  before(async () => {
    smtp = await new SmtpCapture().start();
    const clients = [rpClient, adminClient, clientsAdmin];
    a = await startGuestpass({ store: 'redis', smtp, keyPrefix, config: { clients } });
    b = await startGuestpass({ store: 'redis', smtp, keyPrefix, config: { issuer: a.issuer, clients } });
    originB = `http://127.0.0.1:${b.config.port}`;
  });

  after(async () => {
    await b?.close();
    await a?.close();
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });

  it('registers through A, signs a recipient in through B at once; deleted through B, refused by A', async () => {
    const apiA = await ManagementApi.as(a.issuer, clientsAdmin, 'clients:read clients:write');
    const token = await initialAccessToken(apiA, { singleUse: true, policy: { openSignIn: true } });
    const redirectUri = 'http://northwind.test/callback';
    const registered = await registration(`${a.issuer}/reg`, 'POST', token, { client_name: 'Northwind Files', redirect_uris: [redirectUri], grant_types: ['authorization_code'], scope: 'openid email profile sharing', guestpass_open_sign_in: true });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    const { client_id: clientId, client_secret: secret } = registered.body as Record<string, string>;

    const rp = await relyingPartyThrough(originB, a.issuer, clientId!, secret!, redirectUri);
    // B serves the authorization request, the pages, the code and the token request; oidc-provider
    // sends the browser back to the issuer's own URL to resume (the load balancer's, here A's).
    const { claims } = await signIn({ rp, browser: (headers) => new Browser(originB, headers).alsoFollow(a.issuer) }, smtp, 'ada@example.org');
    expect(claims).to.include({ aud: clientId, email: 'ada@example.org', iss: a.issuer });

    const apiB = new ManagementApi(originB, await managementToken(a.issuer, clientsAdmin, 'clients:write'));
    expect((await apiB.delete(`/clients/${clientId}`)).status).to.equal(204);

    const rpA = await relyingPartyThrough(a.issuer, a.issuer, clientId!, secret!, redirectUri);
    const pending = await rpA.authorizationUrl();
    const page = await new Browser(a.issuer).get(pending.url);
    expect(page.status, 'A no longer knows the client').to.equal(400);
    expect(page.body).to.match(/invalid_client|client is invalid|unknown client/i);
    expect((await apiA.get(`/clients/${clientId}`)).status).to.equal(404);
  });
});
