/**
 * The console signs in through guestpass itself (dogfooding): `guestpass-admin` is a
 * first-party confidential client, like `guestpass-invitations` (src/invitations.ts), whose
 * redirect URI is guestpass's own `/admin/callback`. Its secret is derived from the newest of
 * `keys.secrets`, so there is nothing to configure, it never leaves the process (the relying
 * party is in-process too), and rotating the secrets rotates it.
 *
 * Only people with a console role are sent a code for it (`consoleEligibility`): everyone else
 * gets the page anyone gets for an address with no access, and no mail. The sharing policy
 * applies first, as it does to every client (SPEC §5).
 */
import { createHmac } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';

import type { EligibilityCheck } from '../eligibility.ts';
import type { People } from '../people.ts';
import type { PolicySource } from '../policy.ts';
import { policyRefusal } from '../policy_rules.ts';
import type { ConsoleRoles } from './roles.ts';

export const adminClientId = 'guestpass-admin';

export const consolePaths = { callback: '/admin/callback', signedOut: '/admin/signed-out' } as const;

export function adminClientSecret(secrets: readonly string[]): string {
  return createHmac('sha256', secrets[0]!).update('guestpass-admin client secret v1').digest('base64url');
}

export function adminClientMetadata(issuer: string, clientSecret: string): ClientMetadata {
  return {
    client_id: adminClientId,
    client_secret: clientSecret,
    client_name: 'guestpass admin console',
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [`${issuer}${consolePaths.callback}`],
    post_logout_redirect_uris: [`${issuer}${consolePaths.signedOut}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid email',
  };
}

/** Who is sent a code for the console: whoever has a role, once the sharing policy allows them. Other clients ask `others`. */
export function consoleEligibility({ roles, policy, people }: { roles: ConsoleRoles; policy: PolicySource; people: People }, others: EligibilityCheck): EligibilityCheck {
  return async (question) => {
    if (question.clientId !== adminClientId) return others(question);
    const refusal = await policyRefusal(await policy.get(), question.emailNormalized, people);
    if (refusal) return { kind: 'withhold', operation: 'VerificationCodeRejected', reason: `policy_${refusal}` };
    if (await roles.ofAddress(question.emailNormalized)) return { kind: 'deliver' };
    return { kind: 'withhold', operation: 'VerificationCodeRejected', reason: 'no_console_role' };
  };
}
