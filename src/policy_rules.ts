/**
 * The sharing policy's rules on addresses (SPEC §5), applied in two places: when a link is
 * created or recipients are added (a 4xx naming the reason), and when a code would be sent
 * (withheld like any other "no code" answer, audited with the reason).
 *
 * - `domains.allow` / `domains.block`: by the address's domain, for external people (members
 *   of the organisation are never refused by a domain list).
 * - `sharingLevel`: `newAndExistingGuests` anyone; `existingGuests` only people the directory
 *   already has (guests and members; not adhoc people, not deleted ones); `organizationOnly`
 *   only members (addresses in `organization.domains`).
 */
import type { PersonRecord } from '../adapters/store.ts';
import type { Policy } from '../config/schema.ts';
import { domainOf } from './emails.ts';
import type { People } from './people.ts';

export type PolicyRefusal = 'domain_not_allowed' | 'domain_blocked' | 'not_in_directory' | 'not_a_member';

export const policyRefusalText: Record<PolicyRefusal, string> = {
  domain_not_allowed: 'its domain is not in the allowed domains of the sharing policy',
  domain_blocked: 'its domain is blocked by the sharing policy',
  not_in_directory: 'the sharing policy allows only people already in the directory (existingGuests)',
  not_a_member: 'the sharing policy allows only members of the organisation (organizationOnly)',
};

export async function policyRefusal(policy: Policy, emailNormalized: string, people: People, knownPerson?: PersonRecord | null): Promise<PolicyRefusal | undefined> {
  const isMember = people.userTypeFor(emailNormalized) === 'member';
  // Domain lists govern external sharing, as in SharePoint: the organisation's own people are never refused by them.
  if (!isMember) {
    const domain = domainOf(emailNormalized);
    if (policy.domains.allow && !policy.domains.allow.includes(domain)) return 'domain_not_allowed';
    if (policy.domains.block?.includes(domain)) return 'domain_blocked';
  }
  if (policy.sharingLevel === 'organizationOnly' && !isMember) return 'not_a_member';
  if (policy.sharingLevel === 'existingGuests' && !isMember) {
    const person = knownPerson === undefined ? await people.findByEmail(emailNormalized) : knownPerson;
    if (!person || person.userType === 'adhoc') return 'not_in_directory';
  }
  return undefined;
}
