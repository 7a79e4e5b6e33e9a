/**
 * Dynamic client registration (RFC 7591) and client configuration management (RFC 7592),
 * through oidc-provider's own `registration` and `registrationManagement` features.
 *
 * Nobody registers without an initial access token (IAT) an administrator issued (API or CLI):
 * anonymous, unknown and expired tokens get 401. Each IAT carries a **policy**: which grant
 * types and management scopes the new client may ask for, whether it may have open sign-in,
 * and whether the token is single-use. oidc-provider keeps an IAT's `policies` (a list of
 * names of configured policy functions) and hands them on to the registration access token
 * (RAT) of the client it registers, so RFC 7592 updates run the same policy: a client can never
 * widen itself beyond what its IAT allowed. The policy is therefore written as names:
 * `guestpass` (the one that checks), then one name per allowance (`grant:refresh_token`,
 * `scope:links:read`, `open_sign_in`, `single_use`), each configured as a no-op so
 * oidc-provider accepts it.
 *
 * A single-use IAT is consumed atomically in the store (`consumeModel`) after the metadata has
 * been checked, so of two parallel registrations with it exactly one registers.
 */
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { OidcModelStore } from '../adapters/store.ts';
import { TemporarilyUnavailable } from '../adapters/oidc_adapter.ts';
import { isStoreUnavailable } from './errors.ts';

/** Grant types a dynamic client may be allowed. */
export const registrableGrantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
/** Scopes every client may list: the sign-in ones (SPEC §3). Management scopes need the policy. */
export const signInScopes = ['openid', 'offline_access', 'email', 'profile', 'sharing'] as const;

export interface RegistrationPolicy {
  grantTypes: readonly (typeof registrableGrantTypes)[number][];
  /** Management scopes (SPEC §6) the client may list in its `scope`. */
  scopes: readonly string[];
  openSignIn: boolean;
  singleUse: boolean;
}

export const defaultRegistrationPolicy: RegistrationPolicy = { grantTypes: ['authorization_code', 'refresh_token'], scopes: [], openSignIn: false, singleUse: false };

const checker = 'guestpass';

/** The policy as oidc-provider's `policies` names. */
export function policyNames(policy: RegistrationPolicy): string[] {
  return [
    checker,
    ...policy.grantTypes.map((grantType) => `grant:${grantType}`),
    ...policy.scopes.map((scope) => `scope:${scope}`),
    ...(policy.openSignIn ? ['open_sign_in'] : []),
    ...(policy.singleUse ? ['single_use'] : []),
  ];
}

export function policyFromNames(names: readonly string[]): RegistrationPolicy {
  const after = (prefix: string) => names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  return {
    grantTypes: after('grant:') as RegistrationPolicy['grantTypes'],
    scopes: after('scope:'),
    openSignIn: names.includes('open_sign_in'),
    singleUse: names.includes('single_use'),
  };
}

/** The redirect URIs of every client made at runtime are https when the issuer is (production). */
export function checkRedirectSchemes(issuer: string, metadata: Partial<ClientMetadata>): void {
  if (!issuer.startsWith('https:')) return;
  for (const field of ['redirect_uris', 'post_logout_redirect_uris'] as const) {
    const uris = (metadata[field] ?? []) as unknown[];
    const bad = uris.find((uri) => typeof uri !== 'string' || !uri.startsWith('https://'));
    // oidc-provider's InvalidRedirectUri has a fixed description (the authorization request's); ours names the field.
    if (bad !== undefined) throw Object.assign(new errors.InvalidRedirectUri(), { error_description: `${field}: ${String(bad)} must be an https URI (the issuer is https)` });
  }
}

/** What the metadata asks for beyond the policy, as an `invalid_client_metadata` naming the field. */
export function checkAgainstPolicy(policy: RegistrationPolicy, metadata: Partial<ClientMetadata>): void {
  const grantTypes = (metadata.grant_types ?? ['authorization_code']) as string[];
  const extraGrant = grantTypes.find((grantType) => !(policy.grantTypes as readonly string[]).includes(grantType));
  if (extraGrant !== undefined) throw new errors.InvalidClientMetadata(`grant_types: ${extraGrant} is not allowed by the initial access token's policy (allowed: ${policy.grantTypes.join(', ') || 'none'})`);
  const scopes = typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [];
  const extraScope = scopes.find((scope) => !(signInScopes as readonly string[]).includes(scope) && !policy.scopes.includes(scope));
  if (extraScope !== undefined) throw new errors.InvalidClientMetadata(`scope: ${extraScope} is not allowed by the initial access token's policy`);
  if (metadata.guestpass_open_sign_in === true && !policy.openSignIn) {
    throw new errors.InvalidClientMetadata("guestpass_open_sign_in: not allowed by the initial access token's policy");
  }
}

/** The policy of the token a registration or RFC 7592 request came with, if it has ours. */
export function requestPolicy(ctx: KoaContextWithOIDC | undefined): RegistrationPolicy | undefined {
  const entities = ctx?.oidc?.entities as { InitialAccessToken?: { policies?: string[] }; RegistrationAccessToken?: { policies?: string[] } } | undefined;
  const names = entities?.RegistrationAccessToken?.policies ?? entities?.InitialAccessToken?.policies;
  return names?.includes(checker) ? policyFromNames(names) : undefined;
}

type Features = NonNullable<Configuration['features']>;

/** `features.registration` and `features.registrationManagement` for guestpass. */
export interface RegistrationDeps {
  issuer: string;
  store: Pick<OidcModelStore, 'consumeModel'>;
  /** The management scopes a policy may allow (`managementScopes` of provider.ts). */
  managementScopes: readonly string[];
}

export function registrationFeatures({ issuer, store, managementScopes }: RegistrationDeps): Pick<Features, 'registration' | 'registrationManagement'> {
  const noOp = async () => {};
  const allowances = [
    ...registrableGrantTypes.map((grantType) => `grant:${grantType}`),
    ...managementScopes.map((scope) => `scope:${scope}`),
    'open_sign_in',
    'single_use',
  ];
  const policies: Record<string, (ctx: KoaContextWithOIDC, properties: ClientMetadata) => Promise<void>> = Object.fromEntries(allowances.map((name) => [name, noOp]));
  policies[checker] = async (ctx, properties) => {
    const policy = requestPolicy(ctx)!;
    checkRedirectSchemes(issuer, properties);
    checkAgainstPolicy(policy, properties);
    if (ctx.oidc.route !== 'registration' || !policy.singleUse) return;
    // Check everything else first, so a request that is refused does not use the token up.
    const Client = ctx.oidc.provider.Client as unknown as new (metadata: ClientMetadata, context: KoaContextWithOIDC) => unknown;
    new Client(properties, ctx);
    const iat = (ctx.oidc.entities as { InitialAccessToken?: { jti: string } }).InitialAccessToken!;
    const outcome = await store.consumeModel('InitialAccessToken', iat.jti).catch((error: unknown) => {
      throw isStoreUnavailable(error) ? new TemporarilyUnavailable(error) : error;
    });
    if (outcome !== 'consumed') throw new errors.InvalidToken('the initial access token has already been used');
  };
  return {
    registration: {
      enabled: true,
      initialAccessToken: true,
      policies,
      issueRegistrationAccessToken: true,
    },
    // A new registration access token on every RFC 7592 update: a leaked one stops working once the client uses its own.
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  };
}
