/**
 * The demo relying party that `npm start` serves at /demo when no configuration file is given:
 * a real OIDC client (openid-client, PKCE, state, nonce) of this very guestpass, so a newcomer
 * can try a sign-in in a browser and see the claims. Never enabled in production.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import * as client from 'openid-client';

import type { Clock } from '../clock.ts';
import { html } from '../html.ts';
import { locales } from '../i18n/index.ts';

export const demoClientId = 'demo';
export const demoClientSecret = 'demo-secret-not-for-production';

export function demoClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: demoClientId,
    client_secret: demoClientSecret,
    client_name: 'guestpass demo',
    redirect_uris: [`${issuer}/demo/callback`],
    post_logout_redirect_uris: [`${issuer}/demo`],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: 'openid email profile sharing offline_access links:read links:write audit:read directory:read directory:write settings:write admin',
    // The demo may send a code to any address, link or not, so a newcomer can try a sign-in at once.
    guestpass_open_sign_in: true,
  };
}

interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  expiresAt: number;
}

export function demoRouter(issuer: string, clock: Clock): Router {
  const router = new Router({ prefix: '/demo' });
  const pending = new Map<string, PendingLogin>();
  let configuration: Promise<client.Configuration> | undefined;
  const discover = () =>
    (configuration ??= client
      .discovery(new URL(issuer), demoClientId, demoClientSecret, undefined, { execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [] })
      .catch((error: unknown) => {
        configuration = undefined;
        throw error;
      }));

  router.get('/', (ctx) => {
    page(ctx, 'guestpass demo', html`<p>This page is a relying party of this guestpass. Signing in sends a one-time code to the address you enter; without SMTP the mail is written to <code>var/outbox/</code>.</p>
<form method="get" action="/demo/login"><label for="login_hint">Email (optional, pre-fills the form)</label><input id="login_hint" name="login_hint" type="email" autocomplete="email">
<label for="ui_locales">Language of the sign-in pages</label><select id="ui_locales" name="ui_locales">${Object.entries(locales).map(([code, catalogue]) => html`<option value="${code}" lang="${code}">${catalogue.languageName}</option>`)}</select>
<button type="submit">Sign in</button></form>`);
  });

  router.get('/login', async (ctx) => {
    const config = await discover();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    sweep(pending, clock.now());
    pending.set(state, { codeVerifier, nonce, expiresAt: clock.now() + 10 * 60_000 });
    const parameters: Record<string, string> = {
      redirect_uri: `${issuer}/demo/callback`,
      scope: 'openid email profile sharing',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    for (const name of ['login_hint', 'ui_locales', 'sharing_id'] as const) {
      const value = ctx.query[name];
      if (typeof value === 'string' && value) parameters[name] = value;
    }
    ctx.redirect(client.buildAuthorizationUrl(config, parameters).href);
  });

  router.get('/callback', async (ctx) => {
    const config = await discover();
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const login = pending.get(state);
    pending.delete(state);
    if (!login || login.expiresAt < clock.now()) {
      ctx.status = 400;
      return page(ctx, 'Sign-in failed', html`<p>This sign-in is unknown or expired. <a href="/demo">Start again</a>.</p>`);
    }
    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(ctx.href.replace(ctx.origin, issuer)), {
        pkceCodeVerifier: login.codeVerifier,
        expectedState: state,
        expectedNonce: login.nonce,
      });
      const claims = tokens.claims();
      page(ctx, 'Signed in', html`<p>guestpass verified this person. The ID token says:</p><pre>${JSON.stringify(claims, null, 2)}</pre>
<p><a href="${client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${issuer}/demo` }).href}">Sign out</a> · <a href="/demo">Back</a></p>`);
    } catch (error) {
      ctx.status = 400;
      page(ctx, 'Sign-in failed', html`<p>${error instanceof Error ? error.message : 'unknown error'}</p><p><a href="/demo">Start again</a></p>`);
    }
  });

  return router;
}

function page(ctx: Context, title: string, body: ReturnType<typeof html>): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'html';
  ctx.body = html`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="stylesheet" href="/assets/guestpass.css"></head>
<body><main class="card"><h1>${title}</h1>${body}</main></body></html>`.value;
}

function sweep(pending: Map<string, PendingLogin>, now: number): void {
  for (const [state, login] of pending) if (login.expiresAt < now) pending.delete(state);
  if (pending.size > 1000) pending.clear();
}

