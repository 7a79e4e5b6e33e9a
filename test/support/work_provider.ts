/**
 * A real oidc-provider on a port of its own, as the work-account provider of an organisation
 * (Contoso's Entra, say). Not a mock: guestpass discovers it, sends people to it, and redeems
 * its codes over HTTP. Its development login accepts any account listed in `accounts`.
 */
import { createServer, type Server } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Middleware } from 'koa';
import Provider from 'oidc-provider';

import { testKeys } from './guestpass.ts';
import { freePort } from './redis_server.ts';
import type { Browser, PageResponse } from './browser.ts';

export interface WorkAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** Google Workspace's hosted domain (released with scope `email` when `emailClaims` lists it). */
  hd?: string;
}

export interface RunningWorkProvider {
  issuer: string;
  accounts: Map<string, WorkAccount>;
  stop(): Promise<void>;
}

export interface WorkProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  accounts?: Record<string, WorkAccount>;
  /** Where the provider lives under its origin (e.g. `/realms/partner`, as Keycloak has it); default the root. */
  issuerPath?: string;
  /** Whether its issuer ends in "/" (LemonLDAP::NG's usually does, Keycloak's does not). */
  trailingSlash?: boolean;
  /** Also answer under this second path, as a misrouting reverse proxy would: its discovery document there still states the real issuer. */
  alsoServeUnder?: string;
  /** A port chosen beforehand (to start the provider after a guestpass that names it); default a free one. */
  port?: number;
  /** How the client is registered; the token endpoint accepts only this method for it. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** What discovery lists as `token_endpoint_auth_methods_supported`. */
  clientAuthMethods?: ('client_secret_basic' | 'client_secret_post')[];
  /**
   * Accept client_secret_basic and client_secret_post both, but compare HTTP Basic credentials
   * byte for byte with `clientId:clientSecret`, without the form-decoding RFC 6749 §2.3.1 asks
   * for: what LemonLDAP::NG (and others) do. Form-encoded Basic credentials of a secret with
   * `-+/=` get `invalid_client`; raw ones, and client_secret_post, are accepted.
   */
  compareBasicCredentialsRaw?: boolean;
  /** Claims released with scope `email`; default `email` and `email_verified`. */
  emailClaims?: string[];
}

export async function startWorkProvider(options: WorkProviderOptions): Promise<RunningWorkProvider> {
  const port = options.port ?? (await freePort());
  const path = options.issuerPath ?? '';
  const prefixes = [path, ...(options.alsoServeUnder ? [options.alsoServeUnder] : [])];
  const issuer = `http://localhost:${port}${path}${options.trailingSlash ? '/' : ''}`;
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
        // A raw-comparing provider hands accepted Basic credentials on as client_secret_post (below).
        token_endpoint_auth_method: options.compareBasicCredentialsRaw ? 'client_secret_post' : (options.tokenEndpointAuthMethod ?? 'client_secret_basic'),
      },
    ],
    ...(options.clientAuthMethods ? { clientAuthMethods: options.clientAuthMethods } : {}),
    claims: { openid: ['sub'], email: options.emailClaims ?? ['email', 'email_verified'], profile: ['name'] },
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
  if (options.compareBasicCredentialsRaw) provider.use(compareBasicCredentialsRaw(options.clientId, options.clientSecret));
  const callback = provider.callback();
  // Under a path, the way a reverse proxy mounts it: oidc-provider takes the mount path from originalUrl.
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const prefix = prefixes.find((candidate) => url.startsWith(`${candidate}/`));
    if (prefix === undefined) {
      res.writeHead(404).end();
      return;
    }
    Object.assign(req, { originalUrl: url, url: url.slice(prefix.length) });
    void callback(req, res);
  });
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

function compareBasicCredentialsRaw(clientId: string, clientSecret: string): Middleware {
  return async (ctx, next) => {
    const basic = /^Basic (.+)$/i.exec(ctx.get('authorization'))?.[1];
    if (ctx.method !== 'POST' || ctx.path !== '/token' || basic === undefined) return next();
    if (Buffer.from(basic, 'base64').toString('utf8') !== `${clientId}:${clientSecret}`) {
      ctx.status = 401;
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return;
    }
    // Accepted: pass the credentials on in the body, where oidc-provider reads them without decoding twice.
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    delete ctx.req.headers.authorization;
    Object.assign(ctx.request, { body: { ...parseQuery(Buffer.concat(chunks).toString('utf8')), client_id: clientId, client_secret: clientSecret } });
    await next();
  };
}

/**
 * Signs in at the work provider's development login as `login` and consents, from the page the
 * browser landed on there; returns where the browser ends up (back at guestpass, and beyond).
 */
export async function signInAtWorkProvider(browser: Browser, page: PageResponse, login: string): Promise<PageResponse> {
  // The interaction's own URL, under the provider's path when it has one.
  const interaction = /^https?:\/\/[^?#]*\/interaction\/[A-Za-z0-9_-]+/.exec(page.url)?.[0];
  if (!interaction) throw new Error(`not at the work provider's login: ${page.url}\n${page.body.slice(0, 500)}`);
  const origin = new URL(page.url).origin;
  let next = await browser.post(interaction, { prompt: 'login', login, password: 'any' });
  const consent = /^https?:\/\/[^?#]*\/interaction\/[A-Za-z0-9_-]+$/.exec(next.url)?.[0];
  if (consent && new URL(next.url).origin === origin && /name="prompt" value="consent"/.test(next.body)) {
    next = await browser.post(consent, { prompt: 'consent' });
  }
  return next;
}
