/**
 * Upstream OpenID Providers for work accounts (SPEC §1b), with openid-client as the relying
 * party. Each provider has its own redirect URI, `<ISSUER>/federation/<id>/callback`. A
 * multi-tenant entry (src/tenant_discovery.ts) also serves domains no entry lists, when one of
 * its tenants owns them; a sign-in there is bound to that one tenant, whose issuer alone is
 * accepted.
 *
 * Threats, and the answers:
 * - Code injection and CSRF on the callback: PKCE (S256), `state` and `nonce`, all fresh per
 *   attempt; the state is stored server-side, bound to the provider and to the interaction, and
 *   used once (a replay finds it gone).
 * - Mix-up (a response from provider B arriving at A's callback): one redirect URI per provider,
 *   the state names the provider, and openid-client checks `iss` (RFC 9207) and the ID token's
 *   issuer against the provider's discovered issuer.
 * - Account takeover by email: identities are linked by (issuer, subject) only; linking needs
 *   the upstream `email` (or the claim the entry names) to equal the address the person proved
 *   with a code in the same interaction, the entry's verification claim to be `true`, and for a
 *   multi-tenant entry the token to come from the tenant that owns the address's domain
 *   (checked by the caller, see interactions/sign_in/work_accounts.ts).
 * - A misconfigured entry: the issuer is the one the provider's discovery document states; an
 *   entry whose configured issuer that document contradicts (beyond a trailing slash) is refused
 *   — it serves no domain and no linked identity, its people get codes, and /readyz fails
 *   naming it — instead of trusting whoever answers at the configured address.
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';

import type { CounterStore, RecordStore } from '../adapters/store.ts';
import type { FederationEntry } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import { domainOf, normalizeEmail } from './emails.ts';
import { FederationError } from './errors.ts';
import { clientAuthenticationRefused, discoverProvider, IssuerMismatchError, logRefusedClient, type IssuerMismatch } from './federation_discovery.ts';
import { isIssuerTemplate, sameIssuer, templateOrigin } from '../config/issuers.ts';
import type { Logger } from './log.ts';
import type { People } from './people.ts';
import { readRecord } from './records.ts';
import { TenantDiscovery } from './tenant_discovery.ts';

export type { IssuerMismatch } from './federation_discovery.ts';

export type FederationPurpose =
  /** After a code, link the work account and become a guest (or member). */
  | 'upgrade'
  /** A person with a linked work account signs in with it instead of a code. */
  | 'signin'
  /** An invited guest accepts with their work account. */
  | 'redeem';

const federationStateSchema = z.object({
  providerId: z.string(),
  interactionUid: z.string(),
  purpose: z.enum(['upgrade', 'signin', 'redeem']) satisfies z.ZodType<FederationPurpose>,
  codeVerifier: z.string(),
  nonce: z.string(),
  /** The normalised address the person entered (and, for upgrades, proved with a code). */
  email: z.string(),
  /** For an entry with per-tenant issuers: the tenant this sign-in was sent to, whose issuer alone is accepted. */
  issuer: z.string().optional(),
});
export type FederationState = z.infer<typeof federationStateSchema>;

export interface UpstreamClaims {
  issuer: string;
  subject: string;
  email?: string | undefined;
  /** Whether the entry's verification claim (`email_verified`, `xms_edov`, …) is `true`. */
  emailVerified: boolean;
  /** The entry's domain claim (`hd`), lower-cased, when it names one. */
  domain?: string | undefined;
  name?: string | undefined;
}

/** Where the state of each upstream sign-in is kept, and used up once. */
type FederationStore = Pick<RecordStore, 'putRecord' | 'getRecord' | 'deleteRecord'> & Pick<CounterStore, 'claimSlot'>;

/** How long a person may take at their work provider. */
const stateTtlSeconds = 15 * 60;

export class Federation {
  readonly #entries: ReadonlyMap<string, FederationEntry>;
  readonly #byDomain: ReadonlyMap<string, FederationEntry>;
  readonly #issuer: string;
  readonly #store: FederationStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #configurations = new Map<string, Promise<client.Configuration>>();
  /** Multi-tenant entries, in configuration order (the first whose tenant owns a domain serves it). */
  readonly #tenants = new Map<string, TenantDiscovery>();
  readonly #organizationDomains: ReadonlySet<string>;
  readonly #people: Pick<People, 'findByEmail'>;
  /** Entries refused for the life of the process: fixing one means changing the configuration. */
  readonly #refused = new Map<string, IssuerMismatch>();
  #checked: Promise<void> | undefined;

  constructor(deps: {
    entries: readonly FederationEntry[];
    issuer: string;
    store: FederationStore;
    clock: Clock;
    logger: Logger;
    people: Pick<People, 'findByEmail'>;
    /** Domains of the organisation's own people: members are never sent to another organisation's tenant. */
    organizationDomains: readonly string[];
    allowPrivateNetworkCalls: boolean;
  }) {
    this.#entries = new Map(deps.entries.map((entry) => [entry.id, entry]));
    this.#byDomain = new Map(deps.entries.flatMap((entry) => entry.domains.map((domain) => [domain, entry] as const)));
    this.#issuer = deps.issuer;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#people = deps.people;
    this.#organizationDomains = new Set(deps.organizationDomains);
    const singleTenantIssuers = deps.entries.filter((entry) => !entry.tenants).map((entry) => entry.issuer);
    for (const entry of deps.entries) {
      if (!entry.tenants) continue;
      const tenants = new TenantDiscovery({
        entry: { ...entry, tenants: entry.tenants },
        clock: deps.clock,
        logger: deps.logger,
        allowPrivateNetworkCalls: deps.allowPrivateNetworkCalls,
        claimedElsewhere: (issuer) => singleTenantIssuers.some((other) => sameIssuer(other, issuer)),
      });
      this.#tenants.set(entry.id, tenants);
    }
  }

  get enabled(): boolean {
    return this.#entries.size > 0;
  }

  byId(id: string): FederationEntry | undefined {
    return this.#entries.get(id);
  }

  /**
   * The provider serving an address's domain, unless its entry was refused: the entry that lists
   * the domain, otherwise the first multi-tenant entry one of whose tenants owns it (a lookup,
   * cached; never for the organisation's own domains). Never throws.
   */
  async forEmail(emailNormalized: string): Promise<FederationEntry | undefined> {
    const domain = domainOf(emailNormalized);
    const listed = this.#byDomain.get(domain);
    if (listed) return this.#refused.has(listed.id) ? undefined : listed;
    if (this.#organizationDomains.has(domain)) return undefined;
    const candidates = [...this.#tenants].filter(([id]) => !this.#refused.has(id));
    const owners = await Promise.all(candidates.map(([, tenants]) => tenants.ownerOf(domain)));
    const found = candidates[owners.findIndex((owner) => owner !== undefined)];
    return found && this.#entries.get(found[0]);
  }

  /**
   * The provider of a linked identity, when that provider is still configured and not refused.
   * The identity carries the issuer the provider stated; the entry may spell it with or without
   * a trailing slash (config/issuers.ts). An entry with one issuer wins over a tenant template.
   */
  forIssuer(issuer: string): FederationEntry | undefined {
    const entries = [...this.#entries.values()].filter((entry) => !this.#refused.has(entry.id));
    return (
      entries.find((entry) => !isIssuerTemplate(entry.issuer) && sameIssuer(entry.issuer, issuer)) ??
      entries.find((entry) => this.#tenants.get(entry.id)?.servesIssuer(issuer))
    );
  }

  /**
   * For a multi-tenant entry, the one issuer that may vouch for an address: the issuer of the
   * tenant that owns its domain, as that tenant's document states it (for a provider with one
   * issuer, the provider's, while it handles the domain). Undefined when none can be told.
   */
  async tenantIssuerFor(entry: Pick<FederationEntry, 'id'>, emailNormalized: string): Promise<string | undefined> {
    const tenants = this.#tenants.get(entry.id);
    const owner = await tenants?.ownerOf(domainOf(emailNormalized));
    if (!tenants || !owner || tenants.perTenantIssuers) return owner;
    try {
      return (await this.#configuration(this.#entries.get(entry.id)!)).serverMetadata().issuer;
    } catch {
      return undefined;
    }
  }

  /** Entries refused because their provider states another issuer: what /readyz reports. */
  problems(): IssuerMismatch[] {
    return [...this.#refused.values()];
  }

  /**
   * Discovers every provider once (at start-up), so a contradicted issuer is refused and logged
   * before anyone needs it. A provider that cannot be reached now is tried again on first use.
   * Later calls wait for the same check.
   */
  checkProviders(): Promise<void> {
    return (this.#checked ??= this.#checkAll());
  }

  async #checkAll(): Promise<void> {
    for (const entry of this.#entries.values()) {
      if (!entry.tenants) continue;
      const how = entry.tenants.discoveryUrl ? `at ${entry.tenants.discoveryUrl}` : `by the MX hosts of each domain (${entry.tenants.mxHosts?.join(', ')})`;
      this.#logger.info({ provider: entry.id, issuer: entry.issuer }, `work-account provider "${entry.id}" is multi-tenant: domains no entry lists are looked up ${how}`);
    }
    // An issuer template names no one provider to discover; each tenant is discovered when someone needs it.
    await Promise.all(
      [...this.#entries.values()].filter((entry) => !isIssuerTemplate(entry.issuer)).map((entry) =>
        this.#configuration(entry).catch((error: unknown) => {
          if (this.#refused.has(entry.id)) return;
          this.#logger.warn(
            { provider: entry.id, issuer: entry.issuer, error: messageOf(error instanceof FederationError ? error.cause : error) },
            `work-account provider "${entry.id}" cannot be reached at ${entry.issuer}; guestpass tries again when someone needs it`,
          );
        }),
      ),
    );
  }

  redirectUri(entry: FederationEntry): string {
    return `${this.#issuer}/federation/${entry.id}/callback`;
  }

  /** Origins a sign-in page's forms may end up at (for `form-action`). */
  async formTargets(): Promise<string[]> {
    const origins = new Set<string>();
    for (const entry of this.#entries.values()) {
      if (this.#refused.has(entry.id)) continue;
      // Every tenant of a template signs people in on the template's origin (src/tenant_discovery.ts holds them to it).
      if (isIssuerTemplate(entry.issuer)) {
        origins.add(templateOrigin(entry.issuer));
        continue;
      }
      origins.add(new URL(entry.issuer).origin);
      try {
        const endpoint = (await this.#configuration(entry)).serverMetadata().authorization_endpoint;
        if (endpoint) origins.add(new URL(endpoint).origin);
      } catch {
        // an unreachable provider adds only its issuer's origin
      }
    }
    return [...origins];
  }

  /** Starts a sign-in at the provider: a fresh PKCE verifier, state and nonce, kept server-side. */
  async authorizationUrl(entry: FederationEntry, request: { interactionUid: string; purpose: FederationPurpose; email: string }): Promise<string> {
    const { configuration, issuer } = await this.#configurationForSignIn(entry, request.purpose, request.email);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = randomBytes(24).toString('base64url');
    const nonce = client.randomNonce();
    await this.#store.putRecord<FederationState>('federationState', state, { providerId: entry.id, ...request, codeVerifier, nonce, issuer }, stateTtlSeconds);
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri(entry),
      scope: entry.scope,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      login_hint: request.email,
    }).href;
  }

  /** The stored state of a callback, without using it up (the callback first hands over to the interaction). */
  peekState(state: string): Promise<FederationState | undefined> {
    return readRecord(this.#store, 'federationState', state, federationStateSchema);
  }

  /**
   * Completes a callback: uses the state up (once, even under parallel replays), checks it
   * belongs to this provider and interaction, and redeems the code (PKCE, state, nonce, `iss`).
   */
  async complete(entry: FederationEntry, interactionUid: string, callbackQuery: string): Promise<{ state: FederationState; claims: UpstreamClaims }> {
    const stateValue = new URLSearchParams(callbackQuery).get('state') ?? '';
    const state = await readRecord(this.#store, 'federationState', stateValue, federationStateSchema);
    const firstUse = state ? await this.#store.claimSlot(`federation-state:${stateValue}`, stateTtlSeconds, this.#clock.now()) : undefined;
    if (!state || !firstUse?.claimed) throw new FederationError('unknown_state', 'the work-account sign-in is unknown, expired or was already used');
    await this.#store.deleteRecord('federationState', stateValue);
    if (state.providerId !== entry.id || state.interactionUid !== interactionUid) {
      throw new FederationError('state_mismatch', 'the work-account response does not belong to this sign-in');
    }
    const configuration = await this.#configurationForState(entry, state);
    try {
      const tokens = await client.authorizationCodeGrant(configuration, new URL(`${this.redirectUri(entry)}?${callbackQuery}`), {
        pkceCodeVerifier: state.codeVerifier,
        expectedState: stateValue,
        expectedNonce: state.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      const names = entry.claims;
      // Many providers put email only at userinfo (OIDC Core's default for scope claims).
      const profile: Record<string, unknown> =
        typeof idToken[names.email] === 'string' ? idToken : { ...idToken, ...(await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub)) };
      const email = profile[names.email];
      return {
        state,
        claims: {
          issuer: idToken.iss,
          subject: idToken.sub,
          email: typeof email === 'string' ? normalizeEmail(email) : undefined,
          // Only the JSON value true vouches: a string or a number is not read as one.
          emailVerified: profile[names.emailVerified] === true,
          domain: names.domain ? lowerCased(profile[names.domain]) : undefined,
          name: typeof profile.name === 'string' ? profile.name : undefined,
        },
      };
    } catch (error) {
      if (clientAuthenticationRefused(error)) logRefusedClient(entry, this.#logger);
      else this.#logger.info({ provider: entry.id, error: messageOf(error) }, 'work-account sign-in refused');
      throw new FederationError('upstream_error', error instanceof Error ? error.message : 'the work-account sign-in failed', { cause: error });
    }
  }

  /**
   * Where a sign-in goes. With per-tenant issuers, to one tenant: for an upgrade or an invitation
   * the tenant that owns the address's domain, for a sign-in the tenant of the linked identity
   * (so it works whatever the domain lookup says today).
   */
  async #configurationForSignIn(entry: FederationEntry, purpose: FederationPurpose, email: string): Promise<{ configuration: client.Configuration; issuer?: string }> {
    const tenants = this.#tenants.get(entry.id);
    if (!tenants?.perTenantIssuers) return { configuration: await this.#configuration(entry) };
    const issuer =
      purpose === 'signin'
        ? (await this.#people.findByEmail(email))?.identities.find((identity) => this.forIssuer(identity.issuer)?.id === entry.id)?.issuer
        : await tenants.ownerOf(domainOf(email));
    if (!issuer) throw new FederationError('provider_unavailable', `no tenant of ${entry.name} serves this address now`);
    return { configuration: await this.#tenantConfiguration(entry, issuer), issuer };
  }

  #configurationForState(entry: FederationEntry, state: FederationState): Promise<client.Configuration> {
    if (!this.#tenants.get(entry.id)?.perTenantIssuers) return this.#configuration(entry);
    if (!state.issuer) return Promise.reject(new FederationError('state_mismatch', 'the work-account sign-in names no tenant'));
    return this.#tenantConfiguration(entry, state.issuer);
  }

  async #tenantConfiguration(entry: FederationEntry, issuer: string): Promise<client.Configuration> {
    try {
      return await this.#tenants.get(entry.id)!.configurationFor(issuer);
    } catch (error) {
      this.#logger.warn({ provider: entry.id, issuer, error: messageOf(error) }, `the tenant ${issuer} of work-account provider "${entry.id}" cannot be used now`);
      throw new FederationError('provider_unavailable', `the work-account provider ${entry.name} cannot be reached`, { cause: error });
    }
  }

  #configuration(entry: FederationEntry): Promise<client.Configuration> {
    if (this.#refused.has(entry.id)) return Promise.reject(this.#refusedError(entry));
    let configuration = this.#configurations.get(entry.id);
    if (!configuration) {
      configuration = discoverProvider(entry, this.#logger).catch((error: unknown) => {
        this.#configurations.delete(entry.id);
        if (!(error instanceof IssuerMismatchError)) throw new FederationError('provider_unavailable', `the work-account provider ${entry.name} cannot be reached`, { cause: error });
        this.#refuse(error);
        throw this.#refusedError(entry);
      });
      this.#configurations.set(entry.id, configuration);
    }
    return configuration;
  }

  #refusedError(entry: FederationEntry): FederationError {
    const mismatch = this.#refused.get(entry.id)!;
    return new FederationError('provider_unavailable', `the work-account provider ${entry.name} is refused`, { cause: new IssuerMismatchError(mismatch) });
  }

  #refuse(error: IssuerMismatchError): void {
    if (this.#refused.has(error.mismatch.id)) return;
    this.#refused.set(error.mismatch.id, error.mismatch);
    this.#logger.error(
      { provider: error.mismatch.id, configuredIssuer: error.mismatch.configuredIssuer, discoveredIssuer: error.mismatch.discoveredIssuer },
      `${error.message}; set "issuer" of this entry to the issuer the provider states (a trailing slash may differ) and restart. ` +
        'Until then the entry serves no one: its people sign in with an email code, and /readyz fails.',
    );
  }
}

function lowerCased(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
