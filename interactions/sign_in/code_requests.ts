/**
 * The emailed code of a sign-in: asking for one (limits, eligibility, the mail), entering one
 * (counting, comparing, consuming), and what the code page says of its delivery. The code itself
 * is made and compared by `../one_time_code.ts`; the steps it moves are in `state.ts`.
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
 *   same page, status and counters, at the same times. The email form answers after the limits
 *   and the save, the same steps for every address; who may be sent a code is decided after the
 *   answer, at a random moment, with everything that follows from it (the code, its audit event,
 *   the mail), so neither those lookups nor the mail's work slow the answer or the person's next
 *   requests for some addresses. A withheld code has a stored, unguessable digest and a mail id
 *   that is never queued; the delivery line says "sending" until a moment drawn alike for both,
 *   then "sent" for both (the real mail is not followed). Only the audit log tells them apart.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import type { CodeStore, CounterStore, StoredCode } from '../../adapters/store.ts';
import type { OtpPolicy } from '../../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../../src/audit.ts';
import { clientNetwork } from '../../src/client_network.ts';
import type { Clock } from '../../src/clock.ts';
import type { CodeEligibility, EligibilityCheck } from '../../src/eligibility.ts';
import { maskEmail } from '../../src/emails.ts';
import type { Locale } from '../../src/i18n/index.ts';
import type { Outbox } from '../../src/mail/outbox.ts';
import { verificationCodeMail } from '../../src/mail/templates.ts';
import { randomToken } from '../../src/random_pool.ts';
import { signInPurpose } from '../../src/sign_in_purpose.ts';
import { codeMatches, digestCode, generateCode, normalizeCodeInput } from '../one_time_code.ts';
import { codeConsumed, followSignIn, wasCodeConsumedHere } from './progress.ts';
import type { SignInRecords } from './records.ts';
import { expectStep, followParallelRequest, isPastCodeEntry, type DeliveryState, type Notice, type SignInRecord, type SignInStep } from './state.ts';

export interface CodeRequestDeps {
  store: CodeStore & CounterStore;
  records: SignInRecords;
  clock: Clock;
  outbox: Pick<Outbox, 'later' | 'enqueue' | 'transportStatus' | 'sampleDeliveryMs'>;
  audit: AuditLog;
  /** Newest first. */
  secrets: readonly string[];
  otpPolicy: () => Promise<OtpPolicy>;
  codesPerIpPerHour: number;
  organizationName: string;
  eligibility: EligibilityCheck;
}

/** Who asked, as the mail and the audit need it. */
export interface RequestContext extends RequestOrigin {
  locale: Locale;
  /** The relying party's display name, for the mail. */
  clientName: string;
}

/** How an entered code went: refused (the notice says why), right, or used by a parallel entry of the same code. */
export type CodeCheck = { kind: 'refused'; notice: Notice } | { kind: 'right' } | { kind: 'followed'; record: SignInRecord };

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

export class CodeRequests {
  readonly #deps: CodeRequestDeps;

  constructor(deps: CodeRequestDeps) {
    this.#deps = deps;
  }

  /** A code for `email` (when every limit allows): the sign-in moves to code_sent, and the mail goes after the answer. */
  async request(record: SignInRecord, email: { display: string; normalized: string }, request: RequestContext, success: Notice | undefined): Promise<void> {
    const { store, clock, records } = this.#deps;
    const policy = await this.#deps.otpPolicy();
    const now = clock.now();
    // The step as this request found it, as data (a JSON copy: a field set to undefined is no field).
    const startedAt: unknown = JSON.parse(JSON.stringify(record.step));
    const previous = record.step.name === 'code_sent' ? record.step : undefined;
    const sameAddress = previous?.emailNormalized === email.normalized;
    // The step and its notice go in one save: a parallel request (a double click, a page load)
    // never reads the code page without the notice that explains it, and a stale save still
    // throws RecordChangedError. Only a notice on a step left as it was is retried on top of a
    // parallel save (`notify`).
    const stayOnCodePage = async (notice: Notice) => {
      if (sameAddress && previous) return records.notify(record, notice);
      await records.commit(record, {
        step: { name: 'code_sent', email: email.display, emailNormalized: email.normalized, codeRequestedAt: now, mailId: randomUUID(), sendingShownUntil: now },
        notice,
      });
    };

    // Every limit below applies to every address alike, so hitting one says nothing about a link.
    // In order, one store step: the lockout, the resend cooldown, then per address and per client
    // network (counted only when the address is within its cap). A request whose address is
    // unknown (its client reset the connection before it was read) is counted too, all such
    // requests as one: skipping them would let anyone past this cap.
    const limits = await store.passLimits(
      {
        refusedWhileHeld: keys.lockout(email.normalized),
        claims: { key: keys.cooldown(email.normalized), ttlSeconds: policy.resendCooldownSeconds },
        counters: [
          { key: keys.sentToAddress(email.normalized), windowSeconds: hourSeconds, limit: policy.maxCodesPerHour },
          { key: keys.sentFromIp(request.ip ? clientNetwork(request.ip) : 'unknown'), windowSeconds: hourSeconds, limit: this.#deps.codesPerIpPerHour },
        ],
      },
      now,
    );
    if (limits.kind === 'held') return stayOnCodePage({ kind: 'locked_out', until: limits.until });
    if (limits.kind === 'cooling') return stayOnCodePage({ kind: 'resend_wait', until: limits.availableAt });
    const [perAddress, perIp] = limits.states;
    const hourFromNow = now + hourSeconds * 1000;
    if (!perAddress || perAddress.count > policy.maxCodesPerHour) return stayOnCodePage({ kind: 'too_many_codes', until: perAddress?.resetAt ?? hourFromNow });
    if (!perIp || perIp.count > this.#deps.codesPerIpPerHour) return stayOnCodePage({ kind: 'too_many_codes', until: perIp?.resetAt ?? hourFromNow });

    // Who is sent a code is decided after the answer (#issue): until then every address takes
    // the same steps, whatever the lookups that decide would have cost for it. One of them voids
    // the address's older code now (SPEC §4: a new code invalidates the previous one), with an
    // unmatchable stand-in as a withheld code has: a code typed before the decision then reads as
    // wrong for every address, whether or not anyone asked for one for it lately.
    const standIn = unmatchableCode(email.normalized, now, policy);
    await store.putCode(keys.code(email.normalized), standIn, policy.ttlSeconds);
    const mailId = randomUUID();
    const step: SignInStep = { name: 'code_sent', email: email.display, emailNormalized: email.normalized, codeRequestedAt: now, mailId, sendingShownUntil: this.#sendingShownUntil(now) };
    // With its notice in the same save (see stayOnCodePage). Without one, a notice the record
    // already holds is left as it was, as any other step's save leaves it.
    // The code is on its way now (its cooldown claimed, its issue handed over below), so this
    // save must not be lost to a parallel request of the same sign-in that saved meanwhile: a
    // double click whose other request, held back by the cooldown this one claimed, moved to the
    // code page first with a mail id nothing will send; or a second resend click leaving its
    // "wait" notice. Losing would leave the person with no code and their older one voided, until
    // the cooldown ends. So it is saved on top of theirs while the sign-in still stands where this
    // request found it, or on the code page for this same address; anything else (another
    // address, a later step) wins. "Where it found it" is the whole step, not its name: a sign-in
    // that went on and came back to enter_email ("use another address") has moved past this
    // request, and one whose code page was only given a notice or a language (the email form of
    // another tab) has not.
    const stillApplies = (fresh: SignInRecord) =>
      (fresh.step.name === 'code_sent' && fresh.step.emailNormalized === email.normalized) || isDeepStrictEqual(JSON.parse(JSON.stringify(fresh.step)), startedAt);
    await records.commitOver(record, success ? { step, notice: success } : { step }, stillApplies);
    // Last, and at a random moment after the answer (Outbox.later): the work that differs between
    // a recipient and anyone else must line up neither with this answer nor with the requests the
    // browser makes next.
    this.#deps.outbox.later(() => this.#issue(record, email, request, { policy, requestedAt: now, mailId, standInId: standIn.codeId }), {
      message: 'a code could not be issued',
      fields: { interaction: record.uid, to: maskEmail(email.normalized) },
    });
  }

  /**
   * After the answer: whether this address may be sent a code (eligibility), then the code, its
   * audit event and, for a code that is sent, its mail. A withheld code is stored too, with a
   * digest nobody can match, so entering codes behaves the same. Until this has run, every
   * address alike has such a stand-in (`request`): a code typed before reads as wrong (nobody has
   * the mail yet). The cooldown claimed before the answer (at least 10 s) keeps two of these for
   * one address from running out of order; one held up past it (a store that stalled) finds its
   * stand-in replaced by a newer request's and is dropped, rather than void that newer code.
   * A decision that fails withholds (fails closed) and leaves what a withheld code leaves, then
   * is logged: it can fail for some addresses only (a recipient's links are read, a stranger's
   * are not), and no code at all would read as "expired" where every other address reads "wrong".
   */
  async #issue(record: SignInRecord, email: { display: string; normalized: string }, request: RequestContext, { policy, requestedAt, mailId, standInId }: { policy: OtpPolicy; requestedAt: number; mailId: string; standInId: string }): Promise<void> {
    let failure: { error: unknown } | undefined;
    const eligibility = await this.#deps.eligibility({ emailNormalized: email.normalized, clientId: record.clientId, sharingId: record.sharingId }).catch((error: unknown): CodeEligibility => {
      failure = { error };
      return { kind: 'withhold', operation: 'VerificationCodeRejected', reason: 'eligibility_failed' };
    });
    const deliver = eligibility.kind === 'deliver';
    const code = generateCode(policy.length);
    const binding = { interactionUid: record.uid, email: email.normalized };
    const stored = newCode(email.normalized, deliver ? digestCode(this.#deps.secrets[0]!, binding, code) : unmatchableDigest(), requestedAt, policy);
    // In place of this request's stand-in only (keeping its expiry, requestedAt + ttl): held up past the
    // cooldown (a stalled store), a newer request for the address may have replaced it; not void that.
    if (!(await this.#deps.store.replaceCode(keys.code(email.normalized), standInId, stored))) throw new Error('a newer code request for the address came first: this older one is dropped');
    await this.#auditCodeRequest(record, email.normalized, eligibility, request, mailId);
    if (failure) throw failure.error;
    if (!deliver) return;
    const message = verificationCodeMail({
      to: email.display,
      code,
      expiresInMinutes: Math.round(policy.ttlSeconds / 60),
      organizationName: this.#deps.organizationName,
      clientName: request.clientName,
      purpose: signInPurpose(record),
      locale: request.locale,
    });
    // Its delivery time counts from the request, so the page's "sending" (#sendingShownUntil),
    // drawn from such times, lasts as long as a real mail's for every address.
    const label = `verification code to ${maskEmail(email.normalized)}`;
    await this.#deps.outbox.enqueue(message, { id: mailId, requestedAt, label, notAfter: stored.expiresAt }).catch(async (error: unknown) => {
      // VerificationCodeSent is in the audit already: say that its mail never left, as a mail the
      // relay gave up on says it, rather than leave a code that reads as sent (then logged by `later`).
      const reason = `not queued: ${error instanceof Error ? error.message : String(error)}`;
      await this.#deps.audit.record('MailDeliveryFailed', { actor: { type: 'system', id: 'outbox' }, detail: { mailId, mail: label, attempts: 0, reason }, result: 'failure' }).catch(() => undefined);
      throw error;
    });
  }

  /** An entered code: counted, then compared, then consumed — in that order, each step in the store. */
  async check(record: SignInRecord, step: Extract<SignInStep, { name: 'code_sent' }>, input: unknown, request: RequestOrigin): Promise<CodeCheck> {
    const { store, clock, audit } = this.#deps;
    const policy = await this.#deps.otpPolicy();
    const candidate = typeof input === 'string' ? normalizeCodeInput(input, policy.length) : undefined;
    if (!candidate) return refused({ kind: 'invalid_code_format' });
    const email = step.emailNormalized;
    const rejected = (reason: string, detail: Record<string, unknown> = {}) =>
      audit.record('VerificationCodeRejected', {
        actor: { type: 'anonymous', id: record.uid },
        sharingId: record.sharingId,
        detail: { email, reason, clientId: record.clientId, ...detail },
        ...request,
        result: 'failure',
      });

    // Counted before comparing, in the store, so parallel guesses cannot slip under the caps: per
    // address and per code, in one step. Refused while the address is locked out (not counted);
    // from the entry that reaches the limit on, each lockout period allows one entry: claiming
    // the lockout is what allows it, so of parallel entries one is compared and the address is
    // locked meanwhile. (Claimed already by the entry that reaches the limit: otherwise it and the
    // first entry past it, arriving together, would both be compared.)
    const entry = await store.countCodeEntry(
      keys.code(email),
      {
        counter: { key: keys.failures(email), windowSeconds: Math.max(failureMemorySeconds, policy.lockoutSeconds) },
        lockout: { key: keys.lockout(email), ttlSeconds: policy.lockoutSeconds, lockAt: policy.lockoutAfterFailures },
      },
      clock.now(),
    );
    if (entry.kind === 'locked') {
      await rejected('locked_out');
      return refused({ kind: 'locked_out', until: entry.until });
    }
    const { state: failures, lockedUntil: probeLockedUntil, code } = entry;
    /** A refused entry; at the limit the lockout it claimed stays, whatever the reason. */
    const refuse = async (reason: string, notice: Notice, detail: Record<string, unknown> = {}): Promise<CodeCheck> => {
      await rejected(reason, detail);
      return refused(probeLockedUntil === undefined ? notice : { kind: 'locked_out', until: probeLockedUntil });
    };

    if (!code) {
      // A parallel entry of the same right code may have consumed it just before we counted (a
      // double click): follow it rather than call the code expired. Only once it has moved the
      // sign-in past the code, which this browser (the interaction's cookie, the CSRF token) would
      // see by loading the page anyway, so following grants nothing a code had not.
      const settled = await this.#winnerAfterMissingCode(record.uid);
      if (settled) return { kind: 'followed', record: settled };
    }
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
      return refused({ kind: 'access_removed' });
    }
    // A right code ends the address's run of failures, and frees the lockout this entry claimed.
    const reset = { counters: [keys.failures(email)], slots: probeLockedUntil === undefined ? [] : [keys.lockout(email)] };
    if (!(await store.consumeCode(keys.code(email), code.codeId, reset))) {
      // Another request with this same right code won (a double click): follow where it goes.
      const settled = await this.#awaitWinner(record.uid);
      if (settled) return { kind: 'followed', record: settled };
      await rejected('already_used');
      return refused({ kind: 'code_used' });
    }
    codeConsumed(record.uid, followParallelRequest.withinMs);
    return { kind: 'right' };
  }

  /**
   * What the page says of the mail: "sending" until a moment drawn alike for a real and a
   * withheld code, then "sent", or "delayed" or "failed" only while mail fails for everyone. The
   * mail itself is not read: only a real code has one, and following it (still in flight behind a
   * slow relay, or queued late by a slow decision) kept recipients at "sending" after every other
   * address read "sent". A mail that one recipient's address refused reads as sent too; the audit
   * log records it (MailDeliveryFailed).
   */
  deliveryState(record: SignInRecord): Promise<DeliveryState> {
    const step = expectStep(record, 'code_sent');
    if (this.#deps.clock.now() < step.sendingShownUntil) return Promise.resolve('sending');
    const transport = this.#deps.outbox.transportStatus().state;
    return Promise.resolve(transport === 'degraded' ? 'delayed' : transport === 'down' ? 'failed' : 'sent');
  }

  /** When the person may ask for another code (epoch ms); now or earlier means "now". */
  async resendAvailableAt(record: SignInRecord): Promise<number> {
    const step = expectStep(record, 'code_sent');
    const policy = await this.#deps.otpPolicy();
    return step.codeRequestedAt + policy.resendCooldownSeconds * 1000;
  }

  /**
   * Until when the page says "sending": one draw, made before anyone knows whether the code will
   * be sent, and at least as long as a recent real mail took; "sent" then for both (a sent mail
   * may take longer still, but the page does not follow it: see deliveryState).
   */
  #sendingShownUntil(now: number): number {
    return now + Math.max(sendingShownFloorMs + randomInt(sendingShownSpreadMs), this.#deps.outbox.sampleDeliveryMs());
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

  /**
   * The code is gone. When a request of this process consumed it lately, follow that request;
   * otherwise (an expired or replaced code, or a winner on another instance) one read of the
   * sign-in says whether a parallel request has moved it on already.
   */
  async #winnerAfterMissingCode(uid: string): Promise<SignInRecord | undefined> {
    if (wasCodeConsumedHere(uid)) return this.#awaitWinner(uid);
    const fresh = await this.#deps.records.read(uid);
    return fresh && isPastCodeEntry(fresh.step) ? fresh : undefined;
  }

  /** Waits (briefly, woken by its commit: progress.ts) for the request that consumed this interaction's code to move the sign-in on. */
  #awaitWinner(uid: string): Promise<SignInRecord | undefined> {
    return followSignIn(
      this.#deps.clock,
      uid,
      async () => {
        const fresh = await this.#deps.records.read(uid);
        return fresh && isPastCodeEntry(fresh.step) ? fresh : undefined;
      },
      followParallelRequest,
    );
  }
}

/** A new code for `email`, issued at `issuedAt`, with its digest. */
function newCode(email: string, digest: string, issuedAt: number, policy: OtpPolicy): StoredCode {
  return { codeId: randomUUID(), email, digest, issuedAt, expiresAt: issuedAt + policy.ttlSeconds * 1000, attempts: 0 };
}

/** The digest of no code: nobody can enter it (a withheld code, and the stand-in until the decision). */
function unmatchableDigest(): string {
  return randomToken(32);
}

/** A code nobody can enter: the stand-in until the decision. */
function unmatchableCode(email: string, issuedAt: number, policy: OtpPolicy): StoredCode {
  return newCode(email, unmatchableDigest(), issuedAt, policy);
}

function refused(notice: Notice): CodeCheck {
  return { kind: 'refused', notice };
}
