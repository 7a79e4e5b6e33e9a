/**
 * Upstream OpenID Providers for work accounts (SPEC §1b), with openid-client as the relying
 * party. Each provider has its own redirect URI, `<ISSUER>/federation/<id>/callback`.
 *
 * Threats, and the answers:
 * - Code injection and CSRF on the callback: PKCE (S256), `state` and `nonce`, all fresh per
 *   attempt; the state is stored server-side, bound to the provider and to the interaction, and
 *   used once (a replay finds it gone).
 * - Mix-up (a response from provider B arriving at A's callback): one redirect URI per provider,
 *   the state names the provider, and openid-client checks `iss` (RFC 9207) and the ID token's
 *   issuer against the provider's discovered issuer.
 * - Account takeover by email: identities are linked by (issuer, subject) only; linking needs
 *   the upstream `email` to equal the address the person proved with a code in the same
 *   interaction, and `email_verified: true` (checked by the caller, see interactions/).
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
import { discoverProvider, IssuerMismatchError, type IssuerMismatch } from './federation_discovery.ts';
import { sameIssuer } from '../config/issuers.ts';
import type { Logger } from './log.ts';
import { readRecord } from './records.ts';

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
});
export type FederationState = z.infer<typeof federationStateSchema>;

export interface UpstreamClaims {
  issuer: string;
  subject: string;
  email?: string | undefined;
  emailVerified: boolean;
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
  /** Entries refused for the life of the process: fixing one means changing the configuration. */
  readonly #refused = new Map<string, IssuerMismatch>();
  #checked: Promise<void> | undefined;

  constructor(deps: { entries: readonly FederationEntry[]; issuer: string; store: FederationStore; clock: Clock; logger: Logger }) {
    this.#entries = new Map(deps.entries.map((entry) => [entry.id, entry]));
    this.#byDomain = new Map(deps.entries.flatMap((entry) => entry.domains.map((domain) => [domain, entry] as const)));
    this.#issuer = deps.issuer;
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  get enabled(): boolean {
    return this.#entries.size > 0;
  }

  byId(id: string): FederationEntry | undefined {
    return this.#entries.get(id);
  }

  /** The provider serving an address's domain, unless its entry was refused. */
  forEmail(emailNormalized: string): FederationEntry | undefined {
    const entry = this.#byDomain.get(domainOf(emailNormalized));
    return entry && !this.#refused.has(entry.id) ? entry : undefined;
  }

  /**
   * The provider of a linked identity, when that provider is still configured and not refused.
   * The identity carries the issuer the provider stated; the entry may spell it with or without
   * a trailing slash (config/issuers.ts).
   */
  forIssuer(issuer: string): FederationEntry | undefined {
    return [...this.#entries.values()].find((entry) => !this.#refused.has(entry.id) && sameIssuer(entry.issuer, issuer));
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
    await Promise.all(
      [...this.#entries.values()].map((entry) =>
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
    const configuration = await this.#configuration(entry);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = randomBytes(24).toString('base64url');
    const nonce = client.randomNonce();
    await this.#store.putRecord<FederationState>('federationState', state, { providerId: entry.id, ...request, codeVerifier, nonce }, stateTtlSeconds);
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
    const configuration = await this.#configuration(entry);
    try {
      const tokens = await client.authorizationCodeGrant(configuration, new URL(`${this.redirectUri(entry)}?${callbackQuery}`), {
        pkceCodeVerifier: state.codeVerifier,
        expectedState: stateValue,
        expectedNonce: state.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      // Many providers put email only at userinfo (OIDC Core's default for scope claims).
      const profile: Record<string, unknown> =
        typeof idToken.email === 'string' ? idToken : { ...(await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub)), iss: idToken.iss, sub: idToken.sub };
      return {
        state,
        claims: {
          issuer: idToken.iss,
          subject: idToken.sub,
          email: typeof profile.email === 'string' ? normalizeEmail(profile.email) : undefined,
          emailVerified: profile.email_verified === true,
          name: typeof profile.name === 'string' ? profile.name : undefined,
        },
      };
    } catch (error) {
      if (clientAuthenticationRefused(error)) this.#logRefusedClient(entry);
      else this.#logger.info({ provider: entry.id, error: messageOf(error) }, 'work-account sign-in refused');
      throw new FederationError('upstream_error', error instanceof Error ? error.message : 'the work-account sign-in failed', { cause: error });
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

  /**
   * The provider refused guestpass's own credentials, so no one of this entry can link or sign
   * in until the operator acts: say what the likely cause is and what to change. The secret is
   * never logged, only whether form-encoding changes it.
   */
  #logRefusedClient(entry: FederationEntry): void {
    const method = entry.tokenEndpointAuthMethod;
    const encodingChangesCredentials = changedByFormEncoding(entry.clientId) || changedByFormEncoding(entry.clientSecret);
    const likelyCause =
      method === 'client_secret_basic' && encodingChangesCredentials
        ? 'guestpass sends the client ID and secret form-encoded inside the Basic header, as RFC 6749 §2.3.1 requires, and this secret (or ID) has characters ' +
          'that form-encoding changes (anything but letters and digits, such as - + / =); a provider that compares the Basic credentials without decoding ' +
          'them (LemonLDAP::NG does) refuses them. If the client ID and secret are right, set "tokenEndpointAuthMethod": "client_secret_post" on this entry'
        : `check the client ID and secret registered at the provider, and that it accepts ${method} for this client`;
    this.#logger.error(
      { provider: entry.id, issuer: entry.issuer, tokenEndpointAuthMethod: method, error: 'invalid_client' },
      `work-account provider "${entry.id}" refused guestpass's client credentials at its token endpoint (invalid_client): ${likelyCause} (docs/federation.md)`,
    );
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

/**
 * The token endpoint refused the client itself: `invalid_client` in the body (RFC 6749 §5.2), or
 * a 401 with an authentication challenge, which is how that error comes with Basic credentials.
 */
function clientAuthenticationRefused(error: unknown): boolean {
  if (error instanceof client.ResponseBodyError) return error.error === 'invalid_client';
  if (error instanceof client.WWWAuthenticateChallengeError) return error.status === 401;
  return false;
}

/** openid-client percent-encodes every character but letters and digits in Basic credentials. */
function changedByFormEncoding(value: string): boolean {
  return /[^A-Za-z0-9]/.test(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
