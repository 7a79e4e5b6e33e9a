/**
 * Multi-tenant federation entries (SPEC §1b): which tenant of the provider owns an email domain,
 * and how guestpass talks to that tenant.
 *
 * Data model. Per entry, one cache of answers per domain (a tenant's issuer, "none", or "the
 * lookup failed"), each with its own TTL, bounded in size (least recently used go first); and
 * for an entry with an issuer template, one openid-client configuration per tenant issuer,
 * built from the tenant's own discovery document.
 *
 * - `discoveryUrl` (Microsoft Entra): the provider's per-domain discovery document. 200 with an
 *   `issuer` that fits the entry's template names the owning tenant; 400 or 404 says none does.
 *   That document is also the tenant's configuration: its `issuer` is the only `iss` accepted
 *   from the tenant, and its authorization endpoint must be on the template's origin (the
 *   sign-in page's `form-action` allows that origin, and a document that sends people elsewhere
 *   is not the provider's).
 * - `mxHosts` (Google Workspace): the provider has one issuer; a domain whose mail it handles is
 *   offered the upgrade. This only decides what to offer; what links is a claim (`hd`) the
 *   caller checks against the domain.
 *
 * Threats, and the answers: the domain comes from an address a person proved with a code, and
 * is checked to be a domain name before it goes into a URL; lookups go through the SSRF guard
 * (src/guarded_fetch.ts) with a deadline; answers are cached, and lookups of one domain made at
 * once share one request, so nobody makes guestpass hammer the provider; a failure is cached
 * briefly as "no tenant", so a provider that is down costs each domain one deadline, not every
 * sign-in; a tenant that a single-tenant entry already names, or an excluded one, is not served
 * here (its people would get a second, different identity at one issuer).
 */
import { Resolver } from 'node:dns/promises';
import * as client from 'openid-client';
import { z } from 'zod';

import { domainNamePattern, type FederationEntry, type FederationTenants } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import { guardedFetch, type GuardedFetch } from './guarded_fetch.ts';
import { discoveryDocumentUrl, fitsIssuerTemplate, isIssuerTemplate, templateOrigin } from '../config/issuers.ts';
import type { Logger } from './log.ts';
import { LruCache } from './lru_cache.ts';

/** What a lookup found: the owning tenant's issuer, or none (`failed` when the lookup could not tell). */
interface Answer {
  owner: string | undefined;
  failed?: boolean;
}

const tenantDocumentSchema = z.looseObject({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  userinfo_endpoint: z.url().optional(),
});

/** Token, key and userinfo requests to a tenant get the deadline start-up discovery has. */
const tenantRequestTimeoutMs = 10_000;

export class TenantDiscovery {
  readonly #entry: FederationEntry;
  readonly #tenants: FederationTenants;
  readonly #answers: LruCache<Answer>;
  readonly #pending = new Map<string, Promise<Answer>>();
  readonly #configurations: LruCache<Promise<client.Configuration>>;
  readonly #lookupFetch: GuardedFetch;
  readonly #tenantFetch: GuardedFetch;
  readonly #resolver: Resolver | undefined;
  readonly #claimedElsewhere: (issuer: string) => boolean;
  readonly #logger: Logger;

  constructor(deps: {
    entry: FederationEntry & { tenants: FederationTenants };
    clock: Clock;
    logger: Logger;
    allowPrivateNetworkCalls: boolean;
    /** Whether another (single-tenant) entry already names this issuer. */
    claimedElsewhere: (issuer: string) => boolean;
  }) {
    this.#entry = deps.entry;
    this.#tenants = deps.entry.tenants;
    this.#logger = deps.logger;
    this.#claimedElsewhere = deps.claimedElsewhere;
    this.#answers = new LruCache(this.#tenants.maxCachedDomains, deps.clock);
    this.#configurations = new LruCache(this.#tenants.maxCachedDomains, deps.clock);
    this.#lookupFetch = guardedFetch({ allowPrivateNetwork: deps.allowPrivateNetworkCalls, timeoutMs: this.#tenants.timeoutMs });
    this.#tenantFetch = guardedFetch({ allowPrivateNetwork: deps.allowPrivateNetworkCalls, timeoutMs: tenantRequestTimeoutMs });
    if (this.#tenants.mxHosts) {
      this.#resolver = new Resolver({ timeout: this.#tenants.timeoutMs, tries: 1 });
      if (this.#tenants.dnsServers) this.#resolver.setServers(this.#tenants.dnsServers);
    }
  }

  /** Whether each tenant has an issuer of its own (a template), rather than the provider one for all. */
  get perTenantIssuers(): boolean {
    return isIssuerTemplate(this.#entry.issuer);
  }

  /**
   * The issuer of the tenant that owns `domain` (for `mxHosts`, the entry's one issuer), or
   * undefined: no tenant does, the domain or tenant is excluded, or the lookup failed. Never throws.
   */
  async ownerOf(domain: string): Promise<string | undefined> {
    if (!domainNamePattern.test(domain) || this.#tenants.excludeDomains.includes(domain)) return undefined;
    const cached = this.#answers.get(domain);
    if (cached) return cached.owner;
    let pending = this.#pending.get(domain);
    if (!pending) {
      pending = this.#lookUp(domain)
        .catch((error: unknown) => this.#failed(domain, error))
        .then((answer) => {
          const { negativeCacheSeconds, cacheSeconds, failureCacheSeconds } = this.#tenants;
          this.#answers.set(domain, answer, answer.failed ? failureCacheSeconds : answer.owner ? cacheSeconds : negativeCacheSeconds);
          return answer;
        })
        .finally(() => this.#pending.delete(domain));
      this.#pending.set(domain, pending);
    }
    return (await pending).owner;
  }

  /** Whether an issuer is one of this entry's tenants (fits the template, and is not excluded or another entry's). */
  servesIssuer(issuer: string): boolean {
    return this.perTenantIssuers && fitsIssuerTemplate(this.#entry.issuer, issuer) && this.#allowedTenant(issuer);
  }

  /**
   * The configuration of one tenant, from its discovery document (cached, and seeded by the
   * per-domain lookup that found it). Throws when the issuer is not this entry's or its
   * document cannot be had or does not state exactly that issuer.
   */
  configurationFor(issuer: string): Promise<client.Configuration> {
    if (!this.servesIssuer(issuer)) return Promise.reject(new Error(`${issuer} is not a tenant of "${this.#entry.id}"`));
    let configuration = this.#configurations.get(issuer);
    if (!configuration) {
      configuration = this.#discoverTenant(issuer);
      // A failed discovery is forgotten at once, so the next sign-in asks again.
      const attempt = configuration;
      attempt.catch(() => {
        if (this.#configurations.get(issuer) === attempt) this.#configurations.delete(issuer);
      });
      this.#configurations.set(issuer, configuration, this.#tenants.cacheSeconds);
    }
    return configuration;
  }

  #lookUp(domain: string): Promise<Answer> {
    return this.#tenants.mxHosts ? this.#lookUpMx(domain, this.#tenants.mxHosts) : this.#lookUpDocument(domain, this.#tenants.discoveryUrl!);
  }

  async #lookUpDocument(domain: string, discoveryUrl: string): Promise<Answer> {
    const response = await this.#lookupFetch(discoveryUrl.replace('{domain}', encodeURIComponent(domain)), { headers: { accept: 'application/json' } });
    // Microsoft answers 400 (AADSTS90002, tenant not found) for a domain no tenant has verified.
    if (response.status === 400 || response.status === 404) return { owner: undefined };
    if (response.status !== 200) throw new Error(`the per-domain discovery document answered ${response.status}`);
    const document = tenantDocumentSchema.safeParse(await response.json());
    if (!document.success) throw new Error('the per-domain discovery document is not an OpenID Provider configuration');
    const issuer = document.data.issuer;
    if (!fitsIssuerTemplate(this.#entry.issuer, issuer)) {
      this.#logger.warn({ provider: this.#entry.id, domain, discoveredIssuer: issuer }, `the discovery document of ${domain} states an issuer that does not fit the template of "${this.#entry.id}"; not served`);
      return { owner: undefined };
    }
    if (!this.#allowedTenant(issuer)) return { owner: undefined };
    const configuration = this.#configurationOf(document.data);
    this.#configurations.set(issuer, Promise.resolve(configuration), this.#tenants.cacheSeconds);
    return { owner: issuer };
  }

  async #lookUpMx(domain: string, mxHosts: readonly string[]): Promise<Answer> {
    try {
      const records = await this.#resolver!.resolveMx(domain);
      const handledHere = records.some(({ exchange }) => {
        const host = exchange.toLowerCase().replace(/\.$/, '');
        return mxHosts.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
      });
      return { owner: handledHere ? this.#entry.issuer : undefined };
    } catch (error) {
      // No such domain, or no MX records: an answer, not a failure.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return { owner: undefined };
      throw error;
    }
  }

  async #discoverTenant(issuer: string): Promise<client.Configuration> {
    const response = await this.#tenantFetch(discoveryDocumentUrl(issuer), { headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`the discovery document of ${issuer} answered ${response.status}`);
    const document = tenantDocumentSchema.parse(await response.json());
    // The tenant's identity is the issuer it states, exactly (a trailing slash is not forgiven here).
    if (document.issuer !== issuer) throw new Error(`the discovery document of ${issuer} states another issuer, ${document.issuer}`);
    return this.#configurationOf(document);
  }

  #configurationOf(document: z.output<typeof tenantDocumentSchema>): client.Configuration {
    if (new URL(document.authorization_endpoint).origin !== templateOrigin(this.#entry.issuer)) {
      throw new Error(`the tenant ${document.issuer} sends people to ${new URL(document.authorization_endpoint).origin}, not the provider's ${templateOrigin(this.#entry.issuer)}`);
    }
    const { clientSecret, tokenEndpointAuthMethod } = this.#entry;
    const authentication = tokenEndpointAuthMethod === 'client_secret_post' ? client.ClientSecretPost(clientSecret) : client.ClientSecretBasic(clientSecret);
    const configuration = new client.Configuration(document as client.ServerMetadata, this.#entry.clientId, undefined, authentication);
    configuration[client.customFetch] = this.#tenantFetch;
    // Plain http only for local development and tests; production configuration requires https.
    if (document.issuer.startsWith('http:')) client.allowInsecureRequests(configuration);
    return configuration;
  }

  #allowedTenant(issuer: string): boolean {
    return !this.#tenants.excludeIssuers.includes(issuer) && !this.#claimedElsewhere(issuer);
  }

  #failed(domain: string, error: unknown): Answer {
    this.#logger.warn(
      { provider: this.#entry.id, domain, error: error instanceof Error ? error.message : String(error) },
      `cannot tell whether a tenant of "${this.#entry.id}" owns ${domain}; its people keep their email codes, and it is asked again in ${this.#tenants.failureCacheSeconds} s`,
    );
    return { owner: undefined, failed: true };
  }
}
