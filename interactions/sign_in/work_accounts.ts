/**
 * Work accounts in the sign-in: what an upstream answer may change (the linking rules of SPEC §1
 * and §1b; what to offer is `src/federation_planner.ts`):
 *
 * - Identities are linked by (issuer, subject) only — never by email.
 * - Linking needs the upstream `email` (or the claim the entry names) to equal the address this
 *   interaction verified, and the entry's verification claim (`email_verified`, or `xms_edov`
 *   for Entra) to be `true`. For a multi-tenant entry the ID token's `iss` must also be exactly
 *   the issuer of the tenant that owns the address's domain (nOAuth: any tenant can write any
 *   address into its own users' `email`, and only the owner of the domain is believed). When the
 *   entry names a domain claim (`hd`), it must equal the address's domain, at every sign-in.
 * - An upgrade links only after a code verification in the same
 *   interaction (the `federating` step carries it); a redemption links only with an invitation
 *   the browser proved it holds (its ticket), for the invited address, redeemed here once — and
 *   never while the policy turns work accounts off (`guestUpgrade: "off"`).
 * - An identity already linked to someone else, or a second identity from the same issuer for
 *   an address, is refused. A refusal leaves the person as they were.
 * - A person with a linked identity signs in only with that identity; the upstream account must
 *   be the one linked to the address they entered.
 */
import type { PersonRecord } from '../../adapters/store.ts';
import type { FederationEntry } from '../../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../../src/audit.ts';
import { domainOf } from '../../src/emails.ts';
import type { Federation, UpstreamClaims } from '../../src/federation.ts';
import type { Invitations } from '../../src/invitations.ts';
import type { People } from '../../src/people.ts';
import type { SignInRecord, SignInStep, UpgradeFailure } from './state.ts';

export type UpstreamVerdict = { ok: true; person: PersonRecord } | { ok: false; reason: UpgradeFailure };

interface RuleDeps {
  people: Pick<People, 'get' | 'findByEmail' | 'findByIdentity' | 'linkIdentity'>;
  audit: AuditLog;
  invitations: Pick<Invitations, 'redeem'>;
  federation: Pick<Federation, 'tenantIssuerFor'>;
}

/** Applies an upstream answer to the `federating` step of a sign-in. */
export async function applyUpstreamAnswer(
  { people, audit, invitations, federation }: RuleDeps,
  record: SignInRecord,
  step: Extract<SignInStep, { name: 'federating' }>,
  entry: Pick<FederationEntry, 'id' | 'members' | 'claims' | 'tenants'>,
  claims: UpstreamClaims,
  origin: RequestOrigin,
): Promise<UpstreamVerdict> {
  const identity = { issuer: claims.issuer, subject: claims.subject };
  /** Refuses with `reason` on the page; the audit may say more precisely why (`because`). */
  const refuse = async (reason: UpgradeFailure, personId?: string, because: string = reason): Promise<UpstreamVerdict> => {
    await audit.record('GuestUpgraded', {
      actor: personId ? { type: 'person', id: personId } : { type: 'anonymous', id: record.uid },
      sharingId: record.sharingId,
      detail: { email: step.emailNormalized, clientId: record.clientId, purpose: step.purpose, provider: entry.id, issuer: claims.issuer, reason: because },
      ...origin,
      result: 'failure',
    });
    return { ok: false, reason };
  };

  // Google Workspace's `hd`: the account must belong to the organisation of the address's domain, not be a consumer account carrying that address.
  if (entry.claims.domain && claims.domain !== domainOf(step.emailNormalized)) return refuse('email_not_verified', undefined, 'domain_not_verified');

  if (step.purpose === 'signin') {
    const person = await people.findByIdentity(identity.issuer, identity.subject);
    if (!person) return refuse('not_linked');
    if (person.emailNormalized !== step.emailNormalized) return refuse('wrong_account', person.id);
    return { ok: true, person };
  }

  // upgrade and redeem: link the identity to the address proved here.
  if (claims.email !== step.emailNormalized) return refuse('email_mismatch');
  if (!claims.emailVerified) return refuse('email_not_verified');
  if (entry.tenants) {
    // Asked again here rather than trusted from where the sign-in was sent: the rule stands on its own.
    const owner = await federation.tenantIssuerFor(entry, step.emailNormalized);
    if (!owner) return refuse('provider_unavailable', undefined, 'tenant_unknown');
    if (owner !== claims.issuer) return refuse('email_mismatch', undefined, 'wrong_tenant');
  }
  const target = step.purpose === 'upgrade' ? await people.get(step.verified?.personId ?? '') : await people.findByEmail(step.emailNormalized);
  if (!target || (step.purpose === 'upgrade' && !step.verified)) return refuse('upstream_error');
  // Disabled while upstream: a disabled person's record takes no identity (SPEC §1).
  if (target.disabled) return refuse('access_removed', target.id);
  // A redemption stands in for the code only with the real invitation, redeemed here once (SPEC §1).
  if (step.purpose === 'redeem' && !(step.invitationId && (await invitations.redeem(step.invitationId, step.emailNormalized)))) {
    return refuse('invitation_invalid', target.id);
  }
  const wasAccepted = target.userType === 'guest' && target.state === 'Accepted';
  const linked = await people.linkIdentity(target.id, identity, entry.members ? 'member' : 'guest');
  if (linked.outcome === 'taken') return refuse('identity_taken', target.id);
  if (linked.outcome === 'issuer_already_linked') return refuse('another_identity_linked', target.id);
  if (linked.outcome === 'gone') return refuse('upstream_error');
  const common = { actor: { type: 'person' as const, id: target.id }, sharingId: record.sharingId, ...origin };
  await audit.record('GuestUpgraded', {
    ...common,
    detail: { email: target.emailNormalized, clientId: record.clientId, purpose: step.purpose, provider: entry.id, issuer: claims.issuer, userType: linked.person.userType },
  });
  if (step.purpose === 'redeem' && !wasAccepted && linked.person.state === 'Accepted') {
    await audit.record('GuestRedeemed', { ...common, detail: { email: target.emailNormalized, clientId: record.clientId, by: 'work_account', provider: entry.id } });
  }
  return { ok: true, person: linked.person };
}
