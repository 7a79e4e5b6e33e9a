/**
 * The oidc-provider configuration: clients, claims and scopes of SPEC §3, PKCE (S256) for every
 * client, exact redirect URIs, our interactions instead of the development ones, refresh-token
 * rotation, revocation, introspection, RP-initiated and back-channel logout. The pages
 * oidc-provider shows itself (errors, logout) are handed in as `ProviderPages`: HTML lives in
 * interactions/, which this layer does not import.
 */
import Provider, { errors, interactionPolicy, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import { oidcAdapterFor, TemporarilyUnavailable } from '../adapters/oidc_adapter.ts';
import type { OidcModelStore, PersonRecord, RecordStore, Store } from '../adapters/store.ts';
import type { Config } from '../config/schema.ts';
import { apiAudience } from './api/auth.ts';
import { registrationFeatures, requestPolicy } from './client_registration.ts';
import { ConfigError, isStoreUnavailable } from './errors.ts';
import { invitationIdPattern, invitationsClientId } from './invitations.ts';
import type { EligibilityCheck } from './eligibility.ts';
import { grantTtlSeconds, loadExistingGrantFor, readGrantContext, type GrantContext } from './grants.ts';
import { assertPresentationMetadata } from './client_presentation.ts';
import type { Clock } from './clock.ts';
import type { KeyMaterial } from './keys.ts';
import type { Logger } from './log.ts';
import type { People } from './people.ts';
import type { PolicySource } from './policy.ts';
import { CookieKeys } from './http/cookie_keys.ts';
import { policyRefusal } from './policy_rules.ts';

export { sharingIdPattern } from './sharing_id.ts';
import { sharingIdPattern } from './sharing_id.ts';

export const scopeClaims = {
  // amr comes from the session, so it reaches the ID token only; userinfo has no amr to give.
  openid: ['sub', 'amr'],
  email: ['email', 'email_verified'],
  profile: ['name'],
  sharing: ['user_type', 'sharing_id', 'groups', 'idp'],
} as const;

/** Scopes of the management API (SPEC §6), granted only through client_credentials for `<ISSUER>/api`. */
export const managementScopes = ['links:read', 'links:write', 'directory:read', 'directory:write', 'audit:read', 'settings:write', 'clients:read', 'clients:write', 'admin'] as const;

export interface ProviderDeps {
  config: Config;
  clock: Clock;
  keys: KeyMaterial;
  /** oidc-provider's models, the grant context beside them, and `ping` to fail closed when the store is away. */
  store: OidcModelStore & Pick<RecordStore, 'getRecord'> & Pick<Store, 'ping'>;
  people: People;
  policy: PolicySource;
  /** Who may be sent a code; a live session carries over only where a code would be sent too. */
  eligibility: EligibilityCheck;
  clients: ClientMetadata[];
  pages: ProviderPages;
}

type RpInitiatedLogout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/** The pages oidc-provider renders itself, in the person's language (see interactions/views/provider_pages.ts). */
export interface ProviderPages {
  renderError: NonNullable<Configuration['renderError']>;
  logoutSource: NonNullable<RpInitiatedLogout['logoutSource']>;
  postLogoutSuccessSource: NonNullable<RpInitiatedLogout['postLogoutSuccessSource']>;
}

/** Client metadata of our own: `guestpass_open_sign_in: true` lets a client have codes sent to any address (demos, tests). */
export const openSignInMetadata = 'guestpass_open_sign_in';

const day = 24 * 60 * 60;

/** Lifetimes of the tokens guestpass signs with its keys: a retired signing key stays published this long (src/keyring/). */
export const signedTokenTtlSeconds = { AccessToken: 60 * 60, ClientCredentials: 10 * 60, IdToken: 60 * 60 } as const;

/**
 * Everything guestpass needs from oidc-provider, as one `Configuration`. An application that
 * builds its own Provider merges its settings over this one (see docs/library.md).
 */
export function providerConfiguration(deps: ProviderDeps): Configuration {
  const { config, keys, store, people, policy } = deps;
  const https = config.issuer.startsWith('https:');
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: https };
  const reverificationSeconds = () => grantTtlSeconds(policy.snapshot().reverificationDays);

  return {
    // A grant's context is read with the grant (src/grants.ts), a sign-in's record with its
    // interaction; every request of a sign-in loads its interaction first, so the record goes with it.
    adapter: oidcAdapterFor(store, { recordsBeside: { Grant: 'grantContext', Interaction: 'signin' }, destroyedWithEntry: ['Interaction'] }),
    clients: deps.clients,
    jwks: keys.jwks as Configuration['jwks'],
    cookies: {
      keys: new CookieKeys(keys.cookieKeys),
      names: { session: 'gp_session', interaction: 'gp_interaction', resume: 'gp_resume' },
      long: cookieOptions,
      short: cookieOptions,
    },
    claims: { ...scopeClaims, acr: null, auth_time: null, sid: null, iss: null } as unknown as Configuration['claims'],
    scopes: ['openid', 'offline_access', 'email', 'profile', 'sharing', ...managementScopes],
    // Claims asked for by scope go into the ID token too: resource servers read them there.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    extraParams: {
      sharing_id(_ctx: KoaContextWithOIDC, value: unknown) {
        if (value !== undefined && (typeof value !== 'string' || !sharingIdPattern.test(value))) {
          throw new errors.InvalidRequest('sharing_id is malformed');
        }
      },
      // Only guestpass's own invitations client carries an invitation into a sign-in.
      invitation(ctx: KoaContextWithOIDC, value: unknown) {
        if (value === undefined) return;
        if (typeof value !== 'string' || !invitationIdPattern.test(value) || ctx.oidc.client?.clientId !== invitationsClientId) {
          throw new errors.InvalidRequest('invitation is not accepted here');
        }
      },
    } as unknown as Configuration['extraParams'],
    extraClientMetadata: {
      properties: [openSignInMetadata],
      validator(ctx, key, value, metadata) {
        if (key === openSignInMetadata && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${openSignInMetadata} must be a boolean`);
        }
        // Registration and RFC 7592 checks it again in their policy; this holds even without one.
        if (key === openSignInMetadata && value === true && ['registration', 'client_update'].includes(ctx?.oidc?.route ?? '')) {
          if (!requestPolicy(ctx)?.openSignIn) throw new errors.InvalidClientMetadata(`${openSignInMetadata}: not allowed by the initial access token's policy`);
        }
        // Called once per property of ours for every client, static or registered; this one carries the presentation check.
        if (key === openSignInMetadata) assertPresentationMetadata(metadata, { issuer: config.issuer, production: config.production });
      },
    },
    features: {
      devInteractions: { enabled: false },
      // RFC 7591 registration with an initial access token and its policy, RFC 7592 management (src/client_registration.ts).
      ...registrationFeatures({ issuer: config.issuer, store, managementScopes }),
      clientCredentials: { enabled: true },
      // The management API is a resource server of this provider: `resource=<ISSUER>/api` with
      // client_credentials gets a short-lived JWT access token with the management scopes the
      // client's own `scope` metadata lists, and nothing else can get one.
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        async getResourceServerInfo(ctx, resourceIndicator, client) {
          if (resourceIndicator !== apiAudience(config.issuer)) throw new errors.InvalidTarget(`unknown resource; the management API is ${apiAudience(config.issuer)}`);
          if (ctx.oidc.route !== 'token' || ctx.oidc.params?.grant_type !== 'client_credentials') {
            throw new errors.InvalidTarget('tokens for the management API come only from the client_credentials grant');
          }
          // A JWT access token is not stored, so nothing else here needs the store: ask it, so a
          // token is never issued while the store is away (fail closed, like every other endpoint).
          await store.ping().catch((error: unknown) => {
            throw isStoreUnavailable(error) ? new TemporarilyUnavailable(error) : error;
          });
          const allowed = new Set((client.scope ?? '').split(' '));
          return {
            scope: managementScopes.filter((scope) => allowed.has(scope)).join(' '),
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 10 * 60,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
      // A client learns about, and revokes, only tokens issued to it.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: deps.pages.logoutSource, postLogoutSuccessSource: deps.pages.postLogoutSuccessSource },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyFor(deps),
    },
    loadExistingGrant: loadExistingGrantFor(store),
    async findAccount(_ctx, sub, token) {
      const grantId = (token as { grantId?: string } | undefined)?.grantId;
      // Both reads at once: one round trip (and one socket write) instead of two in a row.
      const [person, context] = await Promise.all([people.get(sub), grantId ? readGrantContext(store, grantId) : undefined]);
      if (!person || person.disabled) return undefined;
      return { accountId: sub, claims: async () => claimsFor(person, context) };
    },
    // oidc-provider refuses to call non-public addresses (SSRF protection); an organisation whose
    // relying parties live on its private network can allow it.
    ...(config.allowPrivateNetworkCalls
      ? {
          fetch: (input: string | URL | Request, init?: RequestInit) => {
            const { dispatcher: _publicOnly, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
            return globalThis.fetch(input, rest);
          },
        }
      : {}),
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    ttl: {
      ...signedTokenTtlSeconds,
      AuthorizationCode: 60,
      Interaction: 60 * 60,
      // A session ends when its person must verify again; "keep me signed in" never outlives that.
      Session: (_ctx, session) => {
        const loginTs = (session as { loginTs?: number }).loginTs;
        if (typeof loginTs !== 'number') return reverificationSeconds();
        return Math.max(60, Math.ceil(loginTs + reverificationSeconds() - deps.clock.now() / 1000));
      },
      Grant: () => reverificationSeconds(),
      // A refresh token never outlives the reverification period.
      RefreshToken: () => Math.min(14 * day, reverificationSeconds()),
    },
    renderError: deps.pages.renderError,
  };
}

export function createProvider(config: Config, configuration: Configuration, logger: Logger): Provider {
  const provider = new Provider(config.issuer, configuration);
  provider.on('server_error', (_ctx, error) => logger.error({ err: error }, 'oidc-provider server error'));
  return provider;
}

/**
 * oidc-provider's prompts, plus one check of ours on the login prompt: a live session carries
 * over only where a fresh browser for the same address would be sent a code — with
 * `sharing_id`, to a current recipient of that live link of this client; without, to whom the
 * client may sign in (SPEC §2, `src/eligibility.ts`) — and only for an active person the sharing
 * policy still allows. Otherwise the person signs in again, so a forwarded link gives a
 * signed-in forwardee nothing.
 */
function interactionPolicyFor({ people, policy: sharingPolicy, clock, eligibility }: ProviderDeps) {
  const { Check, Prompt, base } = interactionPolicy;
  const policy = base();
  // How often a person must prove their address again (SPEC §5 reverificationDays), counted from
  // the sign-in that started the session; a lowered setting applies to sessions that exist.
  policy.get('login')!.checks.add(
    new Check('reverification_due', 'the person must verify their address again', 'login_required', async (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId || typeof session.loginTs !== 'number') return Check.NO_NEED_TO_PROMPT;
      const { reverificationDays } = await sharingPolicy.get();
      return clock.now() - session.loginTs * 1000 >= reverificationDays * day * 1000 ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  policy.get('login')!.checks.add(
    new Check('sharing_link_access', 'the signed-in person has no access to this link', 'login_required', async (ctx) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!accountId) return Check.NO_NEED_TO_PROMPT;
      const person = await people.get(accountId);
      if (!person || person.disabled) return Check.REQUEST_PROMPT;
      // The sharing policy binds a live session as it binds a code (SPEC §5): a change that now
      // excludes the person applies at once, not when their session runs out.
      if (await policyRefusal(await sharingPolicy.get(), person.emailNormalized, people, person)) return Check.REQUEST_PROMPT;
      const sharingId = oidc.params?.sharing_id;
      const verdict = await eligibility({ emailNormalized: person.emailNormalized, clientId: oidc.client!.clientId, sharingId: typeof sharingId === 'string' ? sharingId : undefined });
      return verdict.kind === 'deliver' ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  // prompt=select_account: only when the relying party asks; the page offers to continue as the
  // signed-in person or to use another address.
  policy.add(new Prompt({ name: 'select_account', requestable: true }), 1);
  return policy;
}

/** oidc-provider checks static clients on first use; we check them at start-up, naming the bad one. */
export async function assertClientsValid(provider: Provider, clients: readonly { client_id: string }[]): Promise<void> {
  const problems: string[] = [];
  for (const [index, { client_id }] of clients.entries()) {
    try {
      await provider.Client.find(client_id);
    } catch (error) {
      const description = (error as { error_description?: string }).error_description ?? (error as Error).message;
      problems.push(`clients[${index}] (client_id "${client_id}"): ${description}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The claims of SPEC §3 for a person, in the context of the sign-in a token stems from. */
export function claimsFor(person: PersonRecord, context: GrantContext | undefined): { sub: string; [claim: string]: unknown } {
  return {
    sub: person.id,
    email: person.emailNormalized,
    email_verified: true,
    name: person.displayName ?? person.email,
    user_type: person.userType,
    ...(context?.sharingId ? { sharing_id: context.sharingId } : {}),
    ...(person.userType === 'adhoc' ? {} : { groups: person.groups }),
    ...(context?.idp ? { idp: context.idp } : {}),
  };
}
