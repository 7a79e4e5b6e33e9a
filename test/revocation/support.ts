/**
 * What the revocation tests share: a guestpass on Redis whose file host registered a back-channel
 * logout endpoint (a real HTTP server), sign-ins to links with openid-client, and the checks a
 * relying party makes of a logout token (jose against the JWKS).
 */
import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';

import type { Browser } from '../support/browser.ts';
import { filesClient, openSignIn, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import type { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, type SmtpCapture } from '../support/smtp.ts';

/** The file host of these tests: refresh tokens too, and a back-channel logout endpoint that wants `sid`. */
export function filesWithLogout(backchannelLogoutUri: string) {
  return {
    ...filesClient,
    scope: `${filesClient.scope} offline_access`,
    backchannel_logout_uri: backchannelLogoutUri,
    backchannel_logout_session_required: true,
  };
}

/** Scope and prompt that bring a refresh token, so both kinds of token can be seen to go. */
export const withRefreshToken = { scope: 'openid email sharing offline_access', prompt: 'consent' };

export type Tokens = Awaited<ReturnType<TestRelyingParty['redeem']>>;

/** Signs a person in to a link with an emailed code, in `browser` (a fresh one by default). */
export async function signInToLink(gp: TestGuestpass, smtp: SmtpCapture, rp: TestRelyingParty, sharingId: string, email: string, browser = gp.browser()): Promise<{ tokens: Tokens; browser: Browser }> {
  const journey = await openSignIn({ rp, browser: () => browser }, { sharing_id: sharingId, ...withRefreshToken });
  const before = smtp.mailsTo(email).length;
  await submitEmail(journey, email);
  const done = await submitCode(journey, codeFrom(await smtp.waitForMail(email, { nth: before + 1 })));
  expect(done.leftTo, done.body.slice(0, 300)).to.match(/code=/);
  return { tokens: await rp.redeem(journey.pending, done.leftTo!), browser };
}

/** Opens a link in a browser that is signed in already; the tokens when no page was shown. */
export async function openSilently(rp: TestRelyingParty, sharingId: string | undefined, browser: Browser): Promise<Tokens | undefined> {
  const pending = await rp.authorizationUrl({ ...(sharingId ? { sharing_id: sharingId } : {}), ...withRefreshToken });
  const page = await browser.get(pending.url);
  return page.leftTo?.includes('code=') ? rp.redeem(pending, page.leftTo) : undefined;
}

/** Verifies a logout token as a relying party must (OIDC Back-Channel Logout 1.0 §2.6) and returns its claims. */
export async function verifiedLogoutToken(gp: TestGuestpass, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${gp.issuer}/jwks`)), {
    issuer: gp.issuer,
    audience: filesClient.client_id,
    typ: 'logout+jwt',
  });
  expect(decodeProtectedHeader(token).alg).to.equal('RS256');
  expect(payload.events).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  expect(payload.iat).to.be.a('number');
  expect(payload.jti).to.be.a('string').and.not.equal('');
  expect(payload).to.not.have.property('nonce');
  return payload;
}

/** Whether the token endpoint's introspection says the token is active, asked as the file host. */
export async function isActive(rp: TestRelyingParty, token: string): Promise<boolean> {
  return (await client.tokenIntrospection(rp.config, token)).active;
}

export async function userinfoStatus(gp: TestGuestpass, accessToken: string): Promise<number> {
  return (await fetch(`${gp.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

/** Whether a refresh token still gets new tokens. */
export async function refreshes(rp: TestRelyingParty, refreshToken: string): Promise<boolean> {
  try {
    await client.refreshTokenGrant(rp.config, refreshToken);
    return true;
  } catch (error) {
    expect(error).to.be.instanceOf(client.ResponseBodyError);
    expect((error as client.ResponseBodyError).error).to.equal('invalid_grant');
    return false;
  }
}
