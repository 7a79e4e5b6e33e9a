/**
 * A complete email-code sign-in, done as a relying party and a person's browser would do it:
 * discovery already cached, the authorization request (code flow, PKCE S256, state, nonce),
 * the email form, the code from the mail (over SMTP to the sink), the code form, the redirect
 * back to the callback, and the token exchange (client_secret_basic, code + PKCE verifier).
 *
 * The driver reads the ID token's payload (nonce, alg) but does not verify its signature: from
 * the token endpoint over a direct connection OIDC allows that, openid-client does the same, and
 * it keeps the driver's own CPU out of the figures.
 */
import { createHash, randomBytes } from 'node:crypto';

import { BrowserSession, httpRequest, type Page } from './http_client.ts';
import type { MailSink } from './mail_sink.ts';
import { redirectUri, type BenchClient } from './servers.ts';

export interface Endpoints {
  issuer: string;
  authorization: URL;
  token: URL;
}

export async function discover(issuer: string): Promise<Endpoints> {
  const response = await httpRequest(new URL('/.well-known/openid-configuration', issuer), 'GET', { accept: 'application/json' });
  if (response.status !== 200) throw new Error(`discovery at ${issuer} answered ${response.status}`);
  const metadata = JSON.parse(response.body) as { authorization_endpoint: string; token_endpoint: string };
  return { issuer, authorization: new URL(metadata.authorization_endpoint), token: new URL(metadata.token_endpoint) };
}

/** Milliseconds spent in each step of one sign-in. */
export interface StepTimes {
  /** Authorization request, redirects, the email page. */
  authorize: number;
  /** Email form POST, redirect, the code page. */
  email: number;
  /** From the code page until the sink has the mail. */
  mail: number;
  /** Code form POST and the redirects back to the callback. */
  code: number;
  /** Token request. */
  token: number;
  total: number;
}

export const stepNames = ['authorize', 'email', 'mail', 'code', 'token'] as const;

interface PendingAuthorization {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

function authorizationRequest(endpoints: Endpoints, client: BenchClient): PendingAuthorization {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(endpoints.authorization);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email',
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url, state, nonce, verifier };
}

function expectPage(page: Page, what: string): Page {
  if (page.status !== 200 || page.leftTo) throw new Error(`${what}: expected a page, got ${page.status}${page.leftTo ? ` to ${page.leftTo.href}` : ''}: ${page.body.slice(0, 300)}`);
  return page;
}

/** The authorization code from the redirect to the callback, with its state checked. */
function codeFromCallback(page: Page, pending: PendingAuthorization, what: string): string {
  const callback = page.leftTo;
  if (!callback || callback.origin + callback.pathname !== redirectUri) {
    throw new Error(`${what}: expected a redirect to the callback, got ${page.status} ${callback?.href ?? ''}: ${page.body.slice(0, 300)}`);
  }
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== pending.state) throw new Error(`${what}: callback without code or with the wrong state: ${callback.href}`);
  return code;
}

export interface Redeemable {
  code: string;
  verifier: string;
  nonce: string;
}

/** The token request of a confidential client, and the few checks a relying party makes on the answer. */
export async function redeem(endpoints: Endpoints, client: BenchClient, redeemable: Redeemable): Promise<void> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: redeemable.code, redirect_uri: redirectUri, code_verifier: redeemable.verifier }).toString();
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
  const response = await httpRequest(endpoints.token, 'POST', { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body);
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${response.body.slice(0, 300)}`);
  const tokens = JSON.parse(response.body) as { access_token?: string; id_token?: string };
  const [header, payload] = (tokens.id_token ?? '').split('.');
  if (!tokens.access_token || !header || !payload) throw new Error(`token response without tokens: ${response.body.slice(0, 300)}`);
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string };
  const { nonce } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { nonce?: string };
  if (alg !== client.idTokenAlg || nonce !== redeemable.nonce) throw new Error(`ID token with alg ${alg} and nonce ${nonce}; expected ${client.idTokenAlg} and ${redeemable.nonce}`);
}

/**
 * Everything up to the callback; returns the browser (its session cookie lets it collect more
 * codes without a new sign-in) and what the token request needs.
 */
export async function signInToCallback(endpoints: Endpoints, client: BenchClient, sink: MailSink, email: string, times?: StepTimes): Promise<{ browser: BrowserSession; redeemable: Redeemable }> {
  const browser = new BrowserSession(endpoints.issuer);
  const pending = authorizationRequest(endpoints, client);
  const started = performance.now();
  const emailPage = expectPage(await browser.get(pending.url), 'authorization request');
  const authorized = performance.now();
  const mail = sink.codeFor(email);
  let codePage: Page;
  try {
    codePage = expectPage(await browser.submit(emailPage, '/email', { email }), 'email form');
  } catch (error) {
    mail.catch(() => undefined);
    throw error;
  }
  const emailed = performance.now();
  const code = await mail;
  const mailed = performance.now();
  const code303 = await browser.submit(codePage, '/code', { code });
  const redeemable = { code: codeFromCallback(code303, pending, 'code form'), verifier: pending.verifier, nonce: pending.nonce };
  const done = performance.now();
  if (times) Object.assign(times, { authorize: authorized - started, email: emailed - authorized, mail: mailed - emailed, code: done - mailed });
  return { browser, redeemable };
}

/** One whole sign-in, token exchange included; returns the time of each step. */
export async function signIn(endpoints: Endpoints, client: BenchClient, sink: MailSink, email: string): Promise<StepTimes> {
  const times: StepTimes = { authorize: 0, email: 0, mail: 0, code: 0, token: 0, total: 0 };
  const started = performance.now();
  const { redeemable } = await signInToCallback(endpoints, client, sink, email, times);
  const beforeToken = performance.now();
  await redeem(endpoints, client, redeemable);
  const done = performance.now();
  times.token = done - beforeToken;
  times.total = done - started;
  return times;
}

/** Another authorization code for a browser that is signed in already (no form, no mail): for the token endpoint bench. */
export async function authorizeSignedIn(endpoints: Endpoints, client: BenchClient, browser: BrowserSession): Promise<Redeemable> {
  const pending = authorizationRequest(endpoints, client);
  const page = await browser.get(pending.url);
  return { code: codeFromCallback(page, pending, 'authorization with a session'), verifier: pending.verifier, nonce: pending.nonce };
}
