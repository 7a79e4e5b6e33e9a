/**
 * The host's oidc-provider configuration with guestpass's contribution merged in. The host keeps
 * what is its own — adapter, keys, cookies, features, its clients and accounts, its login —
 * and guestpass adds what its clients need, for its clients only:
 *
 * - its clients (each marked `guestpass_sign_in: true`; a host client may carry the mark too),
 *   whose sign-ins go to guestpass's pages (`interactions.url`) under guestpass's checks:
 *   reverification, "this person is on this link", PKCE S256, grants per link;
 * - its scopes and claims (`sharing`: `user_type`, `sharing_id`, …), its authorization
 *   parameters (`sharing_id`), its client metadata;
 * - `findAccount`: a guestpass person by `sub` (a disabled one is nobody), anyone else asked of
 *   the host's `findAccount`.
 *
 * The threat this guards: a session is one per browser and shared by every client of the
 * Provider. A recipient's session must never sign in to the host's own clients (its login
 * prompt asks again when the session's account is a guestpass person), and a host account's
 * session never satisfies guestpass's link checks (that person is not on the link).
 */
import { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

import type { People } from '../people.ts';
import { managementScopes } from '../provider.ts';

/** Client metadata that hands a client's sign-ins to guestpass. */
export const guestpassSignInMetadata = 'guestpass_sign_in';

type Client = { clientId: string; [metadata: string]: unknown } | undefined;

export function isGuestpassClient(client: Client): boolean {
  return client?.[guestpassSignInMetadata] === true;
}

/** oidc-provider's own defaults, for a host that leaves a setting to them. */
const day = 24 * 60 * 60;
const defaultTtl = { Grant: 14 * day, Session: 14 * day, RefreshToken: 14 * day } as const;

export function mergeConfiguration(host: Configuration, ours: Configuration, people: Pick<People, 'get'>): Configuration {
  if (host.features?.devInteractions?.enabled !== false) {
    throw new Error('guestpass plugin: set features.devInteractions.enabled to false in your configuration (oidc-provider\'s development login would answer at /interaction/… for every client)');
  }
  const ourMetadata = ours.extraClientMetadata!;
  const ourPolicy = ours.interactions!.policy!;
  const ourLogin = ourPolicy.find((prompt) => prompt.name === 'login')!;
  const hostPolicy = host.interactions?.policy ? [...host.interactions.policy] : interactionPolicy.base();
  const hostLogin = hostPolicy.find((prompt) => prompt.name === 'login');
  if (!hostLogin) throw new Error('guestpass plugin: your interaction policy needs a login prompt');
  addGuestpassChecks(hostLogin, ourLogin, people);

  const hostUrl = host.interactions?.url ?? ((_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}`);
  const ourUrl = ours.interactions!.url!;

  return {
    ...host,
    adapter: host.adapter ?? ours.adapter,
    jwks: host.jwks ?? ours.jwks,
    cookies: host.cookies ?? ours.cookies,
    clients: [...(host.clients ?? []), ...(ours.clients ?? []).map((client) => ({ ...client, [guestpassSignInMetadata]: true }))],
    claims: mergeClaims(host.claims, ours.claims),
    // The management API and its scopes are the standalone server's (a host calls guestpass in-process).
    scopes: [...new Set([...(host.scopes ? [...host.scopes] : ['openid', 'offline_access']), ...[...(ours.scopes ?? [])].filter((scope) => !(managementScopes as readonly string[]).includes(scope))])],
    // Resource servers read who signed in from the ID token; a host that says otherwise keeps its say.
    conformIdTokenClaims: host.conformIdTokenClaims ?? false,
    extraParams: mergeExtraParams(host.extraParams, ours.extraParams),
    extraClientMetadata: {
      properties: [...new Set([...(host.extraClientMetadata?.properties ?? []), ...(ourMetadata.properties ?? []), guestpassSignInMetadata])],
      validator(ctx, key, value, metadata) {
        if (key === guestpassSignInMetadata) {
          if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${guestpassSignInMetadata} must be a boolean`);
          return;
        }
        if ((ourMetadata.properties ?? []).includes(key)) return ourMetadata.validator?.(ctx, key, value, metadata);
        return host.extraClientMetadata?.validator?.(ctx, key, value, metadata);
      },
    },
    pkce: {
      required: (ctx, client) => isGuestpassClient(client as unknown as Client) || (host.pkce?.required ? host.pkce.required(ctx, client) : client.clientAuthMethod === 'none'),
    },
    interactions: {
      policy: hostPolicy,
      url: (ctx, interaction) => (isGuestpassClient(ctx.oidc.client as unknown as Client) ? ourUrl(ctx, interaction) : hostUrl(ctx, interaction)),
    },
    async loadExistingGrant(ctx) {
      if (isGuestpassClient(ctx.oidc.client as unknown as Client)) return ours.loadExistingGrant!(ctx);
      if (host.loadExistingGrant) return host.loadExistingGrant(ctx);
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    async findAccount(ctx, sub, token) {
      // A guestpass person is guestpass's to answer for, also when disabled (then: nobody).
      if (await people.get(sub)) return ours.findAccount!(ctx, sub, token);
      return host.findAccount?.(ctx, sub, token);
    },
    ttl: {
      ...host.ttl,
      Grant: pick('Grant', host, ours),
      Session: pick('Session', host, ours),
      RefreshToken: pick('RefreshToken', host, ours),
    },
  };
}

/**
 * guestpass's checks on the login prompt, asked for guestpass's clients only; and one of ours
 * for the host's clients: a session of a guestpass person signs in to none of them.
 */
function addGuestpassChecks(hostLogin: interactionPolicy.Prompt, ourLogin: interactionPolicy.Prompt, people: Pick<People, 'get'>): void {
  const { Check } = interactionPolicy;
  for (const reason of ['reverification_due', 'sharing_link_access']) {
    const check = ourLogin.checks.get(reason);
    if (!check) throw new Error(`guestpass plugin: guestpass's ${reason} check is missing`);
    hostLogin.checks.add(
      new Check(reason, check.description, check.error ?? 'login_required', async (ctx) => (isGuestpassClient(ctx.oidc.client as unknown as Client) ? check.check(ctx) : Check.NO_NEED_TO_PROMPT)),
    );
  }
  hostLogin.checks.add(
    new Check('guestpass_account', 'a recipient signed in with guestpass signs in to this client with its own login', 'login_required', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || isGuestpassClient(ctx.oidc.client as unknown as Client)) return Check.NO_NEED_TO_PROMPT;
      return (await people.get(accountId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
}

type TtlName = 'Grant' | 'Session' | 'RefreshToken';

/** A TTL that is guestpass's for guestpass's clients and the host's (or oidc-provider's default) otherwise. */
function pick(name: TtlName, host: Configuration, ours: Configuration) {
  const resolve = (value: unknown, args: unknown[]): number => (typeof value === 'function' ? (value as (...a: unknown[]) => number)(...args) : typeof value === 'number' ? value : defaultTtl[name]);
  return (ctx: KoaContextWithOIDC, ...rest: unknown[]): number => {
    const client = (ctx?.oidc?.client ?? rest[1]) as Client;
    return isGuestpassClient(client) ? resolve(ours.ttl?.[name], [ctx, ...rest]) : resolve(host.ttl?.[name], [ctx, ...rest]);
  };
}

function mergeClaims(host: Configuration['claims'], ours: Configuration['claims']): Configuration['claims'] {
  const merged: Record<string, unknown> = { ...(host ?? { openid: ['sub'] }) };
  for (const [scope, claims] of Object.entries(ours ?? {})) {
    const existing = merged[scope];
    merged[scope] = Array.isArray(existing) && Array.isArray(claims) ? [...new Set([...existing, ...claims])] : (existing ?? claims);
  }
  return merged as Configuration['claims'];
}

function mergeExtraParams(host: Configuration['extraParams'], ours: Configuration['extraParams']): Configuration['extraParams'] {
  const asObject = (params: Configuration['extraParams']) =>
    params === undefined ? {} : Array.isArray(params) || params instanceof Set ? Object.fromEntries([...(params as Iterable<string>)].map((name) => [name, null])) : (params as Record<string, unknown>);
  return { ...asObject(host), ...asObject(ours) } as Configuration['extraParams'];
}
