/**
 * The sign-in state machine: enter_email → code_sent → verified. Routes only call the events
 * below; each event names the steps it may start from, and any other step is an
 * `UnexpectedStepError`, never a fall-through.
 *
 * Threats this file answers, and how:
 * - Guessing codes: each entry is counted in the store *before* the comparison, per code
 *   (`maxAttemptsPerCode`) and per address across codes (`lockoutAfterFailures`), so N parallel
 *   guesses cannot exceed either cap; a resend never resets those counts.
 * - Replaying a code: consuming is one atomic step naming the code id; of N parallel correct
 *   entries exactly one wins, and a newer code makes older ones useless.
 * - Mail bombing: a cooldown and an hourly cap per address, an hourly cap per client IP.
 * - Learning who a link was shared with: whether or not a code is sent, the person sees the
 *   same page, status and counters (a withheld code still has a stored, unguessable digest, and
 *   its "delivery" looks like a real one); only the audit log tells them apart.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

import type { AuditOperation, Store } from '../adapters/store.ts';
import type { OtpPolicy } from '../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../src/audit.ts';
import type { Clock } from '../src/clock.ts';
import { maskEmail, parseEmail } from '../src/emails.ts';
import type { Locale } from '../src/i18n/index.ts';
import { verificationCodeMail } from '../src/mail/templates.ts';
import type { Outbox } from '../src/mail/outbox.ts';
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
      /** The queued mail, when one was queued; absent when the code was withheld. */
      mailId?: string | undefined;
      /** For a withheld code: when its pretended delivery shows as done. */
      pretendSentAt?: number | undefined;
    }
  | { name: 'verified'; personId: string; email: string; emailNormalized: string; verifiedAt: number; keepSignedIn: boolean };

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
  | { kind: 'step_unavailable' };

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
}

export interface RequestContext extends RequestOrigin {
  locale: Locale;
  /** The relying party's display name, for the mail. */
  clientName: string;
}

export type DeliveryState = 'sending' | 'sent' | 'delayed' | 'failed';

const hourSeconds = 3600;

const keys = {
  sentToAddress: (email: string) => `otp:sent:${email}`,
  sentFromIp: (ip: string) => `otp:sent-ip:${ip}`,
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
  async load(interaction: { uid: string; clientId: string; sharingId?: string | undefined; expiresAt: number; loginHint?: string | undefined }): Promise<SignInRecord> {
    const existing = await this.read(interaction.uid);
    if (existing) return existing;
    const record: SignInRecord = {
      version: 1,
      uid: interaction.uid,
      clientId: interaction.clientId,
      sharingId: interaction.sharingId,
      csrf: randomBytes(24).toString('base64url'),
      step: { name: 'enter_email', emailDraft: interaction.loginHint },
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
    await this.#requestCode(record, email, request, undefined);
    return record;
  }

  /** code_sent → code_sent with a new code (when the cooldown and limits allow). */
  async resendCode(record: SignInRecord, request: RequestContext): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    await this.#requestCode(record, { display: step.email, normalized: step.emailNormalized }, request, { kind: 'code_resent' });
    return record;
  }

  /** code_sent → enter_email, keeping the address as a draft. The current code stays valid until it expires. */
  async changeEmail(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    await this.#commit(record, { step: { name: 'enter_email', emailDraft: step.email } });
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
    const failures = await store.incrementCounter(keys.failures(email), policy.lockoutSeconds, clock.now());
    if (failures.count > policy.lockoutAfterFailures) {
      const locked = await this.#lockOut(email, policy);
      await rejected('locked_out');
      return this.#stay(record, { kind: 'locked_out', until: locked });
    }
    const code = await store.countCodeAttempt(record.uid);
    if (!code || code.email !== email) {
      await rejected('no_code');
      return this.#stay(record, { kind: 'code_expired' });
    }
    // An exhausted code is left in place: its count only grows, so it can never match again, and
    // deleting it here could race a parallel request that has already matched and is consuming it.
    if (code.attempts > policy.maxAttemptsPerCode) {
      await rejected('too_many_attempts', { attempts: code.attempts });
      return this.#stay(record, { kind: 'too_many_attempts' });
    }
    if (code.expiresAt <= clock.now()) {
      await rejected('expired');
      return this.#stay(record, { kind: 'code_expired' });
    }

    if (!codeMatches(this.#deps.secrets, { interactionUid: record.uid, email }, candidate, code.digest)) {
      await rejected('wrong_code', { attempts: code.attempts });
      if (failures.count >= policy.lockoutAfterFailures) {
        const locked = await this.#lockOut(email, policy);
        return this.#stay(record, { kind: 'locked_out', until: locked });
      }
      const triesLeft = Math.max(0, Math.min(policy.maxAttemptsPerCode - code.attempts, policy.lockoutAfterFailures - failures.count));
      return this.#stay(record, { kind: 'wrong_code', triesLeft });
    }

    // Checked again now, after the code matched (so only someone who received a code learns
    // this): removing the recipient, expiring or deleting the link since makes the code useless.
    const still = await this.#deps.eligibility({ emailNormalized: email, clientId: record.clientId, sharingId: record.sharingId });
    if (still.kind !== 'deliver') {
      await store.consumeCode(record.uid, code.codeId);
      await rejected('no_longer_eligible', { because: still.reason });
      return this.#stay(record, { kind: 'access_removed' });
    }
    if (!(await store.consumeCode(record.uid, code.codeId))) {
      await rejected('already_used');
      return this.#stay(record, { kind: 'code_used' });
    }
    await store.deleteCounter(keys.failures(email));
    const person = await this.#deps.people.recordVerification({ display: step.email, normalized: email });
    await audit.record('VerificationSucceeded', {
      actor: { type: 'person', id: person.id },
      sharingId: record.sharingId,
      detail: { email, clientId: record.clientId, userType: person.userType },
      ...request,
    });
    await this.#commitVerified(record, {
      name: 'verified',
      personId: person.id,
      email: step.email,
      emailNormalized: email,
      verifiedAt: clock.now(),
      keepSignedIn: input.keepSignedIn,
    });
    return record;
  }

  // --- what the code page shows ------------------------------------------------------------------

  async deliveryState(record: SignInRecord): Promise<DeliveryState> {
    const step = expectStep(record, 'code_sent');
    const now = this.#deps.clock.now();
    if (step.mailId === undefined) return step.pretendSentAt !== undefined && now < step.pretendSentAt ? 'sending' : 'sent';
    const mail = await this.#deps.store.getMail(step.mailId);
    switch (mail?.state) {
      case 'sent':
        return 'sent';
      case 'retrying':
        return 'delayed';
      case 'failed':
      case 'expired':
        return 'failed';
      case 'queued':
      case 'sending':
        return 'sending';
      case undefined:
        // the status of a finished mail is kept for a day; past that the code is long expired
        return 'sent';
    }
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
        await this.#commit(record, { step: { name: 'code_sent', email: email.display, emailNormalized: email.normalized, codeRequestedAt: now, pretendSentAt: now } });
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
    if (request.ip) {
      const perIp = await store.incrementCounter(keys.sentFromIp(request.ip), hourSeconds, now);
      if (perIp.count > this.#deps.codesPerIpPerHour) return stayOnCodePage({ kind: 'too_many_codes', until: perIp.resetAt });
    }

    const eligibility = await this.#deps.eligibility({ emailNormalized: email.normalized, clientId: record.clientId, sharingId: record.sharingId });
    const code = generateCode(policy.length);
    const expiresAt = now + policy.ttlSeconds * 1000;
    const binding = { interactionUid: record.uid, email: email.normalized };
    // A withheld code is stored too, with a digest nobody can match, so entering codes behaves the same.
    const digest = eligibility.kind === 'deliver' ? digestCode(this.#deps.secrets[0]!, binding, code) : randomBytes(32).toString('base64url');
    await store.putCode(record.uid, { codeId: randomUUID(), email: email.normalized, digest, issuedAt: now, expiresAt, attempts: 0 }, policy.ttlSeconds);

    let mailId: string | undefined;
    if (eligibility.kind === 'deliver') {
      const message = verificationCodeMail({
        to: email.display,
        code,
        expiresInMinutes: Math.round(policy.ttlSeconds / 60),
        organizationName: this.#deps.organizationName,
        clientName: request.clientName,
        locale: request.locale,
      });
      mailId = await this.#deps.outbox.enqueue(message, { label: `verification code to ${maskEmail(email.normalized)}`, notAfter: expiresAt });
    }
    await this.#auditCodeRequest(record, email.normalized, eligibility, request, mailId);

    await this.#commit(record, {
      step: {
        name: 'code_sent',
        email: email.display,
        emailNormalized: email.normalized,
        codeRequestedAt: now,
        mailId,
        pretendSentAt: mailId === undefined ? now + randomInt(400, 1500) : undefined,
      },
    });
    if (success) await this.notify(record, success);
  }

  /**
   * The one transition that must not be lost: this request consumed the code, so the sign-in
   * is verified whatever else was saved meanwhile (a resend, a language choice).
   */
  async #commitVerified(record: SignInRecord, step: Extract<SignInStep, { name: 'verified' }>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#commit(record, { step });
        return;
      } catch (error) {
        if (!(error instanceof RecordChangedError) || attempt >= 10) throw error;
        const fresh = await this.read(record.uid);
        if (!fresh) throw error;
        Object.assign(record, fresh);
        if (fresh.step.name === 'verified') return;
      }
    }
  }

  async #auditCodeRequest(record: SignInRecord, email: string, eligibility: CodeEligibility, request: RequestOrigin, mailId: string | undefined): Promise<void> {
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

  async #lockOut(email: string, policy: OtpPolicy): Promise<number> {
    const { store } = this.#deps;
    const lock = await store.claimSlot(keys.lockout(email), policy.lockoutSeconds, this.#deps.clock.now());
    await store.deleteCounter(keys.failures(email));
    return lock.availableAt;
  }

  async #stay(record: SignInRecord, notice: Notice): Promise<SignInRecord> {
    await this.notify(record, notice);
    return record;
  }
}
