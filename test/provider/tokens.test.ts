/**
 * The OpenID Provider as a relying party sees it: discovery, PKCE, exact redirect URIs, the
 * authorization code used once, refresh rotation, revocation, introspection, userinfo, logout.
 */
import { expect } from 'chai';
import * as client from 'openid-client';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { openSignIn, rpClient, signIn, useGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { codeFrom } from '../support/smtp.ts';

const basic = `Basic ${Buffer.from(`${rpClient.client_id}:${rpClient.client_secret}`).toString('base64')}`;

async function tokenRequest(gp: TestGuestpass, body: Record<string, string>): Promise<Response> {
  return fetch(`${gp.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
}

describe('the OpenID Provider (redis store)', () => {
  const clock = new ManualClock();

  const gp = useGuestpass({ store: 'redis', clock });
  afterEach(() => clock.advanceSeconds(61));

  it('publishes discovery with PKCE S256 only, the sharing scope and its claims', async () => {
    const discovery = (await (await fetch(`${gp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.issuer).to.equal(gp.issuer);
    expect(discovery.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(discovery.response_types_supported).to.deep.equal(['code']);
    expect(discovery.scopes_supported).to.include.members(['openid', 'email', 'profile', 'sharing', 'offline_access']);
    expect(discovery.claims_supported).to.include.members(['sub', 'email', 'email_verified', 'name', 'user_type', 'sharing_id', 'groups', 'idp', 'amr']);
    for (const endpoint of ['userinfo_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint', 'jwks_uri']) {
      expect(discovery[endpoint], endpoint).to.be.a('string');
    }
    const jwks = (await (await fetch(String(discovery.jwks_uri))).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).to.have.length.greaterThan(0);
    for (const key of jwks.keys) expect(key).to.not.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
  });

  it('refuses an authorization request without PKCE, and one with the plain method', async () => {
    const pending = await gp.rp.authorizationUrl();
    const withoutPkce = new URL(pending.url);
    withoutPkce.searchParams.delete('code_challenge');
    withoutPkce.searchParams.delete('code_challenge_method');
    const refused = await gp.browser().get(withoutPkce.href);
    const error = new URL(refused.leftTo!);
    expect(error.origin + error.pathname).to.equal('http://rp.test/callback');
    expect(error.searchParams.get('error')).to.equal('invalid_request');
    expect(error.searchParams.get('error_description')).to.match(/PKCE/i);

    const plain = new URL(pending.url);
    plain.searchParams.set('code_challenge_method', 'plain');
    plain.searchParams.set('code_challenge', 'a'.repeat(43));
    const plainRefused = new URL((await gp.browser().get(plain.href)).leftTo!);
    expect(plainRefused.searchParams.get('error')).to.equal('invalid_request');
  });

  it('refuses a redirect URI that is not registered exactly, without redirecting to it', async () => {
    for (const redirectUri of ['http://rp.test/callback/', 'http://rp.test/callback?x=1', 'http://rp.test/other', 'http://evil.test/callback']) {
      const pending = await gp.rp.authorizationUrl({ redirect_uri: redirectUri });
      const page = await gp.browser().get(pending.url);
      expect(page.leftTo, redirectUri).to.equal(undefined);
      expect(page.status, redirectUri).to.equal(400);
      expect(visibleText(page.body)).to.contain('invalid_redirect_uri');
    }
  });

  it('refuses a malformed sharing_id', async () => {
    const pending = await gp.rp.authorizationUrl({ sharing_id: 'not a sharing id' });
    const error = new URL((await gp.browser().get(pending.url)).leftTo!);
    expect(error.searchParams.get('error')).to.equal('invalid_request');
    expect(error.searchParams.get('error_description')).to.equal('sharing_id is malformed');
  });

  it('answers one of two parallel uses of an authorization code, and revokes the grant', async () => {
    const journey = await openSignIn(gp);
    await submitEmail(journey, 'code-twice@example.org');
    const done = await submitCode(journey, codeFrom(await gp.smtp.waitForMail('code-twice@example.org')));
    const code = new URL(done.leftTo!).searchParams.get('code')!;
    const body = { grant_type: 'authorization_code', code, redirect_uri: rpClient.redirect_uris[0]!, code_verifier: journey.pending.codeVerifier };
    const responses = await Promise.all([tokenRequest(gp, body), tokenRequest(gp, body)]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).to.deep.equal([200, 400]);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as Record<string, string>[];
    const winner = bodies.find((entry) => entry.access_token)!;
    expect(bodies.find((entry) => entry.error)).to.include({ error: 'invalid_grant' });

    const userinfo = await fetch(`${gp.issuer}/me`, { headers: { authorization: `Bearer ${winner.access_token}` } });
    expect(userinfo.status).to.equal(401);
    const again = await tokenRequest(gp, body);
    expect(again.status).to.equal(400);
  });

  it('rotates refresh tokens, and a reused refresh token revokes the grant', async () => {
    const { tokens } = await signIn(gp, gp.smtp, 'refresh@example.org', { scope: 'openid email offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).to.be.a('string');
    const refreshed = await client.refreshTokenGrant(gp.rp.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).to.be.a('string').and.not.equal(tokens.refresh_token);
    expect(refreshed.claims()?.email).to.equal('refresh@example.org');

    const replay = await tokenRequest(gp, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(replay.status).to.equal(400);
    const after = await tokenRequest(gp, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! });
    expect(after.status, 'the rotated token went with the grant').to.equal(400);
  });

  it('introspects and revokes tokens', async () => {
    const { tokens } = await signIn(gp, gp.smtp, 'revoke@example.org', { scope: 'openid email offline_access', prompt: 'consent' });
    const active = await client.tokenIntrospection(gp.rp.config, tokens.access_token);
    expect(active).to.include({ active: true, client_id: 'rp' });
    await client.tokenRevocation(gp.rp.config, tokens.refresh_token!);
    expect(await client.tokenIntrospection(gp.rp.config, tokens.refresh_token!)).to.include({ active: false });
    await client.tokenRevocation(gp.rp.config, tokens.access_token);
    expect(await client.tokenIntrospection(gp.rp.config, tokens.access_token)).to.include({ active: false });
  });

  it('signs a returning browser in without a new code, and RP-initiated logout ends that', async () => {
    const first = await signIn(gp, gp.smtp, 'logout@example.org');
    const browser = first.journey.browser;
    expect(browser.cookie('gp_session')).to.exist;

    const again = await gp.rp.authorizationUrl();
    const silent = await browser.get(again.url);
    expect(silent.leftTo, 'a live session needs no code').to.match(/^http:\/\/rp\.test\/callback\?code=/);
    expect((await gp.rp.redeem(again, silent.leftTo!)).claims()?.sub).to.equal(first.claims.sub);

    const logoutUrl = client.buildEndSessionUrl(gp.rp.config, { id_token_hint: first.tokens.id_token!, post_logout_redirect_uri: 'http://rp.test/signed-out' });
    const confirm = await browser.get(logoutUrl.href);
    expect(confirm.status).to.equal(200);
    expect(visibleText(confirm.body)).to.contain('Do you want to sign out');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await browser.post(`${gp.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
    expect(done.leftTo).to.equal('http://rp.test/signed-out');
    expect(browser.cookie('gp_session')).to.equal(undefined);

    const afterLogout = await browser.get((await gp.rp.authorizationUrl()).url);
    expect(afterLogout.leftTo).to.equal(undefined);
    expect(visibleText(afterLogout.body)).to.contain('Verify your email');
  });
});
