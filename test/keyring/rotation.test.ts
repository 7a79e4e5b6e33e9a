/**
 * Managed keys while running (real Redis, HTTP, SMTP; openid-client as the relying party): the
 * next signing key is published before it signs, tokens signed before a rotation still verify
 * after it, two instances on one Redis switch together, the same relying party keeps signing
 * people in without a restart, and a keyring sealed with another key stops start-up.
 */
import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';

import { parseConfig } from '../../config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { createServer } from '../../src/http_server.ts';
import { createLogger } from '../../src/log.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, signIn, startGuestpass, submitCode, submitEmail, testKeys, useGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi } from '../support/management.ts';
import { testRedisUrl } from '../support/redis.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

const encryptionKey = 'test-key-encryption-key-0123456789abcdef';
// The poller is left to real time and a long interval: the tests refresh each instance when they mean to.
const managedKeys = { keys: { encryptionKey, leadTimeSeconds: 300, pollIntervalSeconds: 299 } };
const leadTimeMs = 300_000;
const tokenRetentionMs = 3600_000;

async function jwksOf(baseUrl: string): Promise<JSONWebKeySet> {
  const response = await fetch(`${baseUrl}/jwks`);
  expect(response.status).to.equal(200);
  return (await response.json()) as JSONWebKeySet;
}

const kidsOf = (jwks: JSONWebKeySet) => jwks.keys.map((key) => key.kid);

/** A JWT access token for the management API, fetched from the instance at `baseUrl`: its header names the key that signs there. */
async function accessTokenFrom(baseUrl: string, issuer: string): Promise<string> {
  const response = await fetch(`${baseUrl}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${adminClient.client_id}:${adminClient.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin', resource: `${issuer}/api` }),
  });
  expect(response.status).to.equal(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const signingKid = (jwt: string) => decodeProtectedHeader(jwt).kid;

describe('managed keys: rotation while running (redis store)', () => {
  const clock = new ManualClock();
  let smtp: SmtpCapture;
  let a: TestGuestpass;
  let b: TestGuestpass;
  let bUrl: string;

  before(async () => {
    smtp = await new SmtpCapture().start();
    a = await startGuestpass({ store: 'redis', smtp, clock, config: managedKeys, deps: { keys: undefined } });
    // A second instance of the same deployment: same issuer, same Redis prefix, a port of its own.
    b = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix: a.keyPrefix, config: { ...managedKeys, issuer: a.issuer }, deps: { keys: undefined } });
    bUrl = `http://127.0.0.1:${b.config.port}`;
  });

  after(async () => {
    await b?.close();
    await a?.close();
    await smtp?.stop();
  });

  async function refreshBoth(): Promise<void> {
    await a.server.keyring!.refresh();
    await b.server.keyring!.refresh();
  }

  it('starts both instances on one keyring: RS256, ES256 and EdDSA keys, the same JWKS, no private parts', async () => {
    const jwksA = await jwksOf(a.issuer);
    expect(jwksA.keys.map((key) => key.alg)).to.deep.equal(['RS256', 'ES256', 'EdDSA']);
    expect(await jwksOf(bUrl)).to.deep.equal(jwksA);
    for (const key of jwksA.keys) expect(key).to.not.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
    const stored = await a.store.getKeyring();
    expect(stored?.version).to.equal(1);
    // Sealed at rest: no key id, let alone a private key, is readable in the store.
    for (const kid of kidsOf(jwksA)) expect(stored!.sealed).to.not.include(kid!);
  });

  it('a code mailed under the old secret is accepted after the switch', async () => {
    // Early in the suite: the sign-in's own deadline is oidc-provider's, on the real clock.
    const journey = await openSignIn(a);
    await submitEmail(journey, 'secret-rotation@example.org');
    const mail = await smtp.waitForMail('secret-rotation@example.org');
    await a.server.keyring!.rotate();
    clock.advance(leadTimeMs + 1000);
    await refreshBoth();
    expect(a.server.keyring!.status().pending).to.equal(undefined);
    const done = await submitCode(journey, codeFrom(mail));
    expect(done.leftTo, `${done.status}`).to.be.a('string');
    const tokens = await a.rp.redeem(journey.pending, done.leftTo!);
    expect(tokens.claims()?.email).to.equal('secret-rotation@example.org');
  });

  it('publishes the next key before it signs, keeps the old one until its tokens expired, and the relying party keeps working', async () => {
    const before = await signIn(a, smtp, 'before@example.org');
    const oldKid = signingKid(before.tokens.id_token!);
    const oldKids = kidsOf(await jwksOf(a.issuer));
    expect(oldKid).to.be.oneOf(oldKids);

    const admin = await ManagementApi.as(a.issuer, adminClient, 'admin');
    const rotated = await admin.post<{ rotation: { generation: number; activatesAt: string; kids: string[] } }>('/keys/rotate', {});
    expect(rotated.status).to.equal(201);
    expect(rotated.body.rotation.generation).to.equal(a.server.keyring!.status().activeGeneration + 1);
    expect(Date.parse(rotated.body.rotation.activatesAt)).to.be.closeTo(clock.now() + leadTimeMs, 5_000);
    const newKids = rotated.body.rotation.kids;

    // Published at once, on the instance that rotated and, after its next poll, on the other; not signing yet.
    await b.server.keyring!.refresh();
    const published = await jwksOf(a.issuer);
    expect(kidsOf(published)).to.include.members([...oldKids, ...newKids]);
    expect(kidsOf(await jwksOf(bUrl))).to.deep.equal(kidsOf(published));
    const during = await signIn(a, smtp, 'during@example.org');
    expect(signingKid(during.tokens.id_token!)).to.equal(oldKid);
    expect(signingKid(await accessTokenFrom(bUrl, a.issuer))).to.be.oneOf(oldKids);

    // The lead time passes: both instances switch; a relying party that cached the JWKS above verifies the new tokens.
    clock.advance(leadTimeMs + 1000);
    await refreshBoth();
    const cached = createLocalJWKSet(published);
    const after = await signIn(a, smtp, 'after@example.org');
    const newKid = signingKid(after.tokens.id_token!);
    expect(newKid).to.be.oneOf(newKids);
    await jwtVerify(after.tokens.id_token!, cached, { issuer: a.issuer, audience: rpClient.client_id });
    expect(signingKid(await accessTokenFrom(bUrl, a.issuer))).to.be.oneOf(newKids);
    expect(signingKid(await accessTokenFrom(a.issuer, a.issuer))).to.be.oneOf(newKids);

    // The token signed before the rotation still verifies against the JWKS served now.
    await jwtVerify(before.tokens.id_token!, createLocalJWKSet(await jwksOf(a.issuer)), { issuer: a.issuer, audience: rpClient.client_id });
    // The management API (which checks its tokens against the live keys) takes tokens of either key.
    expect((await admin.get('/keys')).status).to.equal(200);

    // Once every token the old keys signed has expired, they leave the JWKS.
    clock.advance(tokenRetentionMs);
    await refreshBoth();
    expect(kidsOf(await jwksOf(a.issuer))).to.have.members(newKids);
    expect(kidsOf(await jwksOf(bUrl))).to.have.members(newKids);
  });

  it('audits KeysRotated with generation and key ids, never key material', async () => {
    const page = await a.store.listAudit({ operation: 'KeysRotated' }, { limit: 10 });
    expect(page.items).to.have.length(1);
    const [event] = page.items;
    expect(event!.actor).to.deep.equal({ type: 'client', id: adminClient.client_id });
    expect(event!.detail).to.have.all.keys('generation', 'activatesAt', 'kids');
    expect(JSON.stringify(event)).to.not.match(/"(d|p|q|k|secret|cookieKey)"/);
  });

  it('refuses a second rotation while one is pending (409), and lets one of two racing instances rotate', async () => {
    const admin = await ManagementApi.as(a.issuer, adminClient, 'admin');
    const [first, second] = await Promise.allSettled([a.server.keyring!.rotate(), b.server.keyring!.rotate()]);
    expect([first.status, second.status].sort()).to.deep.equal(['fulfilled', 'rejected']);
    const again = await admin.post<{ error: string; error_description: string }>('/keys/rotate', {});
    expect(again.status).to.equal(409);
    expect(again.body.error_description).to.match(/already pending/);
    await refreshBoth();
    expect(a.server.keyring!.status()).to.deep.equal(b.server.keyring!.status());
    expect(a.server.keyring!.status().pending?.generation).to.equal(a.server.keyring!.status().activeGeneration + 1);
  });

  it('refuses to rotate for a caller without a token (401), without the admin scope (403), or with an oversized body (413)', async () => {
    const files = await ManagementApi.as(a.issuer, filesClient, 'links:read');
    expect((await files.post('/keys/rotate', {})).status).to.equal(403);
    expect((await files.get('/keys')).status).to.equal(403);
    const anonymous = await fetch(`${a.issuer}/api/v1/keys/rotate`, { method: 'POST' });
    expect(anonymous.status).to.equal(401);
    const admin = await ManagementApi.as(a.issuer, adminClient, 'admin');
    const before = a.server.keyring!.status();
    expect((await admin.post('/keys/rotate', `"${'x'.repeat(300_000)}"`)).status).to.equal(413);
    expect(a.server.keyring!.status()).to.deep.equal(before);
  });

  it('guestpass keys status and keys rotate, as an operator runs them', async () => {
    const env = cliEnvironment({ GUESTPASS_ISSUER: a.issuer, GUESTPASS_CLIENT_ID: adminClient.client_id, GUESTPASS_CLIENT_SECRET: adminClient.client_secret });
    const pending = a.server.keyring!.status().pending!;
    const status = await runCli(['keys', 'status'], env);
    expect(status.status, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.deep.include({ pending });

    const refused = await runCli(['keys', 'rotate'], env);
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr).to.match(/already pending/);

    clock.advance(leadTimeMs + 1000);
    await refreshBoth();
    const rotated = await runCli(['keys', 'rotate'], env);
    expect(rotated.status, rotated.stderr).to.equal(0);
    const output = JSON.parse(rotated.stdout) as { rotation: { generation: number; kids: string[] } };
    expect(output.rotation.generation).to.equal(pending.generation + 1);
    expect(rotated.stdout).to.not.match(/"d"|"secret"|"cookieKey"/);
    expect(kidsOf(await jwksOf(a.issuer))).to.include.members(output.rotation.kids);
  });

  it('refuses to start, naming keys.encryptionKey, when the stored keyring was sealed with another key', async () => {
    const config = parseConfig({
      issuer: a.issuer,
      logLevel: 'silent',
      clients: [rpClient],
      smtp: { url: smtp.url },
      redis: { url: testRedisUrl(), keyPrefix: a.keyPrefix },
      keys: { encryptionKey: 'another-key-encryption-key-0123456789abcdef' },
    });
    let refused: unknown;
    try {
      const server = await createServer(config, { logger: createLogger('silent'), clock });
      await server.close();
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(ConfigError);
    expect((refused as ConfigError).problems.join('\n')).to.match(/^keys\.encryptionKey: cannot open the keyring/);
    // The ring is left as it was: the instances that have the right key go on.
    expect((await jwksOf(a.issuer)).keys).to.have.length.greaterThan(0);
    expect(a.server.keyring!.status().version).to.equal((await a.store.getKeyring())!.version);
  });
});

describe('static keys (keys given to the server)', () => {
  const gp = useGuestpass({ store: 'redis' });

  it('serves exactly the given keys, keeps no keyring, and answers 409 to the keys API', async () => {
    const given = await testKeys();
    expect(gp.server.keyring).to.equal(undefined);
    expect(kidsOf(await jwksOf(gp.issuer))).to.deep.equal(given.jwks.keys.map((key) => key.kid));
    expect(await gp.store.getKeyring()).to.equal(undefined);
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'admin');
    for (const response of [await admin.get('/keys'), await admin.post('/keys/rotate', {})]) {
      expect(response.status).to.equal(409);
      expect(response.body).to.deep.include({ error: 'conflict' });
      expect(String(response.body.error_description)).to.match(/static/);
    }
  });
});
