/**
 * The sign-in state machine. Routes only call the events below; each event names the steps it
 * may start from, and any other step is an `UnexpectedStepError`, never a fall-through.
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
 *
 * Threats this file answers, and how:
 * - Guessing codes: each entry is counted in the store *before* the comparison, per code
 *   (`maxAttemptsPerCode`) and per address across codes, so N parallel guesses cannot exceed
 *   either cap. Failures per address are consecutive (kept until a right code, at most a day):
 *   the entry that reaches `lockoutAfterFailures` locks the address before it is compared, and
 *   from then on each lockout period allows one entry (claiming the lockout is what allows it).
 *   A resend never resets the counts.
 * - Replaying a code: consuming is one atomic step naming the code id; of N parallel correct
 *   entries exactly one wins. An address has one current code, whichever sign-in asked for it,
 *   so a newer code makes older ones useless everywhere.
 * - Mail bombing: a cooldown and an hourly cap per address, an hourly cap per client IP.
 * - Learning who a link was shared with: whether or not a code is sent, the person sees the
 *   same page, status and counters, at the same times: a withheld code has a stored, unguessable
 *   digest and a mail id that is never queued; both paths do the same work before answering (the
 *   real mail is built, queued and sent at a random moment after the answer, so its work slows
 *   none of the person's next requests); the delivery line says "sending" until a moment drawn
 *   alike for both. Only the audit log tells them apart.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

import type { AuditOperation, PersonRecord, Store } from '../adapters/store.ts';
import type { OtpPolicy } from '../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../src/audit.ts';
import { clientNetwork } from '../src/client_network.ts';
import type { Clock } from '../src/clock.ts';
import { maskEmail, parseEmail } from '../src/emails.ts';
import type { Locale } from '../src/i18n/index.ts';
import { verificationCodeMail } from '../src/mail/templates.ts';
import type { Outbox } from '../src/mail/outbox.ts';
import type { FederationPurpose } from '../src/federation.ts';
import type { People } from '../src/people.ts';
import { codeMatches, digestCode, generateCode, normalizeCodeInput } from './one_time_code.ts';

// ---------------------------------------------------------------------------------------------
// The record kept per interaction.

export type SignInStep =
  | { name: 'enter_email'; emailDraft?: string | undefined }
  | {
      name: 'code_sent';
      email: string;
      emailNormalized: string;
      /** When the current code was asked for (epoch ms). */
      codeRequestedAt: number;
      /**
       * The mail that carries the code. A withheld code has one too, never queued: both are read
       * alike, so the page and its timing cannot tell them apart.
       */
      mailId: string;
      /** Until when the page says "sending" whatever the mail does (the same draw for a withheld code). */
      sendingShownUntil: number;
    }
  | ({ name: 'verified' } & VerifiedFacts & { amr: string[]; idp?: string | undefined })
  | { name: 'upgrade_offered'; providerId: string; verified: VerifiedFacts }
  | {
      name: 'federating';
      providerId: string;
      purpose: FederationPurpose;
      email: string;
      emailNormalized: string;
      /** For an upgrade: the code verification it follows (SPEC §1: linking needs one, in the same interaction). */
      verified?: VerifiedFacts | undefined;
      /** For a redemption: the invitation the browser proved it holds, redeemed once the work account matches. */
      invitationId?: string | undefined;
    }
  | { name: 'upgrade_failed'; reason: UpgradeFailure; verified: VerifiedFacts }
  | { name: 'access_removed'; email: string }
  /** Signed in as someone who has no access to the link opened: say so, offer another address. */
  | { name: 'wrong_account'; email: string }
  /** prompt=select_account with a live session: continue as that person, or use another address. */
  | { name: 'choose_account'; email: string; personId: string };

/** What a code verification established. */
export interface VerifiedFacts {
  personId: string;
  email: string;
  emailNormalized: string;
  verifiedAt: number;
  keepSignedIn: boolean;
}

export type UpgradeFailure =
  | 'email_mismatch'
  | 'email_not_verified'
  | 'identity_taken'
  | 'another_identity_linked'
  | 'wrong_account'
  | 'not_linked'
  | 'upstream_error'
  | 'provider_unavailable'
  | 'invitation_invalid'
  /** The person was disabled while at the work provider. */
  | 'access_removed';

export type SignInStepName = SignInStep['name'];

/** A message for the next page, shown once. Kept apart from the record: it is feedback, not state. */
export type Notice =
  | { kind: 'invalid_email'; draft: string }
  | { kind: 'invalid_code_format' }
  | { kind: 'wrong_code'; triesLeft: number }
  | { kind: 'code_expired' }
  | { kind: 'too_many_attempts' }
  | { kind: 'code_used' }
  | { kind: 'access_removed' }
  | { kind: 'locked_out'; until: number }
  | { kind: 'too_many_codes'; until: number }
  | { kind: 'resend_wait'; until: number }
  | { kind: 'code_resent' }
  | { kind: 'step_unavailable' }
  | { kind: 'federation_failed'; reason: UpgradeFailure };

export interface SignInRecord {
  /** Grows with every saved change; a save names the version it read, so a stale request never overwrites a newer step. */
  version: number;
  uid: string;
  clientId: string;
  sharingId?: string | undefined;
  /** Anti-CSRF token every form of this interaction carries. */
  csrf: string;
  /** Language chosen on the page, overriding ui_locales and Accept-Language. */
  locale?: Locale | undefined;
  step: SignInStep;
  /** When the interaction (and so this record) ends, epoch ms. */
  expiresAt: number;
}

/** Another request changed the record since this one read it; re-read and decide again. */
export class RecordChangedError extends Error {
  constructor(readonly uid: string) {
    super(`sign-in ${uid} changed meanwhile`);
    this.name = 'RecordChangedError';
  }
}

export class UnexpectedStepError extends Error {
  constructor(
    readonly expected: readonly SignInStepName[],
    readonly actual: SignInStepName,
  ) {
    super(`sign-in is at ${actual}, not ${expected.join(' or ')}`);
    this.name = 'UnexpectedStepError';
  }
}

function expectStep<N extends SignInStepName>(record: SignInRecord, ...names: N[]): Extract<SignInStep, { name: N }> {
  if (!(names as SignInStepName[]).includes(record.step.name)) throw new UnexpectedStepError(names, record.step.name);
  return record.step as Extract<SignInStep, { name: N }>;
}

// ---------------------------------------------------------------------------------------------
// Who may be sent a code: decided by the secure-link and policy rules, outside this file.

export type CodeEligibility =
  | { kind: 'deliver' }
  /** Same page, no mail; audited under `operation` with `reason`. */
  | { kind: 'withhold'; operation: AuditOperation; reason: string };

export interface EligibilityQuestion {
  emailNormalized: string;
  clientId: string;
  sharingId?: string | undefined;
}

export type EligibilityCheck = (question: EligibilityQuestion) => Promise<CodeEligibility>;

export const everyoneIsEligible: EligibilityCheck = async () => ({ kind: 'deliver' });

/** Work-account decisions, made from the configuration and the policy outside this file. */
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

// ---------------------------------------------------------------------------------------------

export interface SignInDeps {
  store: Store;
  clock: Clock;
  outbox: Outbox;
  audit: AuditLog;
  people: People;
  /** Newest first. */
  secrets: readonly string[];
  otpPolicy: () => Promise<OtpPolicy>;
  codesPerIpPerHour: number;
  organizationName: string;
  eligibility: EligibilityCheck;
  federation: FederationPlanner;
}

export interface RequestContext extends RequestOrigin {
  locale: Locale;
  /** The relying party's display name, for the mail. */
  clientName: string;
}

export type DeliveryState = 'sending' | 'sent' | 'delayed' | 'failed';

const hourSeconds = 3600;

/**
 * Wrong codes for an address are counted until a code for it is entered right; past
 * `lockoutAfterFailures` every lockout period allows one more entry. The count is forgotten a
 * day after the first of them (or after `lockoutSeconds`, when that is longer).
 */
const failureMemorySeconds = 24 * hourSeconds;

/** The page says "sending" for at least this long after a code is asked for, then for up to `spread` more. */
const sendingShownFloorMs = 1500;
const sendingShownSpreadMs = 1500;

const keys = {
  /** One current code per address, whichever sign-in asked for it: a newer code voids the older (SPEC §4). */
  code: (email: string) => `address:${email}`,
  sentToAddress: (email: string) => `otp:sent:${email}`,
  /** Per client network: an IPv4 address, an IPv6 /64 (src/client_network.ts). */
  sentFromIp: (network: string) => `otp:sent-ip:${network}`,
  cooldown: (email: string) => `otp:cooldown:${email}`,
  failures: (email: string) => `otp:failures:${email}`,
  lockout: (email: string) => `otp:lockout:${email}`,
};

export class SignInFlow {
  readonly #deps: SignInDeps;

  constructor(deps: SignInDeps) {
    this.#deps = deps;
  }

  /** The record of an interaction, created at its first page. */
  async load(interaction: {
    uid: string;
    clientId: string;
    sharingId?: string | undefined;
    expiresAt: number;
    loginHint?: string | undefined;
    /** Where a sign-in that starts with a live session begins (wrong_account, choose_account, …). */
    firstStep?: SignInStep | undefined;
  }): Promise<SignInRecord> {
    const existing = await this.read(interaction.uid);
    if (existing) return existing;
    const record: SignInRecord = {
      version: 1,
      uid: interaction.uid,
      clientId: interaction.clientId,
      sharingId: interaction.sharingId,
      csrf: randomBytes(24).toString('base64url'),
      step: interaction.firstStep ?? { name: 'enter_email', emailDraft: interaction.loginHint },
      expiresAt: interaction.expiresAt,
    };
    if (await this.#deps.store.putRecordIfVersion('signin', record.uid, record, this.#ttlSeconds(record), undefined)) return record;
    // Another request created it first: use theirs, so both carry the same CSRF token.
    return (await this.read(interaction.uid)) ?? record;
  }

  read(uid: string): Promise<SignInRecord | undefined> {
    return this.#deps.store.getRecord<SignInRecord>('signin', uid);
  }

  /** Takes the notice for the page being shown, so it shows once. */
  async takeNotice(record: SignInRecord): Promise<Notice | undefined> {
    const notice = await this.#deps.store.getRecord<Notice>('signinNotice', record.uid);
    if (notice) await this.#deps.store.deleteRecord('signinNotice', record.uid);
    return notice;
  }

  async notify(record: SignInRecord, notice: Notice): Promise<void> {
    await this.#deps.store.putRecord('signinNotice', record.uid, notice, this.#ttlSeconds(record));
  }

  async chooseLocale(record: SignInRecord, locale: Locale): Promise<void> {
    try {
      await this.#commit(record, { locale });
    } catch (error) {
      // A language choice that loses a race is simply asked again by the next page.
      if (!(error instanceof RecordChangedError)) throw error;
    }
  }

  /** Saves a change made on top of the version this request read; throws RecordChangedError when it is stale. */
  async #commit(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>): Promise<void> {
    const next: SignInRecord = { ...record, ...change, version: record.version + 1 };
    if (!(await this.#deps.store.putRecordIfVersion('signin', record.uid, next, this.#ttlSeconds(record), record.version))) {
      throw new RecordChangedError(record.uid);
    }
    Object.assign(record, next);
  }

  #ttlSeconds(record: SignInRecord): number {
    return Math.max(1, Math.ceil((record.expiresAt - this.#deps.clock.now()) / 1000));
  }

  // --- events ----------------------------------------------------------------------------------

  /** enter_email | code_sent → code_sent (or stays, with a notice, when the address is not usable). */
  async submitEmail(record: SignInRecord, input: { email: unknown }, request: RequestContext): Promise<SignInRecord> {
    expectStep(record, 'enter_email', 'code_sent');
    const email = parseEmail(input.email);
    if (!email) {
      await this.notify(record, { kind: 'invalid_email', draft: typeof input.email === 'string' ? input.email.slice(0, 254) : '' });
      return record;
    }
    // Both asked for every address, so the answer takes as long for people the directory knows.
    const [person, deleted] = await Promise.all([this.#deps.people.findByEmail(email.normalized), this.#deps.people.isDeleted(email.normalized)]);
    const removed = person?.disabled ? 'disabled' : !person && deleted ? 'deleted' : undefined;
    if (removed) {
      await this.#deps.audit.record('VerificationCodeRejected', {
        actor: { type: 'anonymous', id: record.uid },
        sharingId: record.sharingId,
        detail: { email: email.normalized, clientId: record.clientId, reason: removed },
        ...request,
        result: 'failure',
      });
      await this.#commit(record, { step: { name: 'access_removed', email: email.display } });
      return record;
    }
    const providerId = person ? this.#deps.federation.signInProvider(person) : undefined;
    if (providerId) {
      await this.#commit(record, { step: { name: 'federating', providerId, purpose: 'signin', email: email.display, emailNormalized: email.normalized } });
      return record;
    }
    await this.#requestCode(record, email, request, undefined);
    return record;
  }

  /**
   * An invited guest chooses their work account instead of a code: enter_email → federating(redeem).
   * `invitation` is one the browser proved it holds (the caller checked its ticket).
   */
  async useWorkAccount(record: SignInRecord, invitation: { email: string; invitationId: string }): Promise<SignInRecord> {
    expectStep(record, 'enter_email');
    const providerId = await this.#deps.federation.redeemProvider(invitation.email);
    if (!providerId) throw new UnexpectedStepError(['enter_email'], record.step.name);
    await this.#commit(record, {
      step: { name: 'federating', providerId, purpose: 'redeem', email: invitation.email, emailNormalized: invitation.email, invitationId: invitation.invitationId },
    });
    return record;
  }

  /** upgrade_offered → federating(upgrade), or → verified when the person declines. */
  async answerUpgrade(record: SignInRecord, accept: boolean): Promise<SignInRecord> {
    const step = expectStep(record, 'upgrade_offered');
    const { verified } = step;
    await this.#commit(record, {
      step: accept
        ? { name: 'federating', providerId: step.providerId, purpose: 'upgrade', email: verified.email, emailNormalized: verified.emailNormalized, verified }
        : { name: 'verified', ...verified, amr: ['otp'] },
    });
    return record;
  }

  /** verified → enter_email: the person proved an address that has no access here, and tries another. */
  async restart(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'verified');
    await this.#commit(record, { step: { name: 'enter_email', emailDraft: step.email } });
    return record;
  }

  /** verified → access_removed: the person was disabled after proving their address; nobody is signed in. */
  async removeAccess(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'verified');
    await this.#commit(record, { step: { name: 'access_removed', email: step.email } });
    return record;
  }

  /** upgrade_failed → verified: the code still proved the address. */
  async continueWithCode(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'upgrade_failed');
    await this.#commit(record, { step: { name: 'verified', ...step.verified, amr: ['otp'] } });
    return record;
  }

  /** federating → verified: the work provider proved who this is. */
  async federationSucceeded(record: SignInRecord, person: PersonRecord, idp: string): Promise<SignInRecord> {
    const step = expectStep(record, 'federating');
    const now = this.#deps.clock.now();
    const facts: VerifiedFacts = step.verified ?? { personId: person.id, email: person.email, emailNormalized: person.emailNormalized, verifiedAt: now, keepSignedIn: false };
    await this.#commit(record, { step: { name: 'verified', ...facts, personId: person.id, amr: step.purpose === 'upgrade' ? ['otp', 'fed'] : ['fed'], idp } });
    return record;
  }

  /** federating → upgrade_failed (after a code) or back to enter_email with the reason. */
  async federationFailed(record: SignInRecord, reason: UpgradeFailure): Promise<SignInRecord> {
    const step = expectStep(record, 'federating');
    if (step.purpose === 'upgrade' && step.verified) {
      await this.#commit(record, { step: { name: 'upgrade_failed', reason, verified: step.verified } });
      return record;
    }
    await this.#commit(record, { step: { name: 'enter_email', emailDraft: step.email } });
    await this.notify(record, { kind: 'federation_failed', reason });
    return record;
  }

  /** code_sent → code_sent with a new code (when the cooldown and limits allow). */
  async resendCode(record: SignInRecord, request: RequestContext): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    await this.#requestCode(record, { display: step.email, normalized: step.emailNormalized }, request, { kind: 'code_resent' });
    return record;
  }

  /**
   * code_sent | access_removed → enter_email, keeping the address as a draft (a code sent stays
   * valid until it expires); wrong_account | choose_account → enter_email, empty: another address.
   */
  async changeEmail(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent', 'access_removed', 'wrong_account', 'choose_account');
    const emailDraft = step.name === 'code_sent' || step.name === 'access_removed' ? step.email : undefined;
    await this.#commit(record, { step: { name: 'enter_email', emailDraft } });
    return record;
  }

  /** code_sent → verified when the code is right; otherwise stays with a notice saying why. */
  async submitCode(record: SignInRecord, input: { code: unknown; keepSignedIn: boolean }, request: RequestOrigin): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    const { store, clock, audit } = this.#deps;
    const policy = await this.#deps.otpPolicy();
    const candidate = typeof input.code === 'string' ? normalizeCodeInput(input.code, policy.length) : undefined;
    if (!candidate) {
      return this.#stay(record, { kind: 'invalid_code_format' });
    }
    const email = step.emailNormalized;
    const rejected = (reason: string, detail: Record<string, unknown> = {}) =>
      audit.record('VerificationCodeRejected', {
        actor: { type: 'anonymous', id: record.uid },
        sharingId: record.sharingId,
        detail: { email, reason, clientId: record.clientId, ...detail },
        ...request,
        result: 'failure',
      });

    const lockedUntil = await store.peekSlot(keys.lockout(email), clock.now());
    if (lockedUntil !== undefined) {
      await rejected('locked_out');
      return this.#stay(record, { kind: 'locked_out', until: lockedUntil });
    }

    // Counted before comparing, in the store, so parallel guesses cannot slip under the caps.
    const failures = await store.incrementCounter(keys.failures(email), Math.max(failureMemorySeconds, policy.lockoutSeconds), clock.now());
    // From the entry that reaches the limit on, each lockout period allows one entry: claiming
    // the lockout is what allows it, so of parallel entries one is compared and the address is
    // locked meanwhile. (Claimed already by the entry that reaches the limit: otherwise it and
    // the first entry past it, arriving together, would both be compared.)
    let probeLockedUntil: number | undefined;
    if (failures.count >= policy.lockoutAfterFailures) {
      const probe = await store.claimSlot(keys.lockout(email), policy.lockoutSeconds, clock.now());
      if (!probe.claimed) {
        await rejected('locked_out');
        return this.#stay(record, { kind: 'locked_out', until: probe.availableAt });
      }
      probeLockedUntil = probe.availableAt;
    }
    /** A refused entry; at the limit the lockout it claimed stays, whatever the reason. */
    const refuse = async (reason: string, notice: Notice, detail: Record<string, unknown> = {}) => {
      await rejected(reason, detail);
      return this.#stay(record, probeLockedUntil === undefined ? notice : { kind: 'locked_out', until: probeLockedUntil });
    };

    const code = await store.countCodeAttempt(keys.code(email));
    if (!code || code.email !== email) return refuse('no_code', { kind: 'code_expired' });
    // An exhausted code is left in place: its count only grows, so it can never match again, and
    // deleting it here could race a parallel request that has already matched and is consuming it.
    if (code.attempts > policy.maxAttemptsPerCode) return refuse('too_many_attempts', { kind: 'too_many_attempts' }, { attempts: code.attempts });
    if (code.expiresAt <= clock.now()) return refuse('expired', { kind: 'code_expired' });

    if (!codeMatches(this.#deps.secrets, { interactionUid: record.uid, email }, candidate, code.digest)) {
      const triesLeft = Math.max(0, Math.min(policy.maxAttemptsPerCode - code.attempts, policy.lockoutAfterFailures - failures.count));
      return refuse('wrong_code', { kind: 'wrong_code', triesLeft }, { attempts: code.attempts });
    }

    // Checked again now, after the code matched (so only someone who received a code learns
    // this): removing the recipient, expiring or deleting the link since makes the code useless.
    const still = await this.#deps.eligibility({ emailNormalized: email, clientId: record.clientId, sharingId: record.sharingId });
    if (still.kind !== 'deliver') {
      await store.consumeCode(keys.code(email), code.codeId);
      await rejected('no_longer_eligible', { because: still.reason });
      return this.#stay(record, { kind: 'access_removed' });
    }
    if (!(await store.consumeCode(keys.code(email), code.codeId))) {
      // Another request with this same right code won (a double click): follow where it goes.
      const settled = await this.#awaitWinner(record.uid);
      if (settled) return Object.assign(record, settled);
      await rejected('already_used');
      return this.#stay(record, { kind: 'code_used' });
    }
    await store.deleteCounter(keys.failures(email));
    if (probeLockedUntil !== undefined) await store.releaseSlot(keys.lockout(email));
    const person = await this.#deps.people.recordVerification({ display: step.email, normalized: email });
    await audit.record('VerificationSucceeded', {
      actor: { type: 'person', id: person.id },
      sharingId: record.sharingId,
      detail: { email, clientId: record.clientId, userType: person.userType },
      ...request,
    });
    const verified: VerifiedFacts = { personId: person.id, email: step.email, emailNormalized: email, verifiedAt: clock.now(), keepSignedIn: input.keepSignedIn };
    const plan = await this.#deps.federation.upgradePlan(person);
    await this.#commitVerified(
      record,
      !plan
        ? { name: 'verified', ...verified, amr: ['otp'] }
        : plan.mode === 'automatic'
          ? { name: 'federating', providerId: plan.providerId, purpose: 'upgrade', email: step.email, emailNormalized: email, verified }
          : { name: 'upgrade_offered', providerId: plan.providerId, verified },
    );
    return record;
  }

  // --- what the code page shows ------------------------------------------------------------------

  /**
   * What the page says of the mail. A real and a withheld code go through the same steps: "sending"
   * until a moment drawn alike for both, then one read of the mail (a withheld code's mail does
   * not exist and reads as sent), and "delayed" or "failed" only while mail fails for everyone.
   * A mail that one recipient's address refused reads as sent: saying otherwise would tell that
   * address from one that was never sent a code; the audit log records it (MailDeliveryFailed).
   */
  async deliveryState(record: SignInRecord): Promise<DeliveryState> {
    const step = expectStep(record, 'code_sent');
    if (this.#deps.clock.now() < (step.sendingShownUntil ?? 0)) return 'sending';
    const mail = await this.#deps.store.getMail(step.mailId);
    const transport = this.#deps.outbox.transportStatus().state;
    if (transport === 'degraded') return 'delayed';
    if (transport === 'down') return 'failed';
    // Still on its first attempt: a withheld code's pretended delivery lasts as long (see #sendingShownUntil).
    return mail && (mail.state === 'queued' || mail.state === 'sending') && mail.attempts <= 1 ? 'sending' : 'sent';
  }

  /** When the person may ask for another code (epoch ms); now or earlier means "now". */
  async resendAvailableAt(record: SignInRecord): Promise<number> {
    const step = expectStep(record, 'code_sent');
    const policy = await this.#deps.otpPolicy();
    return step.codeRequestedAt + policy.resendCooldownSeconds * 1000;
  }

  // --- internals ---------------------------------------------------------------------------------

  async #requestCode(record: SignInRecord, email: { display: string; normalized: string }, request: RequestContext, success: Notice | undefined): Promise<void> {
    const { store, clock } = this.#deps;
    const policy = await this.#deps.otpPolicy();
    const now = clock.now();
    const previous = record.step.name === 'code_sent' ? record.step : undefined;
    const sameAddress = previous?.emailNormalized === email.normalized;
    const stayOnCodePage = async (notice: Notice) => {
      if (!(sameAddress && previous)) {
        await this.#commit(record, {
          step: { name: 'code_sent', email: email.display, emailNormalized: email.normalized, codeRequestedAt: now, mailId: randomUUID(), sendingShownUntil: now },
        });
      }
      await this.notify(record, notice);
    };

    // Every limit below applies to every address alike, so hitting one says nothing about a link.
    const lockedUntil = await store.peekSlot(keys.lockout(email.normalized), now);
    if (lockedUntil !== undefined) return stayOnCodePage({ kind: 'locked_out', until: lockedUntil });

    const cooldown = await store.claimSlot(keys.cooldown(email.normalized), policy.resendCooldownSeconds, now);
    if (!cooldown.claimed) return stayOnCodePage({ kind: 'resend_wait', until: cooldown.availableAt });

    const perAddress = await store.incrementCounter(keys.sentToAddress(email.normalized), hourSeconds, now);
    if (perAddress.count > policy.maxCodesPerHour) return stayOnCodePage({ kind: 'too_many_codes', until: perAddress.resetAt });
    // A request whose address is unknown (its client reset the connection before it was read) is
    // counted too, all such requests as one: skipping them would let anyone past this cap.
    const perIp = await store.incrementCounter(keys.sentFromIp(request.ip ? clientNetwork(request.ip) : 'unknown'), hourSeconds, now);
    if (perIp.count > this.#deps.codesPerIpPerHour) return stayOnCodePage({ kind: 'too_many_codes', until: perIp.resetAt });

    const eligibility = await this.#deps.eligibility({ emailNormalized: email.normalized, clientId: record.clientId, sharingId: record.sharingId });
    const deliver = eligibility.kind === 'deliver';
    const code = generateCode(policy.length);
    const expiresAt = now + policy.ttlSeconds * 1000;
    const binding = { interactionUid: record.uid, email: email.normalized };
    // A withheld code is stored too, with a digest nobody can match, so entering codes behaves the
    // same; and it voids an older code for the address as a sent one does.
    const digest = deliver ? digestCode(this.#deps.secrets[0]!, binding, code) : randomBytes(32).toString('base64url');
    await store.putCode(keys.code(email.normalized), { codeId: randomUUID(), email: email.normalized, digest, issuedAt: now, expiresAt, attempts: 0 }, policy.ttlSeconds);
    const mailId = randomUUID();
    await this.#auditCodeRequest(record, email.normalized, eligibility, request, mailId);

    await this.#commit(record, {
      step: { name: 'code_sent', email: email.display, emailNormalized: email.normalized, codeRequestedAt: now, mailId, sendingShownUntil: this.#sendingShownUntil(now, deliver) },
    });
    if (success) await this.notify(record, success);
    // Last, and at a random moment after the answer (Outbox.enqueueLater): the work a real mail
    // causes must line up neither with this answer nor with the requests the browser makes next.
    if (deliver) {
      const message = () =>
        verificationCodeMail({
          to: email.display,
          code,
          expiresInMinutes: Math.round(policy.ttlSeconds / 60),
          organizationName: this.#deps.organizationName,
          clientName: request.clientName,
          locale: request.locale,
        });
      this.#deps.outbox.enqueueLater(mailId, message, { label: `verification code to ${maskEmail(email.normalized)}`, notAfter: expiresAt });
    }
  }

  /**
   * Until when the page says "sending": one draw for a sent and a withheld code alike. A sent
   * mail may take longer still (the page follows it); a withheld one then takes as long as a
   * recent real mail did, so the two cannot be told apart by when "sent" appears.
   */
  #sendingShownUntil(now: number, deliver: boolean): number {
    const drawn = sendingShownFloorMs + randomInt(sendingShownSpreadMs);
    return now + (deliver ? drawn : Math.max(drawn, this.#deps.outbox.sampleDeliveryMs()));
  }

  /**
   * The one transition that must not be lost: this request consumed the code, so the sign-in
   * is verified whatever else was saved meanwhile (a resend, a language choice).
   */
  async #commitVerified(record: SignInRecord, step: Extract<SignInStep, { name: 'verified' | 'federating' | 'upgrade_offered' }>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#commit(record, { step });
        return;
      } catch (error) {
        if (!(error instanceof RecordChangedError) || attempt >= 10) throw error;
        const fresh = await this.read(record.uid);
        if (!fresh) throw error;
        Object.assign(record, fresh);
        if (fresh.step.name !== 'enter_email' && fresh.step.name !== 'code_sent') return;
      }
    }
  }

  async #auditCodeRequest(record: SignInRecord, email: string, eligibility: CodeEligibility, request: RequestOrigin, mailId: string): Promise<void> {
    const common = { sharingId: record.sharingId, ip: request.ip, userAgent: request.userAgent };
    if (eligibility.kind === 'deliver') {
      await this.#deps.audit.record('VerificationCodeSent', {
        actor: { type: 'anonymous', id: record.uid },
        detail: { email, clientId: record.clientId, mailId },
        ...common,
      });
      return;
    }
    await this.#deps.audit.record(eligibility.operation, {
      actor: { type: 'anonymous', id: record.uid },
      detail: { email, clientId: record.clientId, reason: eligibility.reason },
      ...common,
      result: 'failure',
    });
  }

  /** Waits (briefly) for the request that consumed this interaction's code to move the sign-in on. */
  async #awaitWinner(uid: string): Promise<SignInRecord | undefined> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const fresh = await this.read(uid);
      if (fresh && fresh.step.name !== 'code_sent' && fresh.step.name !== 'enter_email') return fresh;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  async #stay(record: SignInRecord, notice: Notice): Promise<SignInRecord> {
    await this.notify(record, notice);
    return record;
  }
}
