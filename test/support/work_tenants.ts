/**
 * A stand-in for a multi-tenant provider such as Microsoft Entra: several real oidc-provider
 * "tenants" behind one origin, each with an issuer of its own (`<origin>/<tenant>/v2.0`), and the
 * per-domain discovery URL Microsoft answers at `<origin>/<domain>/v2.0/.well-known/openid-configuration`:
 * the owning tenant's discovery document for a domain a tenant owns, 400 (AADSTS90002) for any
 * other. Like Entra, its tokens carry `email` and the optional claim `xms_edov`, and no
 * `email_verified`. Not a mock: guestpass discovers it, sends people to it and redeems its codes
 * over HTTP.
 */
import { createServer, type Server } from 'node:http';
import Provider from 'oidc-provider';

import { testKeys } from './guestpass.ts';
import { freePort } from './redis_server.ts';

export type TenantAccount = Record<string, unknown>;

export interface TenantOptions {
  /** Email domains the tenant has verified: the per-domain discovery names it for these. */
  domains: string[];
  /** Accounts by `sub`, with the claims their tokens carry (`email`, `xms_edov`, `name`). */
  accounts: Record<string, TenantAccount>;
}

export interface RunningTenantCloud {
  origin: string;
  /** The entry's `issuer`: `<origin>/{tenantid}/v2.0`. */
  issuerTemplate: string;
  /** The entry's `tenants.discoveryUrl`. */
  discoveryUrl: string;
  issuerOf(tenant: string): string;
  accountsOf(tenant: string): Map<string, TenantAccount>;
  /** Which tenant owns each domain; change it to move a domain to another tenant. */
  owners: Map<string, string>;
  /** Per-domain discovery requests received, by domain. */
  lookups: Map<string, number>;
  /** `answer` as Microsoft does; `down` answers 503; `hang` never answers. */
  discovery: 'answer' | 'down' | 'hang';
  /** Documents answered for a domain instead of its owner's: what an impostor, or a misrouted proxy, would serve. */
  impostors: Map<string, Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startTenantCloud(options: { clientId: string; clientSecret: string; redirectUris: string[]; tenants: Record<string, TenantOptions> }): Promise<RunningTenantCloud> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const issuerOf = (tenant: string) => `${origin}/${tenant}/v2.0`;
  const accounts = new Map(Object.entries(options.tenants).map(([tenant, { accounts: list }]) => [tenant, new Map(Object.entries(list))]));
  const owners = new Map(Object.entries(options.tenants).flatMap(([tenant, { domains }]) => domains.map((domain) => [domain, tenant] as const)));
  const jwks = (await testKeys()).jwks as never;
  const callbacks = new Map(
    Object.keys(options.tenants).map((tenant) => {
      const provider = new Provider(issuerOf(tenant), {
        clients: [
          {
            client_id: options.clientId,
            client_secret: options.clientSecret,
            redirect_uris: options.redirectUris,
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        // Entra puts the optional claims in the ID token; its userinfo (at Graph) has no xms_edov.
        conformIdTokenClaims: false,
        claims: { openid: ['sub'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
        cookies: { keys: [`tenant-cookie-key-${tenant}`] },
        jwks,
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
        renderError: async (ctx, out) => {
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><title>tenant error</title><pre>${JSON.stringify(out)}</pre>`;
        },
        async findAccount(_ctx, sub) {
          const account = accounts.get(tenant)?.get(sub);
          return account && { accountId: sub, claims: async () => ({ sub, ...account }) };
        },
      });
      return [tenant, provider.callback()] as const;
    }),
  );

  const cloud: RunningTenantCloud = {
    origin,
    issuerTemplate: `${origin}/{tenantid}/v2.0`,
    discoveryUrl: `${origin}/{domain}/v2.0/.well-known/openid-configuration`,
    issuerOf,
    accountsOf: (tenant) => accounts.get(tenant)!,
    owners,
    lookups: new Map(),
    discovery: 'answer',
    impostors: new Map(),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const [, first = '', rest = ''] = /^\/([^/]+)\/v2\.0(\/.*)?$/.exec(url.split('?')[0]!) ?? [];
    const tenant = callbacks.get(first);
    if (tenant) {
      // Mounted under /<tenant>/v2.0, as a reverse proxy would: oidc-provider takes the mount path from originalUrl.
      Object.assign(req, { originalUrl: url, url: url.slice(`/${first}/v2.0`.length) || '/' });
      void tenant(req, res);
      return;
    }
    if (!first || rest !== '/.well-known/openid-configuration') {
      res.writeHead(404).end();
      return;
    }
    const domain = decodeURIComponent(first);
    cloud.lookups.set(domain, (cloud.lookups.get(domain) ?? 0) + 1);
    if (cloud.discovery === 'hang') return;
    if (cloud.discovery === 'down') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
      return;
    }
    const impostor = cloud.impostors.get(domain);
    if (impostor) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(impostor));
      return;
    }
    const owner = owners.get(domain);
    if (!owner) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${domain}' not found.` }));
      return;
    }
    // The owning tenant's own document, issuer and all, as Microsoft answers for a verified domain.
    void fetch(`${issuerOf(owner)}/.well-known/openid-configuration`)
      .then(async (document) => res.writeHead(200, { 'content-type': 'application/json' }).end(await document.text()))
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return cloud;
}
