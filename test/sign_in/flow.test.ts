/**
 * The sign-in state machine alone: its events against the in-memory store and a manual clock,
 * no HTTP. Each transition of the diagram in `interactions/sign_in/state.ts`, and the refusal of
 * an event at a step it may not start from.
 */
import { expect } from 'chai';

import { MemoryStore } from '../../adapters/memory.ts';
import type { PersonRecord } from '../../adapters/store.ts';
import { parseConfig } from '../../config/load.ts';
import { SignInFlow, type NewInteraction } from '../../interactions/sign_in/flow.ts';
import type { SignInRecord } from '../../interactions/sign_in/state.ts';
import { AuditLog } from '../../src/audit.ts';
import { everyoneIsEligible, type EligibilityCheck } from '../../src/eligibility.ts';
import { CorruptRecordError, RecordChangedError, UnexpectedStepError } from '../../src/errors.ts';
import { noFederation, type FederationPlanner } from '../../src/federation_planner.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import type { MailMessage } from '../../src/mail/message.ts';
import { Outbox } from '../../src/mail/outbox.ts';
import { unseal } from '../../src/mail/sealing.ts';
import { People } from '../../src/people.ts';
import { ManualClock } from '../support/clock.ts';
import { capturingLogger } from '../support/log_capture.ts';

const secrets = ['flow-test-secret'];
const request = { ip: '192.0.2.10', userAgent: 'unit test', locale: 'en' as const, clientName: 'Test File Host' };
const otp = parseConfig({}).policy.otp;

describe('the sign-in flow, without HTTP', () => {
  let store: MemoryStore;
  let clock: ManualClock;
  let people: People;
  let outbox: Outbox;
  let uid = 0;

  function flowWith({ eligibility = everyoneIsEligible, federation = noFederation, logger = createLogger('silent') }: { eligibility?: EligibilityCheck; federation?: FederationPlanner; logger?: Logger } = {}): SignInFlow {
    const audit = new AuditLog(store, clock, logger);
    // The worker is never started: mail stays queued in the store, where the tests read it.
    const transport = { description: 'not used: the outbox worker is not started', send: () => Promise.reject(new Error('not sent')), close: async () => undefined };
    outbox = new Outbox({ store, transport, clock, logger, audit, secrets, settings: { maxAttempts: 3, initialBackoffSeconds: 1, maxBackoffSeconds: 10, pollIntervalMs: 1000 } });
    return new SignInFlow({ store, clock, outbox, audit, people, secrets, otpPolicy: async () => otp, codesPerIpPerHour: 100, organizationName: 'Contoso', eligibility, federation });
  }

  function interaction(extra: Partial<NewInteraction> = {}): NewInteraction {
    uid += 1;
    return { uid: `interaction-${uid}`, clientId: 'rp', expiresAt: clock.now() + 3600_000, prompt: { name: 'login', reasons: [] }, ...extra };
  }

  /**
   * The code in the mail a code_sent step names. The mail is queued at a random moment after the
   * answer (`Outbox.later`); stopping the outbox runs what is still waiting at once.
   */
  async function mailedCode(record: SignInRecord): Promise<string> {
    if (record.step.name !== 'code_sent') throw new Error(`no code at ${record.step.name}`);
    await outbox.stop();
    const mail = await store.getMail(record.step.mailId);
    const message = mail?.sealed ? unseal<MailMessage>(secrets, mail.sealed) : undefined;
    const code = message ? /^\s*(\d{6,10})\s*$/m.exec(message.text)?.[1] : undefined;
    if (!code) throw new Error('no code was mailed');
    return code;
  }

  /** The email form, then the code from its mail: what a person does to prove `email` on this sign-in. */
  async function proveAddress(flow: SignInFlow, record: SignInRecord, email: string): Promise<void> {
    await flow.submitEmail(record, { email }, request);
    await flow.submitCode(record, { code: await mailedCode(record), keepSignedIn: false }, request);
  }

  async function auditedOperations(): Promise<string[]> {
    return (await store.listAudit({}, { limit: 100 })).items.map((event) => event.operation);
  }

  beforeEach(() => {
    store = new MemoryStore();
    clock = new ManualClock();
    people = new People(store, clock, ['contoso.com']);
  });

  it('starts at enter_email, pre-filled from login_hint', async () => {
    const record = await flowWith().start(interaction({ loginHint: 'ada@example.org' }));
    expect(record.step).to.deep.equal({ name: 'enter_email', emailDraft: 'ada@example.org' });
    expect(record.version).to.equal(1);
  });

  it('goes enter_email → code_sent → verified with the mailed code, and creates the person', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: ' Ada@Example.org ' }, request);
    expect(record.step).to.include({ name: 'code_sent', email: 'Ada@Example.org', emailNormalized: 'ada@example.org' });
    await flow.submitCode(record, { code: await mailedCode(record), keepSignedIn: true }, request);
    expect(record.step).to.include({ name: 'verified', email: 'Ada@Example.org', keepSignedIn: true });
    expect(record.step.name === 'verified' && record.step.amr).to.deep.equal(['otp']);
    const person = await people.findByEmail('ada@example.org');
    expect(person).to.include({ userType: 'adhoc' });
    expect(record.step.name === 'verified' && record.step.personId).to.equal(person!.id);
    expect(await auditedOperations()).to.deep.equal(['VerificationCodeSent', 'VerificationSucceeded']);
    // What the store holds is what the flow holds: the record reads back (and parses) the same.
    expect(await flow.read(record.uid)).to.deep.equal(record);
  });

  it('stays at enter_email with a notice for an address that is not one', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'not an address' }, request);
    expect(record.step.name).to.equal('enter_email');
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'invalid_email', draft: 'not an address' });
    expect(await flow.takeNotice(record), 'a notice shows once').to.equal(undefined);
  });

  it('stays at code_sent on a wrong code, saying how many tries are left', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'bob@example.org' }, request);
    const code = await mailedCode(record);
    await flow.submitCode(record, { code: code === '000000' ? '111111' : '000000', keepSignedIn: false }, request);
    expect(record.step.name).to.equal('code_sent');
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'wrong_code', triesLeft: otp.maxAttemptsPerCode - 1 });
  });

  it('keeps the notice in the record: left on top of a parallel save, taken once, even from a newer save', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    const stale = structuredClone(record);
    // Another request of the sign-in saves first (a language chosen in a second tab).
    await flow.chooseLocale(record, 'it');
    await flow.notify(stale, { kind: 'code_resent' });
    expect(stale, 'the notifying request now holds where the sign-in stands').to.include({ locale: 'it' });
    const shown = (await flow.read(record.uid))!;
    expect(shown).to.deep.include({ locale: 'it', notice: { kind: 'code_resent' } });
    // The page takes it from what it read; a parallel save meanwhile still carries it, and loses it.
    await flow.chooseLocale((await flow.read(record.uid))!, 'de');
    expect(await flow.takeNotice(shown)).to.deep.equal({ kind: 'code_resent' });
    expect(await flow.takeNotice(shown), 'a notice shows once').to.equal(undefined);
    const after = (await flow.read(record.uid))!;
    expect(after.locale).to.equal('de');
    expect(after).to.not.have.property('notice');
  });

  it('lets one request finish a verified sign-in: of parallel takers exactly one, and a save by another request keeps it', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await proveAddress(flow, record, 'gate@example.org');
    expect(record.step.name).to.equal('verified');
    // Of parallel requests that find it verified (the one that entered the code, a second tab, a double click), exactly one takes it.
    const takers = [record, ...(await Promise.all(Array.from({ length: 7 }, async () => (await flow.read(record.uid))!)))];
    const taken = await Promise.all(takers.map((taker) => flow.claimFinish(taker)));
    expect(taken.filter(Boolean)).to.have.length(1);
    const holder = takers[taken.indexOf(true)]!;
    expect(await flow.claimFinish(holder), 'asked again by its holder').to.equal(true);
    // A save by another request meanwhile (a language chosen) keeps it, and nobody else takes it after.
    await flow.chooseLocale((await flow.read(record.uid))!, 'fr');
    expect(await flow.read(record.uid)).to.include({ finishing: true, locale: 'fr' });
    expect(await flow.claimFinish((await flow.read(record.uid))!)).to.equal(false);
  });

  it('does not hand the finish gate to a sign-in verified again while another request holds it', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await proveAddress(flow, record, 'held@example.org');
    expect(await flow.claimFinish(record)).to.equal(true);
    // Another request moves the sign-in back (another address) while this one holds the gate.
    const other = (await flow.read(record.uid))!;
    await flow.restart(other);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    await proveAddress(flow, other, 'held@example.org');
    expect(other.step.name).to.equal('verified');
    expect(await flow.claimFinish(other), 'the first holder may still be finishing').to.equal(false);
  });

  it('frees the finish gate its holder gives up (the grant refused: access went meanwhile), so another address can finish', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await proveAddress(flow, record, 'revoked@example.org');
    expect(await flow.claimFinish(record)).to.equal(true);
    const bystander = (await flow.read(record.uid))!;
    await flow.releaseFinish(bystander);
    expect(await flow.read(record.uid), 'only the holder can give it up').to.have.property('finishing', true);
    await flow.releaseFinish(record);
    // The person is told there is no access, and tries another address.
    const next = (await flow.read(record.uid))!;
    expect(next).to.not.have.property('finishing');
    await flow.restart(next);
    await proveAddress(flow, next, 'other@example.org');
    expect(await flow.claimFinish(next)).to.equal(true);
  });

  it('leaves a verified sign-in finishable when the request that verified it never got to finish it (a crash, the store down meanwhile)', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await proveAddress(flow, record, 'went-away@example.org');
    expect(record.step.name).to.equal('verified');
    // That request goes no further: its process stopped, or the store failed before its final
    // checks and again when it would have given anything up. The next load of the page finishes it.
    const reload = (await flow.read(record.uid))!;
    expect(reload).to.not.have.property('finishing');
    expect(await flow.claimFinish(reload)).to.equal(true);
  });

  it('refuses an event at a step it may not start from, and changes nothing', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    const before = structuredClone(record);
    for (const event of [() => flow.submitCode(record, { code: '123456', keepSignedIn: false }, request), () => flow.restart(record), () => flow.answerUpgrade(record, true), () => flow.continueWithCode(record)]) {
      const error = await event().then(() => undefined, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(UnexpectedStepError).and.include({ code: 'unexpected_step', actual: 'enter_email' });
    }
    expect(await flow.read(record.uid)).to.deep.equal(before);
  });

  it('refuses to save over a newer version of the record', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    const stale = structuredClone(record);
    await flow.submitEmail(record, { email: 'carol@example.org' }, request);
    const error = await flow.changeEmail(stale).then(() => undefined, (caught: unknown) => caught);
    expect(error, 'the stale copy is at enter_email, which change-email does not start from').to.be.instanceOf(UnexpectedStepError);
    const staleAtCode = structuredClone(record);
    await flow.changeEmail(record);
    const lost = await flow.changeEmail(staleAtCode).then(() => undefined, (caught: unknown) => caught);
    expect(lost).to.be.instanceOf(RecordChangedError);
    expect((await flow.read(record.uid))!.step).to.deep.equal({ name: 'enter_email', emailDraft: 'carol@example.org' });
  });

  it('waits out the resend cooldown on the injected clock, and a new code voids the old one', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'dora@example.org' }, request);
    const first = await mailedCode(record);
    await flow.resendCode(record, request);
    expect(await flow.takeNotice(record)).to.include({ kind: 'resend_wait' });
    clock.advanceSeconds(otp.resendCooldownSeconds);
    await flow.resendCode(record, request);
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'code_resent' });
    const second = await mailedCode(record);
    if (first !== second) {
      await flow.submitCode(record, { code: first, keepSignedIn: false }, request);
      expect(record.step.name, 'the older code no longer works').to.equal('code_sent');
    }
    await flow.submitCode(record, { code: second, keepSignedIn: false }, request);
    expect(record.step.name).to.equal('verified');
  });

  it('drops a decision that comes after the resend cooldown: it never overwrites the newer code of a resend that was decided first', async () => {
    // The deferred work is held up (a store that stalls and comes back) past the cooldown, and the
    // person asks again meanwhile: the older request must not void the newer, mailed, code.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const firstHeld: EligibilityCheck = async () => {
      calls += 1;
      if (calls === 1) await held;
      return { kind: 'deliver' };
    };
    const flow = flowWith({ eligibility: firstHeld });
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'dora@example.org' }, request);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    await flow.resendCode(record, request);
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'code_resent' });
    const stopped = outbox.stop();
    while (!(await store.readCode('address:dora@example.org'))) await new Promise((resolve) => setImmediate(resolve));
    release();
    await stopped;
    await flow.submitCode(record, { code: await mailedCode(record), keepSignedIn: false }, request);
    expect(record.step.name, 'the newer code works').to.equal('verified');
  });

  it('voids the older code the moment a new one is asked for, before the decision: a code typed meanwhile reads alike for every address', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'dora@example.org' }, request);
    const first = await mailedCode(record);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    await flow.resendCode(record, request);
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'code_resent' });
    // The new code is not decided yet; the older one is void already (SPEC §4).
    await flow.submitCode(record, { code: first, keepSignedIn: false }, request);
    expect(record.step.name, 'the older code no longer works').to.equal('code_sent');
    const afterResend = await flow.takeNotice(record);
    // An address that had no code before reads the same: typing a code in that second does not
    // tell whether someone asked for one for this address lately.
    const other = await flow.start(interaction());
    await flow.submitEmail(other, { email: 'nobody@example.org' }, request);
    await flow.submitCode(other, { code: first, keepSignedIn: false }, request);
    expect((await flow.takeNotice(other))?.kind).to.equal(afterResend?.kind);
  });

  it('saves a new code step and its notice as one version: a resend, and a first request held back by the cooldown', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'once@example.org' }, request);
    const sent = structuredClone(record);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    await flow.resendCode(record, request);
    // One save past the version the request read: no parallel request can read the new step without its notice.
    expect(record.version).to.equal(sent.version + 1);
    expect(record.step.name === 'code_sent' && record.step.mailId).to.not.equal(sent.step.name === 'code_sent' && sent.step.mailId);
    expect(await flow.read(record.uid)).to.deep.equal(record).and.deep.include({ notice: { kind: 'code_resent' } });

    // Another sign-in for the same address, within the cooldown the resend started: the code page, saying why no code came.
    const other = await flow.start(interaction());
    await flow.submitEmail(other, { email: 'once@example.org' }, request);
    expect(other.version).to.equal(2);
    expect(other.step).to.include({ name: 'code_sent', emailNormalized: 'once@example.org' });
    expect(await flow.read(other.uid)).to.deep.equal(other).and.have.nested.property('notice.kind', 'resend_wait');
  });

  /**
   * A flow whose `heldCall`-th code request waits, once it has claimed the resend cooldown (the
   * store's `passLimits`), until released: a parallel request (a double click) can be run to its
   * end between that claim and the request's save.
   */
  function flowHeldAtCode(heldCall = 1): { flow: SignInFlow; reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reachedNow!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (reachedNow = resolve));
    let calls = 0;
    const passLimits = store.passLimits.bind(store);
    store.passLimits = async (...args) => {
      const result = await passLimits(...args);
      calls += 1;
      if (calls === heldCall) {
        reachedNow();
        await held;
      }
      return result;
    };
    return { flow: flowWith(), reached, release };
  }

  it('keeps the code of a double click on the email form: the request that issued it saves over its twin held back by the cooldown', async () => {
    // One instant for both clicks and the check below: the clock otherwise runs on in real time.
    clock.freezeAt(clock.now());
    const { flow, reached, release } = flowHeldAtCode();
    const record = await flow.start(interaction());
    const twin = structuredClone(record);
    const first = flow.submitEmail(record, { email: 'twice@example.org' }, request);
    await reached;
    // The second click finds the cooldown taken and reaches the code page first, with a mail id nothing sends.
    await flow.submitEmail(twin, { email: 'twice@example.org' }, request);
    expect(twin).to.deep.include({ notice: { kind: 'resend_wait', until: clock.now() + otp.resendCooldownSeconds * 1000 } });
    release();
    await first;
    const stored = (await flow.read(record.uid))!;
    expect(stored.step.name === 'code_sent' && stored.step.mailId).to.equal(record.step.name === 'code_sent' && record.step.mailId);
    await flow.submitCode(stored, { code: await mailedCode(stored), keepSignedIn: false }, request);
    expect(stored.step.name).to.equal('verified');
  });

  it('keeps the code of a double click on resend, whose twin left its "wait" notice meanwhile', async () => {
    const { flow, reached, release } = flowHeldAtCode(2);
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'resend@example.org' }, request);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    const twin = structuredClone(record);
    const resent = flow.resendCode(record, request);
    await reached;
    await flow.resendCode(twin, request);
    release();
    await resent;
    const stored = (await flow.read(record.uid))!;
    expect(stored).to.deep.include({ notice: { kind: 'code_resent' } });
    expect(stored.step.name === 'code_sent' && stored.step.mailId).to.equal(record.step.name === 'code_sent' && record.step.mailId);
    await flow.submitCode(stored, { code: await mailedCode(stored), keepSignedIn: false }, request);
    expect(stored.step.name).to.equal('verified');
  });

  it('lets a parallel request for another address win: the code step is not saved over a different address', async () => {
    const { flow, reached, release } = flowHeldAtCode();
    const record = await flow.start(interaction());
    const twin = structuredClone(record);
    const first = flow.submitEmail(record, { email: 'first@example.org' }, request);
    await reached;
    await flow.submitEmail(twin, { email: 'second@example.org' }, request);
    release();
    let error: unknown;
    await first.catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(RecordChangedError);
    expect((await flow.read(record.uid))!.step).to.include({ name: 'code_sent', emailNormalized: 'second@example.org' });
  });

  it('lets a later step win that came back to enter_email meanwhile: a code request does not save over "use another address"', async () => {
    const { flow, reached, release } = flowHeldAtCode();
    const record = await flow.start(interaction());
    const other = structuredClone(record);
    const first = flow.submitEmail(record, { email: 'first@example.org' }, request);
    await reached;
    // Meanwhile (another tab) the sign-in went to the code page for another address and back.
    await flow.submitEmail(other, { email: 'second@example.org' }, request);
    await flow.changeEmail(other);
    release();
    let error: unknown;
    await first.catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(RecordChangedError);
    expect((await flow.read(record.uid))!.step).to.deep.equal({ name: 'enter_email', emailDraft: 'second@example.org' });
  });

  it('keeps the code asked for from the code page of another address when a parallel save left that page as it was', async () => {
    const { flow, reached, release } = flowHeldAtCode(2);
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'old@example.org' }, request);
    clock.advanceSeconds(otp.resendCooldownSeconds);
    const other = structuredClone(record);
    // A stale email form (another tab) asks for a code for a new address while the sign-in is on the old one's code page.
    const asked = flow.submitEmail(record, { email: 'new@example.org' }, request);
    await reached;
    await flow.chooseLocale(other, 'it');
    release();
    await asked;
    const stored = (await flow.read(record.uid))!;
    expect(stored).to.deep.include({ locale: 'it' });
    expect(stored.step).to.include({ name: 'code_sent', emailNormalized: 'new@example.org' });
    await flow.submitCode(stored, { code: await mailedCode(stored), keepSignedIn: false }, request);
    expect(stored.step.name).to.equal('verified');
  });

  it('withholds the code from an address that may not have one: same step, nothing mailed, audited', async () => {
    const withhold: EligibilityCheck = async () => ({ kind: 'withhold', operation: 'RecipientNotOnLink', reason: 'not_a_recipient' });
    const flow = flowWith({ eligibility: withhold });
    const record = await flow.start(interaction({ sharingId: 'link-1' }));
    await flow.submitEmail(record, { email: 'eve@example.org' }, request);
    expect(record.step.name).to.equal('code_sent');
    const error = await mailedCode(record).then(() => undefined, (caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error).with.property('message', 'no code was mailed');
    expect(await auditedOperations()).to.deep.equal(['RecipientNotOnLink']);
  });

  it('decides who is sent a code only after the answer: until then no lookup, no code that works and no audit event, for any address', async () => {
    const asked: string[] = [];
    const recipientsOnly: EligibilityCheck = async ({ emailNormalized }) => {
      asked.push(emailNormalized);
      return emailNormalized === 'ada@example.org' ? { kind: 'deliver' } : { kind: 'withhold', operation: 'RecipientNotOnLink', reason: 'not_a_recipient' };
    };
    const flow = flowWith({ eligibility: recipientsOnly });
    const recipient = await flow.start(interaction({ sharingId: 'link-1' }));
    const stranger = await flow.start(interaction({ sharingId: 'link-1' }));
    await flow.submitEmail(recipient, { email: 'ada@example.org' }, request);
    await flow.submitEmail(stranger, { email: 'eve@example.org' }, request);
    // Answered: both on the code page, and nothing that tells them apart has happened yet.
    expect([recipient.step.name, stranger.step.name]).to.deep.equal(['code_sent', 'code_sent']);
    expect(asked).to.deep.equal([]);
    const standIns = [await store.readCode('address:ada@example.org'), await store.readCode('address:eve@example.org')];
    expect(standIns.map((code) => code?.attempts), 'an unmatchable stand-in for each').to.deep.equal([0, 0]);
    expect(await auditedOperations()).to.deep.equal([]);
    // A code typed meanwhile is wrong, for either: nobody has the mail yet.
    for (const record of [recipient, stranger]) {
      await flow.submitCode(record, { code: '000000', keepSignedIn: false }, request);
      expect(await flow.takeNotice(record)).to.have.property('kind', 'wrong_code');
    }
    // Its moment (here: the outbox stopping runs what waits at once).
    await outbox.stop();
    expect(asked.sort()).to.deep.equal(['ada@example.org', 'eve@example.org']);
    expect(await store.readCode('address:ada@example.org')).to.include({ email: 'ada@example.org' });
    expect(await store.readCode('address:eve@example.org'), 'a withheld code is stored too').to.include({ email: 'eve@example.org' });
    expect((await auditedOperations()).filter((operation) => operation !== 'VerificationCodeRejected').sort()).to.deep.equal(['RecipientNotOnLink', 'VerificationCodeSent']);
    // From then on a wrong code is wrong for both alike.
    const code = await mailedCode(recipient);
    for (const record of [recipient, stranger]) {
      await flow.submitCode(record, { code: code === '000000' ? '111111' : '000000', keepSignedIn: false }, request);
      expect(await flow.takeNotice(record)).to.have.property('kind', 'wrong_code');
    }
    await flow.submitCode(recipient, { code, keepSignedIn: false }, request);
    expect(recipient.step.name).to.equal('verified');
  });

  it('leaves the same trace for an address whose decision failed as for one that was withheld: a code typed next reads as wrong for both', async () => {
    // A lookup that fails for some addresses only (a recipient's links are read, a stranger's are
    // not: a store node holding them down, a record that cannot be read) must not leave those
    // addresses without a code while every other address has a withheld one.
    const failingForRecipients: EligibilityCheck = async ({ emailNormalized }) => {
      if (emailNormalized === 'ada@example.org') throw new Error('the links could not be read');
      return { kind: 'withhold', operation: 'RecipientNotOnLink', reason: 'not_a_recipient' };
    };
    const flow = flowWith({ eligibility: failingForRecipients });
    const recipient = await flow.start(interaction());
    const stranger = await flow.start(interaction());
    await flow.submitEmail(recipient, { email: 'ada@example.org' }, request);
    await flow.submitEmail(stranger, { email: 'eve@example.org' }, request);
    await outbox.stop();
    const notices = [];
    for (const record of [recipient, stranger]) {
      await flow.submitCode(record, { code: '000000', keepSignedIn: false }, request);
      notices.push((await flow.takeNotice(record))?.kind);
    }
    expect(notices).to.deep.equal(['wrong_code', 'wrong_code']);
    // Failing closed: nothing mailed, and the refusal is audited.
    expect((await store.outboxBacklog(10)).waiting).to.equal(0);
    const rejected = (await store.listAudit({ operation: 'VerificationCodeRejected', email: 'ada@example.org' }, { limit: 10 })).items.map((event) => event.detail.reason);
    expect(rejected).to.include('eligibility_failed');
  });

  it('never goes back from "sent" to "sending": a decision that ends after the page stopped saying "sending" still mails the code, unfollowed', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedNow!: () => void;
    const reached = new Promise<void>((resolve) => (reachedNow = resolve));
    const slow: EligibilityCheck = async () => {
      reachedNow();
      await held;
      return { kind: 'deliver' };
    };
    const flow = flowWith({ eligibility: slow });
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'ada@example.org' }, request);
    const stopped = outbox.stop();
    await reached;
    if (record.step.name !== 'code_sent') throw new Error('not on the code page');
    clock.freezeAt(record.step.sendingShownUntil);
    // What a stranger's page says from now on, and this one's too while its decision is slow.
    expect(await flow.deliveryState(record)).to.equal('sent');
    release();
    await stopped;
    expect(await flow.deliveryState(record), 'still sent, as for every other address').to.equal('sent');
    expect((await store.outboxBacklog(10)).waiting, 'the code is mailed all the same').to.equal(1);
  });

  it('leaves every address alike when the store fails at the decision: the stand-in stays, nothing is mailed or audited, the failure is logged', async () => {
    const { logger, lines } = capturingLogger();
    const recipientsOnly: EligibilityCheck = async ({ emailNormalized }) =>
      emailNormalized === 'ada@example.org' ? { kind: 'deliver' } : { kind: 'withhold', operation: 'RecipientNotOnLink', reason: 'not_a_recipient' };
    const flow = flowWith({ eligibility: recipientsOnly, logger });
    const recipient = await flow.start(interaction({ sharingId: 'link-1' }));
    const stranger = await flow.start(interaction({ sharingId: 'link-1' }));
    await flow.submitEmail(recipient, { email: 'ada@example.org' }, request);
    await flow.submitEmail(stranger, { email: 'eve@example.org' }, request);
    const replaceCode = store.replaceCode.bind(store);
    store.replaceCode = () => Promise.reject(new Error('the store is unreachable'));
    await outbox.stop();
    store.replaceCode = replaceCode;
    for (const record of [recipient, stranger]) {
      await flow.submitCode(record, { code: '000000', keepSignedIn: false }, request);
      expect(await flow.takeNotice(record), 'the stand-in of each').to.have.property('kind', 'wrong_code');
      expect(await flow.deliveryState({ ...record, step: { ...record.step, sendingShownUntil: 0 } as typeof record.step })).to.equal('sent');
    }
    expect((await store.outboxBacklog(10)).waiting, 'nothing mailed').to.equal(0);
    expect((await auditedOperations()).filter((operation) => operation !== 'VerificationCodeRejected'), 'no code half-issued').to.deep.equal([]);
    const logged = lines.filter((line) => line.msg === 'a code could not be issued');
    expect(logged.map((line) => line.to).sort()).to.deep.equal(['a***@example.org', 'e***@example.org']);
  });

  it('audits a code whose mail could not be queued as MailDeliveryFailed, beside its VerificationCodeSent, and logs it', async () => {
    const { logger, lines } = capturingLogger();
    const flow = flowWith({ logger });
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'ada@example.org' }, request);
    const enqueueMail = store.enqueueMail.bind(store);
    store.enqueueMail = () => Promise.reject(new Error('the store is unreachable'));
    await outbox.stop();
    store.enqueueMail = enqueueMail;
    if (record.step.name !== 'code_sent') throw new Error('expected the code page');
    expect((await store.outboxBacklog(10)).waiting, 'nothing queued').to.equal(0);
    const [failed] = (await store.listAudit({ operation: 'MailDeliveryFailed' }, { limit: 10 })).items;
    expect(failed?.detail).to.deep.include({ mailId: record.step.mailId, mail: 'verification code to a***@example.org', attempts: 0, reason: 'not queued: the store is unreachable' });
    expect(failed?.result).to.equal('failure');
    expect(await auditedOperations()).to.include('VerificationCodeSent');
    expect(lines.filter((line) => line.msg === 'a code could not be issued').map((line) => line.to)).to.deep.equal(['a***@example.org']);
  });

  it('does not audit a code mail as not queued when its queueing failed after the store had it (a lost answer): the mail is sent', async () => {
    const flow = flowWith();
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'ada@example.org' }, request);
    // The write lands, its answer does not (a command timeout while Redis was slow to reply).
    const enqueueMail = store.enqueueMail.bind(store);
    store.enqueueMail = async (mail) => {
      await enqueueMail(mail);
      throw new Error('Command timed out');
    };
    await outbox.stop();
    store.enqueueMail = enqueueMail;
    // The outbox has it and will send it: the audit must not say it never left.
    expect((await store.outboxBacklog(10)).waiting, 'queued after all').to.equal(1);
    expect(await auditedOperations()).to.deep.equal(['VerificationCodeSent']);
    await flow.submitCode(record, { code: await mailedCode(record), keepSignedIn: false }, request);
    expect(record.step.name).to.equal('verified');
  });

  it('sends a disabled person to access_removed, and another address back to enter_email', async () => {
    const flow = flowWith();
    const person = await people.recordVerification({ display: 'Fay@example.org', normalized: 'fay@example.org' });
    await people.setDisabled(person.id, true);
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'fay@example.org' }, request);
    expect(record.step).to.deep.equal({ name: 'access_removed', email: 'fay@example.org' });
    await flow.changeEmail(record);
    expect(record.step).to.deep.equal({ name: 'enter_email', emailDraft: 'fay@example.org' });
  });

  it('sends a person with a linked work account to federating(signin), and back to enter_email when it fails', async () => {
    const planner: FederationPlanner = { ...noFederation, signInProvider: (person: PersonRecord) => (person.identities.length > 0 ? 'work' : undefined) };
    const flow = flowWith({ federation: planner });
    const person = await people.recordVerification({ display: 'gus@partner.example', normalized: 'gus@partner.example' });
    await people.linkIdentity(person.id, { issuer: 'https://login.partner.example', subject: 'gus' }, 'guest');
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'gus@partner.example' }, request);
    expect(record.step).to.include({ name: 'federating', providerId: 'work', purpose: 'signin' });
    await flow.federationFailed(record, 'wrong_account');
    expect(record.step).to.deep.equal({ name: 'enter_email', emailDraft: 'gus@partner.example' });
    expect(await flow.takeNotice(record)).to.deep.equal({ kind: 'federation_failed', reason: 'wrong_account' });
  });

  it('offers an upgrade after the code: declined → verified; accepted → federating(upgrade) → upgrade_failed → verified', async () => {
    const planner: FederationPlanner = { ...noFederation, upgradePlan: async () => ({ providerId: 'work', mode: 'offer' }) };
    const flow = flowWith({ federation: planner });
    const verifiedOnce = async (email: string) => {
      const record = await flow.start(interaction());
      await proveAddress(flow, record, email);
      expect(record.step).to.include({ name: 'upgrade_offered', providerId: 'work' });
      return record;
    };
    const declining = await verifiedOnce('hal@partner.example');
    await flow.answerUpgrade(declining, false);
    expect(declining.step).to.include({ name: 'verified', email: 'hal@partner.example' });

    const accepting = await verifiedOnce('ida@partner.example');
    await flow.answerUpgrade(accepting, true);
    expect(accepting.step).to.include({ name: 'federating', purpose: 'upgrade', providerId: 'work' });
    await flow.federationFailed(accepting, 'email_mismatch');
    expect(accepting.step).to.include({ name: 'upgrade_failed', reason: 'email_mismatch' });
    await flow.continueWithCode(accepting);
    expect(accepting.step).to.include({ name: 'verified', email: 'ida@partner.example' });
    expect(accepting.step.name === 'verified' && accepting.step.amr).to.deep.equal(['otp']);
  });

  it('ends federating(upgrade) at verified with both proofs when the work account matches', async () => {
    const planner: FederationPlanner = { ...noFederation, upgradePlan: async () => ({ providerId: 'work', mode: 'automatic' }) };
    const flow = flowWith({ federation: planner });
    const record = await flow.start(interaction());
    await flow.submitEmail(record, { email: 'jo@partner.example' }, request);
    await flow.submitCode(record, { code: await mailedCode(record), keepSignedIn: true }, request);
    expect(record.step).to.include({ name: 'federating', purpose: 'upgrade' });
    const person = (await people.findByEmail('jo@partner.example'))!;
    await flow.federationSucceeded(record, person, 'https://login.partner.example');
    expect(record.step).to.include({ name: 'verified', personId: person.id, keepSignedIn: true, idp: 'https://login.partner.example' });
    expect(record.step.name === 'verified' && record.step.amr).to.deep.equal(['otp', 'fed']);
  });

  it('starts a browser with a session where its person stands: choose_account, wrong_account, access_removed', async () => {
    const flow = flowWith();
    const person = await people.recordVerification({ display: 'Kim@example.org', normalized: 'kim@example.org' });
    const choosing = await flow.start(interaction({ sessionAccountId: person.id, prompt: { name: 'select_account', reasons: [] } }));
    expect(choosing.step).to.deep.equal({ name: 'choose_account', email: 'Kim@example.org', personId: person.id });
    const elsewhere = await flow.start(interaction({ sessionAccountId: person.id, prompt: { name: 'login', reasons: ['sharing_link_access'] } }));
    expect(elsewhere.step).to.deep.equal({ name: 'wrong_account', email: 'Kim@example.org' });
    const due = await flow.start(interaction({ sessionAccountId: person.id, prompt: { name: 'login', reasons: ['reverification_due'] } }));
    expect(due.step).to.deep.equal({ name: 'enter_email', emailDraft: 'Kim@example.org' });
    await people.setDisabled(person.id, true);
    const removed = await flow.start(interaction({ sessionAccountId: person.id }));
    expect(removed.step).to.deep.equal({ name: 'access_removed', email: 'Kim@example.org' });
  });

  it('refuses a stored record that is not a sign-in as corrupt, never passing it on', async () => {
    const flow = flowWith();
    await store.putRecord('signin', 'interaction-corrupt', { version: 1, uid: 'interaction-corrupt', step: { name: 'teleported' } }, 60);
    const error = await flow.read('interaction-corrupt').then(() => undefined, (caught: unknown) => caught);
    expect(error).to.be.instanceOf(CorruptRecordError);
    expect((error as Error).message).to.match(/signin record is corrupt/);
  });
});
