/**
 * The durable outbox. A mail is sealed and queued in the store first, then delivered by a worker
 * that every guestpass instance runs: it claims due mail with a lease (so two instances never send
 * the same mail at once), sends it, and records the outcome. A mail queued on an instance whose
 * worker runs is queued already claimed by it, with the same lease, and sent at once (no claim
 * round; another instance takes it over when the lease ends), while it has fewer such mails in
 * flight than one pass claims; beyond that it is queued for the next poll. A passing SMTP fault
 * is retried with exponential backoff; a permanent refusal, too many attempts, or a mail whose
 * code has expired ends it, and is audited as `MailDeliveryFailed`. A queued code thus survives a
 * restart or a short SMTP outage.
 */
import { randomInt, randomUUID } from 'node:crypto';

import type { MailOutcome, OutboxMail, OutboxStore } from '../../adapters/store.ts';
import { outsideRequest } from '../../adapters/request_cache.ts';
import type { AuditLog } from '../audit.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { MailMessage } from './message.ts';
import { seal, unseal } from './sealing.ts';
import { TransportHealth, type TransportStatus } from './transport_health.ts';
import { MailSendError, type MailTransport } from './transport.ts';

export interface OutboxSettings {
  maxAttempts: number;
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
  pollIntervalMs: number;
  /** false: `later` runs its work right after the answer, without the random delay (config `outbox.codeMailJitter`). */
  codeMailJitter?: boolean;
}

interface OutboxDeps {
  store: OutboxStore;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  secrets: readonly string[];
  settings: OutboxSettings;
  /** Told the outcome of every delivery attempt (for metrics). */
  onAttempt?: (outcome: MailOutcome['state']) => void;
}

/** The longest work handed over by a request waits for its moment (see `later`): less than the page's shortest "sending". */
const laterAtMostMs = 1000;
/** How long one instance may hold a claimed mail before another may take it over. */
const leaseMs = 60_000;
const batchSize = 10;

export class Outbox {
  readonly #deps: OutboxDeps;
  readonly #health = new TransportHealth();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  /** Set by `stop` until `start`: work handed over then (a request still in flight at a shutdown) runs at once, not after a stop that already returned. */
  #stopping = false;
  /** Work waiting for its moment after a request (see `later`), run at once if the outbox stops. */
  readonly #later = new Map<NodeJS.Timeout, () => void>();
  /** The end of each piece of that work, from when it is handed over until it has run (`stop`, `settled`). */
  readonly #laterUnfinished = new Set<Promise<void>>();
  /** Mails this instance queued already claimed and is sending (see `enqueue`), waited for by `stop`. */
  readonly #sending = new Set<Promise<void>>();
  /**
   * Those mails by id: a pass of this worker that claims one (its lease ran out meanwhile) leaves
   * it to its sender here, whose outcome is then recorded under that newer claim (its attempts).
   */
  readonly #sendingHere = new Map<string, OutboxMail>();
  /** A mail was queued unclaimed because this many were in flight here: a pass should claim it when one ends. */
  #deferred = false;

  constructor(deps: OutboxDeps) {
    this.#deps = deps;
  }

  /**
   * Seals and queues a mail; returns its id, by which the code page follows its delivery.
   * `requestedAt`: when the mail was asked for, if earlier than now (its delivery time counts from then).
   * Throws only when the store does not have the mail (or cannot say it has): then it is not sent.
   */
  async enqueue(message: MailMessage, { label, notAfter, id = randomUUID(), requestedAt }: { label: string; notAfter: number; id?: string; requestedAt?: number }): Promise<string> {
    const now = this.#deps.clock.now();
    const mail: OutboxMail = {
      id,
      sealed: seal(this.#deps.secrets, message),
      label,
      state: 'queued',
      attempts: 0,
      createdAt: Math.min(requestedAt ?? now, now),
      nextAttemptAt: now,
      notAfter,
    };
    const claim = !this.#stopped && this.#sending.size < batchSize;
    try {
      if (!claim) {
        // No worker here to send it, or as many mails in flight here as one pass claims (a lease
        // must not run out while a mail waits for a connection): queued for whichever instance polls next.
        await this.#deps.store.enqueueMail(mail);
        this.#deferred = true;
        return mail.id;
      }
      // This instance sends it now: queued already claimed (with a claim's lease, so another instance
      // takes it over if this one dies before the outcome is recorded), then sent without a claim round.
      this.#sendNow(await this.#deps.store.enqueueClaimedMail(mail, now, leaseMs));
      return mail.id;
    } catch (error) {
      // A write can land although it answered with an error (a command timeout): then the mail is
      // queued, and the caller must not report it as not queued (a code page's MailDeliveryFailed)
      // while it is sent. Only a mail the store does not have, or cannot say it has, was not queued.
      const stored = await this.#deps.store.getMail(mail.id).catch(() => undefined);
      if (stored?.sealed !== mail.sealed) throw error;
      this.#deps.logger.warn({ err: error, mailId: mail.id, mail: mail.label }, 'queueing a mail answered with an error, but the store has it: it is sent');
      if (claim && stored!.state === 'sending') this.#sendNow(stored!);
      else this.#deferred = true;
      return mail.id;
    }
  }

  /**
   * Runs `work` at a random moment within one poll interval (at most 1 s) after the current
   * request has been answered, outside the request. A sign-in's email form hands over here
   * everything that differs between an address that is sent a code and one that is not: deciding
   * which it is, storing the code, auditing it, building, sealing, queueing and sending the mail
   * (interactions/sign_in/code_requests.ts). Done before the answer, it made the answer slower
   * for some addresses; right after it, it slowed the page and status reads the browser makes
   * next — either told recipients from everyone else (SPEC §2). At a random moment it lines up
   * with nothing the person does. A failure (the store, the process dying meanwhile) is logged as
   * `failure`; a new code can be asked for. With `codeMailJitter: false` (an operator's named
   * exception) the moment is right after the answer. `stop` runs what is still waiting at once,
   * and what is handed over once it has stopped runs at once too.
   */
  later(work: () => Promise<void>, failure: { message: string; fields?: Record<string, unknown> }): void {
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    // Started by a request, run after it: outside its cache (adapters/request_cache.ts).
    const ended = started
      .then(() => outsideRequest(work))
      .then(undefined, (error: unknown) => this.#deps.logger.error({ err: error, ...failure.fields }, failure.message));
    this.#laterUnfinished.add(ended);
    void ended.finally(() => this.#laterUnfinished.delete(ended));
    if (this.#stopping) {
      start();
      return;
    }
    const timer = outsideRequest(() =>
      setTimeout(() => {
        this.#later.delete(timer);
        start();
      }, this.#deps.settings.codeMailJitter === false ? 0 : randomInt(Math.min(this.#deps.settings.pollIntervalMs, laterAtMostMs) + 1)),
    );
    this.#later.set(timer, start);
  }

  /**
   * Resolves once the work requests have handed over (`later`) so far has run, at its moment:
   * whom a code went to is known then, and its mail queued. For tests and tools that look at the
   * outcome of a sign-in's email form; the worker keeps running.
   */
  async settled(): Promise<void> {
    while (this.#laterUnfinished.size > 0) await Promise.all(this.#laterUnfinished);
  }

  /** What this instance has seen of the mail transport lately. */
  transportStatus(): TransportStatus {
    return this.#health.status();
  }

  /** A recent first-attempt delivery time (ms), drawn at random: how long a pretended delivery takes. */
  sampleDeliveryMs(): number {
    return this.#health.sampleLatencyMs();
  }

  start(): void {
    this.#stopped = false;
    this.#stopping = false;
    this.#schedule(0);
  }

  /** Stops the worker; waits for its pass in progress and for mail requests have handed over to reach the store. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping = true;
    clearTimeout(this.#timer);
    // Work still waiting for its moment runs now: its mails are queued for this or another instance to send.
    const waiting = [...this.#later.entries()];
    this.#later.clear();
    for (const [timer, start] of waiting) {
      clearTimeout(timer);
      start();
    }
    await this.settled();
    await Promise.all([this.#running, ...this.#sending]);
  }

  /**
   * For a process that is shutting down: stops the worker, then sends what is due now in one last
   * pass, so a code asked for just before the shutdown is not left waiting for another instance
   * (or, with the in-memory store, lost). Mail that fails stays queued for the next instance.
   */
  async drain(): Promise<void> {
    await this.stop();
    await this.#pass();
  }

  /** One pass over due mail; returns how many mails it handled. */
  async deliverDue(): Promise<number> {
    const { store, clock } = this.#deps;
    let handled = 0;
    for (;;) {
      const batch = await store.claimDueMail(clock.now(), leaseMs, batchSize);
      const fresh = batch.filter((claimed) => {
        const here = this.#sendingHere.get(claimed.id);
        if (here) here.attempts = claimed.attempts;
        return !here;
      });
      await Promise.all(fresh.map((mail) => this.#deliver(mail)));
      handled += batch.length;
      if (batch.length < batchSize) return handled;
    }
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    // The chain outlives whatever started it (a request, in the plugin): outside any request's cache.
    this.#timer = outsideRequest(() =>
      setTimeout(() => {
        this.#running = this.#pass().finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#schedule(this.#deps.settings.pollIntervalMs);
        });
      }, delayMs),
    );
    this.#timer.unref();
  }

  /** Delivers a mail this instance has just queued claimed; it outlives the request that queued it. */
  #sendNow(mail: OutboxMail): void {
    this.#sendingHere.set(mail.id, mail);
    const delivery: Promise<void> = outsideRequest(() => this.#deliver(mail))
      .catch((error: unknown) => this.#deps.logger.warn({ err: error, mailId: mail.id, mail: mail.label }, 'mail delivery not recorded; its lease ends and it is tried again'))
      .finally(() => {
        this.#sending.delete(delivery);
        this.#sendingHere.delete(mail.id);
        // A pass now (unless one runs) claims what was queued unclaimed meanwhile, rather than the next poll.
        if (this.#deferred && !this.#running && !this.#stopped) {
          this.#deferred = false;
          this.#schedule(0);
        }
      });
    this.#sending.add(delivery);
  }

  async #pass(): Promise<void> {
    try {
      await this.deliverDue();
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'outbox pass failed; will retry');
    }
  }

  async #deliver(mail: OutboxMail): Promise<void> {
    const { store, transport, clock, secrets, logger } = this.#deps;
    const outcome = await this.#attempt(mail, transport, clock.now(), secrets);
    // Only a first attempt's time is what a person usually waits; a retried mail says nothing about that.
    if (outcome.state === 'sent') this.#health.succeeded(mail.attempts <= 1 ? outcome.at - mail.createdAt : undefined);
    // Its lease may have run out meanwhile and another instance claimed the mail: then only a send
    // is recorded, and that instance's outcome (not this failure) is the one audited.
    const recorded = await store.completeMail(mail.id, outcome, mail.attempts);
    this.#deps.onAttempt?.(outcome.state);
    if (outcome.state === 'sent') {
      logger.debug({ mailId: mail.id, mail: mail.label, attempts: mail.attempts }, 'mail sent');
      return;
    }
    logger.warn({ mailId: mail.id, mail: mail.label, attempts: mail.attempts, state: outcome.state, error: outcome.error, recorded }, 'mail not delivered');
    if (recorded && (outcome.state === 'failed' || outcome.state === 'expired')) {
      await this.#deps.audit.record('MailDeliveryFailed', {
        actor: { type: 'system', id: 'outbox' },
        detail: { mailId: mail.id, mail: mail.label, attempts: mail.attempts, reason: outcome.error },
        result: 'failure',
      });
    }
  }

  async #attempt(mail: OutboxMail, transport: MailTransport, now: number, secrets: readonly string[]): Promise<MailOutcome> {
    if (now > mail.notAfter) return { state: 'expired', error: 'not delivered before its code expired' };
    const message = mail.sealed === undefined ? undefined : unseal<MailMessage>(secrets, mail.sealed);
    if (!message) return { state: 'failed', error: 'cannot open the queued mail (its secret is no longer configured)' };
    try {
      await transport.send(message);
      return { state: 'sent', at: this.#deps.clock.now() };
    } catch (error) {
      const summary = error instanceof Error ? error.message : String(error);
      const sendError = error instanceof MailSendError ? error : undefined;
      this.#health.failed(sendError?.scope ?? 'transport', sendError?.permanent ?? false, summary, now);
      if (sendError?.permanent) return { state: 'failed', error: summary };
      if (mail.attempts >= this.#deps.settings.maxAttempts) return { state: 'failed', error: `gave up after ${mail.attempts} attempts: ${summary}` };
      const nextAttemptAt = now + this.#backoffMs(mail.attempts);
      if (nextAttemptAt > mail.notAfter) return { state: 'expired', error: `its code expires before the next attempt: ${summary}` };
      return { state: 'retrying', nextAttemptAt, error: summary };
    }
  }

  #backoffMs(attempts: number): number {
    const { initialBackoffSeconds, maxBackoffSeconds } = this.#deps.settings;
    return Math.min(maxBackoffSeconds, initialBackoffSeconds * 2 ** (attempts - 1)) * 1000;
  }
}
