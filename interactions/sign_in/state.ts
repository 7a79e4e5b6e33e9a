/**
 * The sign-in state machine: its steps and the record kept per interaction. This file is the one
 * place the steps are defined (a zod schema, so what the store hands back is checked on every
 * read); `flow.ts` holds the events that move between them, `code_requests.ts` the code checks
 * and the threats they answer. Each event names the steps it may start from, and any other step
 * is an `UnexpectedStepError`, never a fall-through.
 *
 *   enter_email ──email──▶ code_sent ──right code──▶ verified                      (adhoc, member)
 *        │                     │                 └─▶ federating(upgrade) ─ok─▶ verified  (→ guest)
 *        │                     │                 └─▶ upgrade_offered ─accept─▶ federating(upgrade)
 *        │                     │                                     └decline▶ verified
 *        │                     └── (federating(upgrade) fails) ─▶ upgrade_failed ─continue─▶ verified
 *        ├──linked work account──▶ federating(signin) ─ok─▶ verified          (never a code again)
 *        ├──invitation + work account──▶ federating(redeem) ─ok─▶ verified
 *        └──disabled or deleted person──▶ access_removed ─another address─▶ enter_email
 *   verified ──person disabled since──▶ access_removed   (checked as the sign-in finishes)
 *
 *   With a live session the sign-in may start elsewhere: wrong_account (the signed-in person has
 *   no access to this link) or choose_account (prompt=select_account) ─another address─▶ enter_email.
 */
import { z } from 'zod';

import { UnexpectedStepError } from '../../src/errors.ts';
import type { FederationPurpose } from '../../src/federation.ts';
import { locales, type Locale } from '../../src/i18n/index.ts';

/** What a code verification established. */
const verifiedFacts = z.object({
  personId: z.string(),
  email: z.string(),
  emailNormalized: z.string(),
  verifiedAt: z.number(),
  keepSignedIn: z.boolean(),
});
export type VerifiedFacts = z.infer<typeof verifiedFacts>;

export const upgradeFailures = [
  'email_mismatch',
  'email_not_verified',
  'identity_taken',
  'another_identity_linked',
  'wrong_account',
  'not_linked',
  'upstream_error',
  'provider_unavailable',
  'invitation_invalid',
  /** The person was disabled while at the work provider. */
  'access_removed',
] as const;
export type UpgradeFailure = (typeof upgradeFailures)[number];

const federationPurpose = z.enum(['upgrade', 'signin', 'redeem']) satisfies z.ZodType<FederationPurpose>;

const signInStep = z.discriminatedUnion('name', [
  z.object({ name: z.literal('enter_email'), emailDraft: z.string().optional() }),
  z.object({
    name: z.literal('code_sent'),
    email: z.string(),
    emailNormalized: z.string(),
    /** When the current code was asked for (epoch ms). */
    codeRequestedAt: z.number(),
    /**
     * The mail that carries the code. A withheld code has one too, never queued: both are read
     * alike, so the page and its timing cannot tell them apart.
     */
    mailId: z.string(),
    /** Until when the page says "sending" whatever the mail does (the same draw for a withheld code). */
    sendingShownUntil: z.number().default(0),
  }),
  z.object({ name: z.literal('verified'), ...verifiedFacts.shape, amr: z.array(z.string()), idp: z.string().optional() }),
  z.object({ name: z.literal('upgrade_offered'), providerId: z.string(), verified: verifiedFacts }),
  z.object({
    name: z.literal('federating'),
    providerId: z.string(),
    purpose: federationPurpose,
    email: z.string(),
    emailNormalized: z.string(),
    /** For an upgrade: the code verification it follows (SPEC §1: linking needs one, in the same interaction). */
    verified: verifiedFacts.optional(),
    /** For a redemption: the invitation the browser proved it holds, redeemed once the work account matches. */
    invitationId: z.string().optional(),
  }),
  z.object({ name: z.literal('upgrade_failed'), reason: z.enum(upgradeFailures), verified: verifiedFacts }),
  z.object({ name: z.literal('access_removed'), email: z.string() }),
  /** Signed in as someone who has no access to the link opened: say so, offer another address. */
  z.object({ name: z.literal('wrong_account'), email: z.string() }),
  /** prompt=select_account with a live session: continue as that person, or use another address. */
  z.object({ name: z.literal('choose_account'), email: z.string(), personId: z.string() }),
]);
export type SignInStep = z.infer<typeof signInStep>;
export type SignInStepName = SignInStep['name'];

/**
 * A message for the next page, shown once. Feedback, not state: it is kept in the record (so a
 * page reads both in one read) but no event decides anything by it.
 */
export const noticeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('invalid_email'), draft: z.string() }),
  z.object({ kind: z.literal('invalid_code_format') }),
  z.object({ kind: z.literal('wrong_code'), triesLeft: z.number() }),
  z.object({ kind: z.literal('code_expired') }),
  z.object({ kind: z.literal('too_many_attempts') }),
  z.object({ kind: z.literal('code_used') }),
  z.object({ kind: z.literal('access_removed') }),
  z.object({ kind: z.literal('locked_out'), until: z.number() }),
  z.object({ kind: z.literal('too_many_codes'), until: z.number() }),
  z.object({ kind: z.literal('resend_wait'), until: z.number() }),
  z.object({ kind: z.literal('code_resent') }),
  z.object({ kind: z.literal('step_unavailable') }),
  z.object({ kind: z.literal('federation_failed'), reason: z.enum(upgradeFailures) }),
]);
export type Notice = z.infer<typeof noticeSchema>;

export const signInRecordSchema = z.object({
  /** Grows with every saved change; a save names the version it read, so a stale request never overwrites a newer step. */
  version: z.number().int(),
  uid: z.string(),
  clientId: z.string(),
  sharingId: z.string().optional(),
  /** Anti-CSRF token every form of this interaction carries. */
  csrf: z.string(),
  /** Language chosen on the page, overriding ui_locales and Accept-Language. */
  locale: z.enum(Object.keys(locales) as [Locale, ...Locale[]]).optional(),
  step: signInStep,
  /** When the interaction (and so this record) ends, epoch ms. */
  expiresAt: z.number(),
  /** What the next page tells the person, once (`SignInRecords.notify`, `takeNotice`). */
  notice: noticeSchema.optional(),
  /**
   * A request is finishing this sign-in (the gate of `finish.ts`): set by one compare-and-set
   * from a version without it, once that request's last checks passed, and kept by every later
   * save (`SignInRecords.claimFinish`).
   */
  finishing: z.literal(true).optional(),
});
export type SignInRecord = z.infer<typeof signInRecordSchema>;

/** What the code page says of the mail carrying the code. */
export type DeliveryState = 'sending' | 'sent' | 'delayed' | 'failed';

/** The step an event may start from, or an `UnexpectedStepError`. */
export function expectStep<N extends SignInStepName>(record: SignInRecord, ...names: N[]): Extract<SignInStep, { name: N }> {
  if (!(names as SignInStepName[]).includes(record.step.name)) throw new UnexpectedStepError(names, record.step.name);
  return record.step as Extract<SignInStep, { name: N }>;
}

/**
 * How long a request follows a parallel one of the same sign-in (a double click) before giving
 * up, and how often it reads the store meanwhile when no signal from this process came
 * (`progress.ts`: the winner on another instance).
 */
export const followParallelRequest = { withinMs: 5000, recheckMs: 250 };

/** Neither entering an address nor a code any more: where a request that lost a race to a parallel one follows it. */
export function isPastCodeEntry(step: SignInStep): boolean {
  return step.name !== 'enter_email' && step.name !== 'code_sent';
}
