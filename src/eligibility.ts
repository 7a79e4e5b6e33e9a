/**
 * Who may be sent a code (SPEC §2). With `sharing_id`: only a current recipient of that live
 * link, owned by the client asking. Without: a recipient of any live link of that client, or a
 * person the directory already knows (a guest or member who is not disabled) — unless the
 * client is registered for open sign-in (`guestpass_open_sign_in`, for demos and tests).
 *
 * The sharing policy (domains, sharing level) applies before all of that, to every client.
 *
 * Everything else is withheld: the person sees exactly what a recipient sees, no mail leaves,
 * and the audit log records `RecipientNotOnLink` (or `VerificationCodeRejected` for a policy
 * refusal) with the reason.
 */
import type { AuditOperation } from './audit.ts';
import type { Links } from './links.ts';
import type { People } from './people.ts';
import type { PolicySource } from './policy.ts';
import { policyRefusal } from './policy_rules.ts';

export type CodeEligibility =
  | { kind: 'deliver' }
  /** Same page, no mail; audited under `operation` with `reason`. */
  | { kind: 'withhold'; operation: AuditOperation; reason: string };

export interface EligibilityQuestion {
  emailNormalized: string;
  clientId: string;
  sharingId?: string | undefined;
}

/** Who may be sent a code. The sign-in asks it before a code, after a right code, and before it finishes. */
export type EligibilityCheck = (question: EligibilityQuestion) => Promise<CodeEligibility>;

export const everyoneIsEligible: EligibilityCheck = async () => ({ kind: 'deliver' });

export interface EligibilityDeps {
  links: Links;
  people: People;
  policy: PolicySource;
  /** Clients registered with `guestpass_open_sign_in: true` (static ones, and dynamic ones whose policy allowed it). */
  openSignInClients: { has(clientId: string): boolean | Promise<boolean> };
}

const withhold = (reason: string): CodeEligibility => ({ kind: 'withhold', operation: 'RecipientNotOnLink', reason });

export function linkEligibility({ links, people, policy, openSignInClients }: EligibilityDeps): EligibilityCheck {
  return async ({ emailNormalized, clientId, sharingId }) => {
    // The sharing policy first (SPEC §5): it binds every client, open sign-in or not.
    const refusal = await policyRefusal(await policy.get(), emailNormalized, people);
    if (refusal) return { kind: 'withhold', operation: 'VerificationCodeRejected', reason: `policy_${refusal}` };
    if (sharingId !== undefined) {
      const verdict = await links.recipientVerdict(sharingId, clientId, emailNormalized);
      return verdict.ok ? { kind: 'deliver' } : withhold(verdict.reason);
    }
    if (await openSignInClients.has(clientId)) return { kind: 'deliver' };
    // Both asked for every address, so the answer takes as long whoever the address belongs to.
    const [person, recipient] = await Promise.all([people.findByEmail(emailNormalized), links.isRecipientOfAnyLiveLink(clientId, emailNormalized)]);
    if (person && person.userType !== 'adhoc' && !person.disabled) return { kind: 'deliver' };
    if (recipient) return { kind: 'deliver' };
    return withhold('not_a_recipient_of_any_live_link');
  };
}
