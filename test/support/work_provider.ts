/**
 * A real oidc-provider on a port of its own, as the work-account provider of an organisation
 * (Contoso's Entra, say). Not a mock: guestpass discovers it, sends people to it, and redeems
 * its codes over HTTP. Its development login accepts any account listed in `accounts`.
 */
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

import { testKeys } from './guestpass.ts';
import { freePort } from './redis_server.ts';
import type { Browser, PageResponse } from './browser.ts';

export interface WorkAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface RunningWorkProvider {
  issuer: string;
  accounts: Map<string, WorkAccount>;
  stop(): Promise<void>;
}

export async function startWorkProvider(options: { clientId: string; clientSecret: string; redirectUris: string[]; accounts?: Record<string, WorkAccount> }): Promise<RunningWorkProvider> {
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const provider = new Provider(issuer, {
    clients: [{ client_id: options.clientId, client_secret: options.clientSecret, redirect_uris: options.redirectUris, response_types: ['code'], grant_types: ['authorization_code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['work-provider-cookie-key-for-tests-only'] },
    jwks: (await testKeys()).jwks as never,
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>work provider error</title><pre>${JSON.stringify(out)}</pre>`;
    },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer,
    accounts,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Signs in at the work provider's development login as `login` and consents, from the page the
 * browser landed on there; returns where the browser ends up (back at guestpass, and beyond).
 */
export async function signInAtWorkProvider(browser: Browser, page: PageResponse, login: string): Promise<PageResponse> {
  const uid = /\/interaction\/([A-Za-z0-9_-]+)/.exec(page.url)?.[1];
  if (!uid) throw new Error(`not at the work provider's login: ${page.url}\n${page.body.slice(0, 500)}`);
  const origin = new URL(page.url).origin;
  let next = await browser.post(`${origin}/interaction/${uid}`, { prompt: 'login', login, password: 'any' });
  const consent = /\/interaction\/([A-Za-z0-9_-]+)$/.exec(next.url);
  if (consent && new URL(next.url).origin === origin && /name="prompt" value="consent"/.test(next.body)) {
    next = await browser.post(`${origin}/interaction/${consent[1]}`, { prompt: 'consent' });
  }
  return next;
}
