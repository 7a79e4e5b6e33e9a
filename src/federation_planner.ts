/**
 * Work-account decisions for a sign-in, made from the configuration and the sharing policy
 * (SPEC §1, §1b, §5 `guestUpgrade`): which provider a person must use instead of a code, whether
 * a first code leads to an upgrade (now, or offered), and whether an invited guest may accept
 * with their work account. The sign-in state machine asks; it decides nothing of this itself.
 */
import type { PersonRecord } from '../adapters/store.ts';
import type { Federation } from './federation.ts';
import type { PolicySource } from './policy.ts';

export interface FederationPlanner {
  /** The provider a person with a linked identity must sign in with, instead of a code. */
  signInProvider(person: PersonRecord): string | undefined;
  /** After a first code: the provider to upgrade with, and whether to do it now or offer it. */
  upgradePlan(person: PersonRecord): Promise<{ providerId: string; mode: 'automatic' | 'offer' } | undefined>;
  /** The provider an invited guest may accept with instead of a code, unless the policy turns work accounts off. */
  redeemProvider(emailNormalized: string): Promise<string | undefined>;
}

export const noFederation: FederationPlanner = {
  signInProvider: () => undefined,
  upgradePlan: async () => undefined,
  redeemProvider: async () => undefined,
};

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
      // The policy first: with work accounts off, no domain is looked up at all.
      const { guestUpgrade } = await policy.get();
      if (guestUpgrade === 'off') return undefined;
      const entry = await federation.forEmail(person.emailNormalized);
      if (!entry || person.identities.some((identity) => federation.forIssuer(identity.issuer)?.id === entry.id)) return undefined;
      return { providerId: entry.id, mode: guestUpgrade };
    },
    async redeemProvider(email) {
      if ((await policy.get()).guestUpgrade === 'off') return undefined;
      return (await federation.forEmail(email))?.id;
    },
  };
}
