/**
 * Work accounts in the sign-in: what to offer (the planner), and what an upstream answer may
 * change (the linking rules of SPEC §1):
 *
 * - Identities are linked by (issuer, subject) only — never by email.
 * - Linking needs the upstream `email` to equal the address this interaction verified and
 *   `email_verified: true`; an upgrade links only after a code verification in the same
 *   interaction (the `federating` step carries it); a redemption links only with an invitation
 *   the browser proved it holds (its ticket), for the invited address, redeemed here once — and
 *   never while the policy turns work accounts off (`guestUpgrade: "off"`).
 * - An identity already linked to someone else, or a second identity from the same issuer for
 *   an address, is refused. A refusal leaves the person as they were.
 * - A person with a linked identity signs in only with that identity; the upstream account must
 *   be the one linked to the address they entered.
 */
import type { PersonRecord } from '../adapters/store.ts';
import type { AuditLog, RequestOrigin } from '../src/audit.ts';
import type { Federation, UpstreamClaims } from '../src/federation.ts';
import type { Invitations } from '../src/invitations.ts';
import type { People } from '../src/people.ts';
import type { PolicySource } from '../src/policy.ts';
import type { FederationPlanner, SignInRecord, SignInStep, UpgradeFailure } from './sign_in.ts';

export function federationPlanner(federation: Federation, policy: PolicySource): FederationPlanner {
  return {
    signInProvider(person) {
      if (person.disabled) return undefined;
      for (const identity of person.identities) {
        const entry = federation.forIssuer(identity.issuer);
        if (entry) return entry.id;
      }
      return undefined;
    },
    async upgradePlan(person) {
      const entry = federation.forEmail(person.emailNormalized);
      if (!entry || person.identities.some((identity) => federation.forIssuer(identity.issuer)?.id === entry.id)) return undefined;
      const { guestUpgrade } = await policy.get();
      return guestUpgrade === 'off' ? undefined : { providerId: entry.id, mode: guestUpgrade };
    },
    async redeemProvider(email) {
      const entry = federation.forEmail(email);
      return entry && (await policy.get()).guestUpgrade !== 'off' ? entry.id : undefined;
    },
  };
}

export type UpstreamVerdict = { ok: true; person: PersonRecord } | { ok: false; reason: UpgradeFailure };

interface RuleDeps {
  people: People;
  audit: AuditLog;
  invitations: Pick<Invitations, 'redeem'>;
}

/** Applies an upstream answer to the `federating` step of a sign-in. */
export async function applyUpstreamAnswer(
  { people, audit, invitations }: RuleDeps,
  record: SignInRecord,
  step: Extract<SignInStep, { name: 'federating' }>,
  entry: { id: string; members: boolean },
  claims: UpstreamClaims,
  origin: RequestOrigin,
): Promise<UpstreamVerdict> {
  const identity = { issuer: claims.issuer, subject: claims.subject };
  const refuse = async (reason: UpgradeFailure, personId?: string): Promise<UpstreamVerdict> => {
    await audit.record('GuestUpgraded', {
      actor: personId ? { type: 'person', id: personId } : { type: 'anonymous', id: record.uid },
      sharingId: record.sharingId,
      detail: { email: step.emailNormalized, clientId: record.clientId, purpose: step.purpose, provider: entry.id, issuer: claims.issuer, reason },
      ...origin,
      result: 'failure',
    });
    return { ok: false, reason };
  };

  if (step.purpose === 'signin') {
    const person = await people.findByIdentity(identity.issuer, identity.subject);
    if (!person) return refuse('not_linked');
    if (person.emailNormalized !== step.emailNormalized) return refuse('wrong_account', person.id);
    return { ok: true, person };
  }

  // upgrade and redeem: link the identity to the address proved here.
  if (claims.email !== step.emailNormalized) return refuse('email_mismatch');
  if (!claims.emailVerified) return refuse('email_not_verified');
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
