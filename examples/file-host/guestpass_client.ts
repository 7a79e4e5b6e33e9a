/**
 * Everything the file host asks of guestpass — over HTTP only, as any client would. Of
 * guestpass's source it takes only the API's view types (`src/api/views.ts`), to check its own
 * schemas against them at compile time (the pages take its `html` template too).
 *
 * One client_id does two jobs (docs/resource-servers.md, "Secure links: the resource-server guide"):
 *
 * - **Management API.** `client_credentials` with `resource=<ISSUER>/api` gives a short-lived
 *   JWT access token (10 minutes) with the `links:*` scopes the client is registered for. It is
 *   cached and renewed a minute before it expires (one request at a time, however many pages
 *   ask at once); a 401 drops it and the call is tried once more with a new one.
 * - **Relying party.** An authorization URL with PKCE (S256), `state`, `nonce` and the link's
 *   `sharing_id`, and the callback, where openid-client checks the signature, `iss`, `aud`,
 *   expiry, `nonce`, `state` and PKCE. The resource server's own checks on the claims come
 *   after, in `recipient_claims.ts`.
 *
 * Every answer of the API is parsed with a schema before the rest of the host sees it.
 */
import * as client from 'openid-client';
import { z } from 'zod';

import type { LinkView, RecipientView } from '../../src/api/views.ts';

export interface GuestpassClientOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where guestpass sends people back to; registered exactly so at guestpass. */
  redirectUri: string;
  /** Lets the client talk to an `http://` issuer (development and tests only). */
  allowInsecureHttp?: boolean;
  /** For tests: the clock the token cache reads, and the fetch every request goes through. */
  now?: () => number;
  fetch?: typeof fetch;
}

const recipientSchema = z.object({
  email: z.string(),
  userType: z.string(),
  addedAt: z.string(),
  verifiedAt: z.string().optional(),
  lastAccessAt: z.string().optional(),
}) satisfies z.ZodType<RecipientView>;
const linkSchema = z.object({
  id: z.string(),
  resource: z.string(),
  recipients: z.array(recipientSchema),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().optional(),
}) satisfies z.ZodType<Pick<LinkView, 'id' | 'resource' | 'recipients' | 'createdAt' | 'createdBy' | 'expiresAt'>>;
const linkPageSchema = z.object({ items: z.array(linkSchema), nextCursor: z.string().nullable() });
const apiErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

export type Link = z.infer<typeof linkSchema>;
export type LinkRecipient = z.infer<typeof recipientSchema>;

/** What the file host keeps between sending a person to guestpass and their coming back. */
export interface SignInAttempt {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The link being opened: the ID token must be for this one. */
  sharingId: string;
  /** Epoch ms after which the attempt is forgotten. */
  expiresAt: number;
}

/**
 * guestpass refused a management call, or could not be reached (status 503). `during` tells a
 * refused call (the owner typed something guestpass does not accept) from a refused token or
 * discovery (the file host is not set up right: secret, grant types, scopes, issuer).
 */
export class GuestpassApiError extends Error {
  override name = 'GuestpassApiError';
  readonly during: 'discovery' | 'token' | 'api';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    options: { cause?: unknown; during?: 'discovery' | 'token' | 'api' } = {},
  ) {
    super(`${status} ${error}: ${description}`, { cause: options.cause });
    this.during = options.during ?? 'api';
  }
}

const managementScope = 'links:read links:write';
const signInScope = 'openid email sharing';
const signInAttemptSeconds = 10 * 60;
/** Renew this long before the token expires, so a request never goes out with one about to lapse. */
const renewBeforeExpirySeconds = 60;
/** The most links one resource is shown with (pages of 100). */
const maxListedLinks = 500;

export class GuestpassClient {
  readonly #options: GuestpassClientOptions;
  readonly #issuer: string;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  #configuration: Promise<client.Configuration> | undefined;
  #token: { value: string; renewAt: number } | undefined;
  #pendingToken: Promise<string> | undefined;

  constructor(options: GuestpassClientOptions) {
    this.#options = options;
    this.#issuer = options.issuer.replace(/\/+$/, '');
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? fetch;
  }

  // --- the management API ------------------------------------------------------------------------

  async createLink(input: { resource: string; recipients: string[]; expiresAt?: string | undefined }): Promise<Link> {
    return linkSchema.parse(await this.#api('POST', '/links', input));
  }

  /** Every link of one resource, newest first (following `nextCursor`). */
  async linksFor(resource: string): Promise<Link[]> {
    const links: Link[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ resource, limit: '100', ...(cursor ? { cursor } : {}) });
      const page = linkPageSchema.parse(await this.#api('GET', `/links?${query}`));
      links.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && links.length < maxListedLinks);
    return links;
  }

  /** The link, or `undefined` when guestpass has no such link of ours (deleted, or never ours). */
  async findLink(sharingId: string): Promise<Link | undefined> {
    try {
      return linkSchema.parse(await this.#api('GET', `/links/${encodeURIComponent(sharingId)}`));
    } catch (error) {
      if (error instanceof GuestpassApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async addRecipients(sharingId: string, emails: string[]): Promise<Link> {
    return linkSchema.parse(await this.#api('POST', `/links/${encodeURIComponent(sharingId)}/recipients`, { emails }));
  }

  async removeRecipient(sharingId: string, email: string): Promise<Link> {
    return linkSchema.parse(await this.#api('DELETE', `/links/${encodeURIComponent(sharingId)}/recipients/${encodeURIComponent(email)}`));
  }

  async deleteLink(sharingId: string): Promise<void> {
    await this.#api('DELETE', `/links/${encodeURIComponent(sharingId)}`);
  }

  /**
   * Tells guestpass the person was just served the file, so the owner page's "Last seen" and the
   * audit trail (`SecureLinkAccessed`) are true. False when guestpass no longer has them on the
   * link (or the link at all): serve nothing then.
   */
  async reportAccess(sharingId: string, email: string): Promise<boolean> {
    try {
      await this.#api('POST', `/links/${encodeURIComponent(sharingId)}/recipients/${encodeURIComponent(email)}/access`);
      return true;
    } catch (error) {
      if (error instanceof GuestpassApiError && error.status === 404) return false;
      throw error;
    }
  }

  async #api(method: string, path: string, body?: unknown, retried = false): Promise<unknown> {
    const token = await this.#managementToken();
    let response: Response;
    try {
      response = await this.#fetch(`${this.#issuer}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new GuestpassApiError(503, 'unreachable', 'guestpass did not answer; try again shortly', { cause });
    }
    if (response.status === 204) return undefined;
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) return payload;
    if (response.status === 401 && !retried) {
      // The token may have been revoked, or guestpass restarted with other keys: one new token, one retry.
      this.#token = undefined;
      return this.#api(method, path, body, true);
    }
    const problem = apiErrorSchema.safeParse(payload);
    throw problem.success
      ? new GuestpassApiError(response.status, problem.data.error, problem.data.error_description ?? problem.data.error)
      : new GuestpassApiError(response.status, 'unexpected_response', `guestpass answered ${response.status}`);
  }

  #managementToken(): Promise<string> {
    if (this.#token && this.#now() < this.#token.renewAt) return Promise.resolve(this.#token.value);
    this.#pendingToken ??= this.#requestManagementToken().finally(() => {
      this.#pendingToken = undefined;
    });
    return this.#pendingToken;
  }

  async #requestManagementToken(): Promise<string> {
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof client.clientCredentialsGrant>>;
    try {
      tokens = await client.clientCredentialsGrant(config, { scope: managementScope, resource: `${this.#issuer}/api` });
    } catch (cause) {
      throw tokenProblem(cause);
    }
    const lifetime = tokens.expiresIn() ?? 0;
    const margin = Math.min(renewBeforeExpirySeconds, lifetime / 2);
    this.#token = { value: tokens.access_token, renewAt: this.#now() + (lifetime - margin) * 1000 };
    return tokens.access_token;
  }

  // --- the relying party ---------------------------------------------------------------------------

  /** Where to send a person who opens a link, and what to keep until they come back. */
  async startSignIn(sharingId: string): Promise<{ url: URL; attempt: SignInAttempt }> {
    const config = await this.configuration();
    const attempt: SignInAttempt = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      sharingId,
      expiresAt: this.#now() + signInAttemptSeconds * 1000,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#options.redirectUri,
      scope: signInScope,
      code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier),
      code_challenge_method: 'S256',
      state: attempt.state,
      nonce: attempt.nonce,
      // Only this link's recipients can be sent a code, and the ID token will name this link.
      sharing_id: sharingId,
    });
    return { url, attempt };
  }

  /**
   * Redeems the code of the callback. Throws openid-client's errors: `AuthorizationResponseError`
   * when guestpass answered with an error (`access_denied`, `login_required`, …), others when a
   * check fails. Returns the ID token's claims, already verified.
   */
  async finishSignIn(callbackUrl: URL, attempt: SignInAttempt): Promise<client.IDToken> {
    const config = await this.configuration();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    // The access token is not kept: the file host keeps its own session from the ID token.
    return tokens.claims()!;
  }

  /** guestpass's metadata, discovered once (and again after a failure). */
  configuration(): Promise<client.Configuration> {
    const { clientId, clientSecret, allowInsecureHttp } = this.#options;
    this.#configuration ??= client
      .discovery(new URL(this.#issuer), clientId, clientSecret, undefined, {
        execute: allowInsecureHttp ? [client.allowInsecureRequests] : [],
        ...(this.#options.fetch ? { [client.customFetch]: this.#options.fetch } : {}),
      })
      .catch((cause: unknown) => {
        this.#configuration = undefined;
        throw new GuestpassApiError(503, 'unreachable', `guestpass discovery at ${this.#issuer} failed`, { cause, during: 'discovery' });
      });
    return this.#configuration;
  }
}

function tokenProblem(cause: unknown): GuestpassApiError {
  if (cause instanceof client.ResponseBodyError) {
    // e.g. invalid_client (wrong secret), invalid_scope (client not registered for links:*), invalid_target.
    return new GuestpassApiError(cause.status, cause.error, cause.error_description ?? cause.error, { cause, during: 'token' });
  }
  if (cause instanceof GuestpassApiError) return cause;
  return new GuestpassApiError(503, 'unreachable', 'could not get a management token from guestpass', { cause, during: 'token' });
}
