/**
 * The events of the sign-in state machine (`state.ts` has the steps and the diagram). Routes only
 * call these; each names the steps it may start from (`expectStep`), saves its change on top of
 * the version it read, and leaves a notice for the next page when the person must be told
 * something. No HTTP here: the flow takes plain values, so it is tested with the memory store
 * and a manual clock.
 */
import { parseEmail } from '../../src/emails.ts';
import type { PersonRecord, RecordStore } from '../../adapters/store.ts';
import type { AuditLog, RequestOrigin } from '../../src/audit.ts';
import type { Clock } from '../../src/clock.ts';
import { RecordChangedError, UnexpectedStepError } from '../../src/errors.ts';
import type { FederationPlanner } from '../../src/federation_planner.ts';
import type { Locale } from '../../src/i18n/index.ts';
import type { People } from '../../src/people.ts';
import { CodeRequests, type CodeRequestDeps, type RequestContext } from './code_requests.ts';
import { becomeFresh, SignInRecords } from './records.ts';
import { expectStep, isPastCodeEntry, type DeliveryState, type Notice, type SignInRecord, type SignInStep, type UpgradeFailure, type VerifiedFacts } from './state.ts';

export type { RequestContext } from './code_requests.ts';

export interface SignInDeps extends Omit<CodeRequestDeps, 'records' | 'store'> {
  store: RecordStore & CodeRequestDeps['store'];
  clock: Clock;
  audit: AuditLog;
  people: Pick<People, 'get' | 'lookUp' | 'recordVerification'>;
  federation: FederationPlanner;
}

/** What oidc-provider knows of an interaction when its first page is shown. */
export interface NewInteraction {
  uid: string;
  clientId: string;
  sharingId?: string | undefined;
  /** Epoch ms. */
  expiresAt: number;
  loginHint?: string | undefined;
  /** The person signed in in this browser, if any. */
  sessionAccountId?: string | undefined;
  prompt: { name: string; reasons: readonly string[] };
}

export class SignInFlow {
  readonly #deps: SignInDeps;
  readonly #records: SignInRecords;
  readonly #codes: CodeRequests;

  constructor(deps: SignInDeps) {
    this.#deps = deps;
    this.#records = new SignInRecords(deps.store, deps.clock);
    this.#codes = new CodeRequests({ ...deps, records: this.#records });
  }

  read(uid: string): Promise<SignInRecord | undefined> {
    return this.#records.read(uid);
  }

  /**
   * The record of an interaction, created at its first page (the caller has just read none): a
   * record a parallel request created meanwhile wins, and is what this returns.
   */
  async start(interaction: NewInteraction): Promise<SignInRecord> {
    return this.#records.create({ ...interaction, firstStep: await this.#firstStep(interaction) });
  }

  notify(record: SignInRecord, notice: Notice): Promise<void> {
    return this.#records.notify(record, notice);
  }

  takeNotice(record: SignInRecord): Promise<Notice | undefined> {
    return this.#records.takeNotice(record);
  }

  async chooseLocale(record: SignInRecord, locale: Locale): Promise<void> {
    try {
      await this.#records.commit(record, { locale });
    } catch (error) {
      // A language choice that loses a race is simply asked again by the next page.
      if (!(error instanceof RecordChangedError)) throw error;
    }
  }

  /** The gate that lets one request finish a verified sign-in (`SignInRecords.claimFinish`). */
  claimFinish(record: SignInRecord): Promise<boolean> {
    return this.#records.claimFinish(record);
  }

  /** Gives up the finish gate this request holds (`SignInRecords.releaseFinish`). */
  releaseFinish(record: SignInRecord): Promise<void> {
    return this.#records.releaseFinish(record);
  }

  deliveryState(record: SignInRecord): Promise<DeliveryState> {
    return this.#codes.deliveryState(record);
  }

  resendAvailableAt(record: SignInRecord): Promise<number> {
    return this.#codes.resendAvailableAt(record);
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
    const { person, deleted } = await this.#deps.people.lookUp(email.normalized);
    const removed = person?.disabled ? 'disabled' : !person && deleted ? 'deleted' : undefined;
    if (removed) {
      await this.#deps.audit.record('VerificationCodeRejected', {
        actor: { type: 'anonymous', id: record.uid },
        sharingId: record.sharingId,
        detail: { email: email.normalized, clientId: record.clientId, reason: removed },
        ...request,
        result: 'failure',
      });
      await this.#records.commit(record, { step: { name: 'access_removed', email: email.display } });
      return record;
    }
    const providerId = person ? this.#deps.federation.signInProvider(person) : undefined;
    if (providerId) {
      await this.#records.commit(record, { step: { name: 'federating', providerId, purpose: 'signin', email: email.display, emailNormalized: email.normalized } });
      return record;
    }
    await this.#codes.request(record, email, request, undefined);
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
    await this.#records.commit(record, {
      step: { name: 'federating', providerId, purpose: 'redeem', email: invitation.email, emailNormalized: invitation.email, invitationId: invitation.invitationId },
    });
    return record;
  }

  /** upgrade_offered → federating(upgrade), or → verified when the person declines. */
  async answerUpgrade(record: SignInRecord, accept: boolean): Promise<SignInRecord> {
    const step = expectStep(record, 'upgrade_offered');
    const { verified } = step;
    await this.#records.commit(record, {
      step: accept
        ? { name: 'federating', providerId: step.providerId, purpose: 'upgrade', email: verified.email, emailNormalized: verified.emailNormalized, verified }
        : { name: 'verified', ...verified, amr: ['otp'] },
    });
    return record;
  }

  /** verified → enter_email: the person proved an address that has no access here, and tries another. */
  async restart(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'verified');
    await this.#records.commit(record, { step: { name: 'enter_email', emailDraft: step.email } });
    return record;
  }

  /** verified → access_removed: the person was disabled after proving their address; nobody is signed in. */
  async removeAccess(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'verified');
    await this.#records.commit(record, { step: { name: 'access_removed', email: step.email } });
    return record;
  }

  /** upgrade_failed → verified: the code still proved the address. */
  async continueWithCode(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'upgrade_failed');
    await this.#records.commit(record, { step: { name: 'verified', ...step.verified, amr: ['otp'] } });
    return record;
  }

  /** federating → verified: the work provider proved who this is. */
  async federationSucceeded(record: SignInRecord, person: PersonRecord, idp: string): Promise<SignInRecord> {
    const step = expectStep(record, 'federating');
    const now = this.#deps.clock.now();
    const facts: VerifiedFacts = step.verified ?? { personId: person.id, email: person.email, emailNormalized: person.emailNormalized, verifiedAt: now, keepSignedIn: false };
    await this.#records.commit(record, { step: { name: 'verified', ...facts, personId: person.id, amr: step.purpose === 'upgrade' ? ['otp', 'fed'] : ['fed'], idp } });
    return record;
  }

  /** federating → upgrade_failed (after a code) or back to enter_email with the reason. */
  async federationFailed(record: SignInRecord, reason: UpgradeFailure): Promise<SignInRecord> {
    const step = expectStep(record, 'federating');
    if (step.purpose === 'upgrade' && step.verified) {
      await this.#records.commit(record, { step: { name: 'upgrade_failed', reason, verified: step.verified } });
      return record;
    }
    await this.#records.commit(record, { step: { name: 'enter_email', emailDraft: step.email }, notice: { kind: 'federation_failed', reason } });
    return record;
  }

  /** code_sent → code_sent with a new code (when the cooldown and limits allow). */
  async resendCode(record: SignInRecord, request: RequestContext): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    await this.#codes.request(record, { display: step.email, normalized: step.emailNormalized }, request, { kind: 'code_resent' });
    return record;
  }

  /**
   * code_sent | access_removed → enter_email, keeping the address as a draft (a code sent stays
   * valid until it expires); wrong_account | choose_account → enter_email, empty: another address.
   */
  async changeEmail(record: SignInRecord): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent', 'access_removed', 'wrong_account', 'choose_account');
    const emailDraft = step.name === 'code_sent' || step.name === 'access_removed' ? step.email : undefined;
    await this.#records.commit(record, { step: { name: 'enter_email', emailDraft } });
    return record;
  }

  /** code_sent → verified when the code is right; otherwise stays with a notice saying why. */
  async submitCode(record: SignInRecord, input: { code: unknown; keepSignedIn: boolean }, request: RequestOrigin): Promise<SignInRecord> {
    const step = expectStep(record, 'code_sent');
    const check = await this.#codes.check(record, step, input.code, request);
    if (check.kind === 'refused') return this.#stay(record, check.notice);
    if (check.kind === 'followed') return Object.assign(record, check.record);
    const email = step.emailNormalized;
    const person = await this.#deps.people.recordVerification({ display: step.email, normalized: email });
    await this.#deps.audit.record('VerificationSucceeded', {
      actor: { type: 'person', id: person.id },
      sharingId: record.sharingId,
      detail: { email, clientId: record.clientId, userType: person.userType },
      ...request,
    });
    const verified: VerifiedFacts = { personId: person.id, email: step.email, emailNormalized: email, verifiedAt: this.#deps.clock.now(), keepSignedIn: input.keepSignedIn };
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

  // --- internals ---------------------------------------------------------------------------------

  /**
   * Where a sign-in begins when the browser already has a session: the signed-in person has no
   * access to this link (say so, without a word about who has), prompt=select_account (offer to
   * continue), a disabled person (access removed), or a new proof that is due (the same address,
   * pre-filled: reverification, prompt=login, max_age).
   */
  async #firstStep({ sessionAccountId, prompt, loginHint }: NewInteraction): Promise<SignInStep> {
    const person = sessionAccountId ? await this.#deps.people.get(sessionAccountId) : undefined;
    if (!person) return { name: 'enter_email', emailDraft: loginHint };
    if (person.disabled) return { name: 'access_removed', email: person.email };
    if (prompt.name === 'select_account') return { name: 'choose_account', email: person.email, personId: person.id };
    if (prompt.reasons.includes('sharing_link_access')) return { name: 'wrong_account', email: person.email };
    return { name: 'enter_email', emailDraft: loginHint ?? person.email };
  }

  /**
   * The one transition that must not be lost: this request consumed the code, so the sign-in
   * is verified whatever else was saved meanwhile (a resend, a language choice).
   */
  async #commitVerified(record: SignInRecord, step: Extract<SignInStep, { name: 'verified' | 'federating' | 'upgrade_offered' }>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#records.commit(record, { step });
        return;
      } catch (error) {
        if (!(error instanceof RecordChangedError) || attempt >= 10) throw error;
        const fresh = await this.read(record.uid);
        if (!fresh) throw error;
        becomeFresh(record, fresh);
        if (isPastCodeEntry(fresh.step)) return;
      }
    }
  }

  async #stay(record: SignInRecord, notice: Notice): Promise<SignInRecord> {
    await this.notify(record, notice);
    return record;
  }
}
