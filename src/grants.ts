/**
 * Grants and what a sign-in was for. oidc-provider keeps one grant per session and client; we
 * make a fresh grant at the end of every interaction and remember, beside it, the context the
 * person was verified in: the secure link (`sharing_id`) and, for federated sign-ins, the
 * upstream issuer (`idp`). Tokens carry the grant id, so the ID token and userinfo of *this*
 * sign-in report *its* link, even when the same browser later signs in to another link.
 *
 * Each grant also gets a `sid` of its own, which the session takes over when it adopts the
 * grant: the ID token's `sid`, and a back-channel logout token's, name one sign-in for one link,
 * not the browser. oidc-provider's default (one `sid` per browser and client) would make the
 * logout token for a link someone lost end the relying party's session for another link of the
 * same person in the same browser. A grant made for a link is indexed under it, so that ending
 * access to the link finds it (src/link_access.ts).
 */
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';

import { z } from 'zod';

import { readRecordOnce, saveWithRecord } from '../adapters/oidc_adapter.ts';
import type { LinkStore, RecordNamespace, RecordStore } from '../adapters/store.ts';
import { readRecord } from './records.ts';
import { randomToken } from './random_pool.ts';

// clientId, email and sid are absent from contexts stored before they were recorded.
const grantContextSchema = z.object({
  personId: z.string(),
  sharingId: z.string().optional(),
  idp: z.string().optional(),
  clientId: z.string().optional(),
  /** The person's normalised address, to tell whose grant it is when a recipient is removed. */
  email: z.string().optional(),
  sid: z.string().optional(),
});
export type GrantContext = z.infer<typeof grantContextSchema>;

/** Grants live as long as the longest session may. */
export function grantTtlSeconds(reverificationDays: number): number {
  return reverificationDays * 24 * 60 * 60;
}

export interface GrantRequest {
  accountId: string;
  clientId: string;
  /** The authorization request's parameters (scope, claims). */
  params: Record<string, unknown>;
  /** What the sign-in was for; the client and a fresh `sid` are added here. */
  context: Omit<GrantContext, 'clientId' | 'sid'> & { email: string };
  /** The grant's lifetime (ttl.Grant); its context is kept a day longer, never shorter. */
  ttlSeconds: number;
}

export async function createGrant(provider: Provider, store: Pick<RecordStore, 'putRecord'> & Pick<LinkStore, 'indexLinkGrant'>, request: GrantRequest): Promise<string> {
  const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
  if (typeof request.params.scope === 'string') grant.addOIDCScope(request.params.scope);
  const claims = requestedClaimNames(request.params.claims);
  if (claims.length > 0) grant.addOIDCClaims(claims);
  // Named here (oidc-provider keeps an id it is given), so the context can be saved with the grant.
  const grantId = (grant.jti = randomToken(32));
  const keepSeconds = request.ttlSeconds + 24 * 60 * 60;
  const context: GrantContext = { ...request.context, clientId: request.clientId, sid: randomToken(16) };
  // In the grant's own store step where the store can (our adapter, off Cluster); else just after it.
  const withGrant = await saveWithRecord('Grant', grantId, { namespace: 'grantContext', id: grantId, value: context, ttlSeconds: keepSeconds }, () => grant.save());
  if (!withGrant) await store.putRecord<GrantContext>('grantContext', grantId, context, keepSeconds);
  // Indexed before the sign-in can finish: no token of this grant exists that ending access to
  // the link would not find. The entry lives as long as the context it is read with.
  if (request.context.sharingId) await store.indexLinkGrant(request.context.sharingId, grantId, keepSeconds);
  return grantId;
}

/**
 * Read once per request: oidc-provider's read of the grant itself reads it in the same store step
 * (`oidcAdapterFor`'s `recordsBeside`), and a request that read the grant reads no more.
 */
export function readGrantContext(store: Pick<RecordStore, 'getRecord'>, grantId: string): Promise<GrantContext | undefined> {
  const once = { getRecord: (namespace: RecordNamespace, id: string) => readRecordOnce(namespace, id, () => store.getRecord(namespace, id)) };
  return readRecord(once, 'grantContext', grantId, grantContextSchema);
}

/**
 * oidc-provider's `loadExistingGrant`: reuse the session's grant only when it was made for the
 * same link as this request; otherwise the request goes through an interaction, which checks
 * the person against this link and records a new grant for it, which the session adopts here.
 */
export function loadExistingGrantFor(store: Pick<RecordStore, 'getRecord'>) {
  return async function loadExistingGrant(ctx: KoaContextWithOIDC) {
    const { oidc } = ctx;
    // The grant first: reading it reads its context in the same store step (readGrantContext).
    const fromInteraction = oidc.result?.consent?.grantId;
    if (fromInteraction) {
      const grant = await oidc.provider.Grant.find(fromInteraction);
      // The session takes the sign-in's own sid with its grant (oidc-provider keeps a sid it finds).
      const sid = (await readGrantContext(store, fromInteraction))?.sid;
      if (sid && oidc.session) oidc.session.sidFor(oidc.client!.clientId, sid);
      return grant;
    }
    const grantId = oidc.session?.grantIdFor(oidc.client!.clientId);
    if (!grantId) return undefined;
    const grant = await oidc.provider.Grant.find(grantId);
    const context = await readGrantContext(store, grantId);
    const requestedSharingId = typeof oidc.params?.sharing_id === 'string' ? oidc.params.sharing_id : undefined;
    if (!context || context.sharingId !== requestedSharingId || context.personId !== oidc.session?.accountId) return undefined;
    return grant;
  };
}

function requestedClaimNames(claims: unknown): string[] {
  if (typeof claims !== 'string') return [];
  try {
    const parsed = JSON.parse(claims) as { id_token?: object; userinfo?: object };
    return [...new Set([...Object.keys(parsed.id_token ?? {}), ...Object.keys(parsed.userinfo ?? {})])];
  } catch {
    return [];
  }
}
