/**
 * The resource server's own checks on an ID token (docs/resource-servers.md, step 5). openid-client
 * has already verified the signature, `iss`, `aud`, expiry, `nonce`, `state` and PKCE; what it
 * cannot know is which link this sign-in was for:
 *
 * 1. `sharing_id` must equal the link being opened. guestpass verified the person for the link
 *    named in the authorization request, and that request passed through their browser: someone
 *    on link B who edits `sharing_id=A` into `B` gets a perfectly valid token — for B. Without
 *    this check it would open A.
 * 2. `email_verified` must be `true` (guestpass always says so; a host that also accepts other
 *    providers must not take their word for an unverified address).
 *
 * A host with rules of its own (members only for some files, `amr` containing `fed`) adds them
 * here. No I/O: a pure function of the claims and the link.
 */
import { z } from 'zod';

/** Who the file host lets open a link, as it keeps them in its session. */
export interface VerifiedRecipient {
  sub: string;
  /** Lower-cased by guestpass. */
  email: string;
  userType: 'adhoc' | 'guest' | 'member';
  sharingId: string;
}

export type ClaimsVerdict =
  | { ok: true; recipient: VerifiedRecipient }
  | { ok: false; reason: 'wrong_link' | 'email_not_verified' | 'missing_claims' };

const recipientClaims = z.object({
  sub: z.string().min(1),
  email: z.string().min(3),
  email_verified: z.boolean().optional(),
  user_type: z.enum(['adhoc', 'guest', 'member']),
  sharing_id: z.string().optional(),
});

export function checkRecipientClaims(claims: unknown, expectedSharingId: string): ClaimsVerdict {
  const parsed = recipientClaims.safeParse(claims);
  if (!parsed.success) return { ok: false, reason: 'missing_claims' };
  const { sub, email, email_verified: emailVerified, user_type: userType, sharing_id: sharingId } = parsed.data;
  if (sharingId !== expectedSharingId) return { ok: false, reason: 'wrong_link' };
  if (emailVerified !== true) return { ok: false, reason: 'email_not_verified' };
  return { ok: true, recipient: { sub, email: email.toLowerCase(), userType, sharingId } };
}
