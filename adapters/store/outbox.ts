/**
 * The durable mail outbox. A mail carries a sign-in code, so its body is sealed with a key the
 * store does not have; a sent mail goes entirely, one given up loses its body. Claiming leases
 * a mail in one atomic step, so no two instances send it at once; a mail whose code expired is
 * dropped unsent.
 */

export const mailStates = ['queued', 'sending', 'retrying', 'sent', 'failed', 'expired'] as const;
export type MailState = (typeof mailStates)[number];

export interface OutboxMail {
  id: string;
  /** Sealed (encrypted) message: recipient, subject, bodies. Removed once the mail is sent or dropped. */
  sealed?: string | undefined;
  /** Short, code-free description for logs and audit: kind of mail and masked recipient. */
  label: string;
  state: MailState;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  /** After this instant the mail is pointless (its code expired) and is dropped unsent. */
  notAfter: number;
  sentAt?: number | undefined;
  lastError?: string | undefined;
}

export type MailOutcome =
  | { state: 'sent'; at: number }
  | { state: 'retrying'; nextAttemptAt: number; error: string }
  | { state: 'failed' | 'expired'; error: string };

export interface OutboxStore {
  enqueueMail(mail: OutboxMail): Promise<void>;
  /**
   * Queues `mail` already claimed by the caller, exactly as `claimDueMail(now, leaseMs)` would
   * have claimed it (sending, one more attempt, leased until `now + leaseMs`), in the one write
   * that queues it, and returns it so. For an instance that sends a mail at once: the mail is in
   * the store before any SMTP work, no other instance takes it while the lease runs, and any
   * instance takes it over once the lease has ended (this one died).
   */
  enqueueClaimedMail(mail: OutboxMail, now: number, leaseMs: number): Promise<OutboxMail>;
  /** Claims up to `limit` mails due at `now`, leasing each for `leaseMs` so no other instance sends it meanwhile. */
  claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]>;
  /**
   * Records the result of an attempt. A sent mail is forgotten (nothing reads its status: the code
   * page draws its own, and the audit trail records the code); one to be retried is due again at
   * its next attempt; one given up keeps its status and error, not its body, for an hour
   * (`finishedMailTtlSeconds`), beside its `MailDeliveryFailed` event. `attempt`: the claim's
   * `attempts`; an outcome other than a send is then recorded only while that claim holds the mail
   * (its lease ran out and another instance claimed it since: that one's outcome decides). Answers
   * whether it recorded the outcome (false: the mail is gone, or no longer this claim's).
   */
  completeMail(id: string, outcome: MailOutcome, attempt?: number): Promise<boolean>;
  getMail(id: string): Promise<OutboxMail | undefined>;
  /**
   * The mail still waiting to go (queued, retrying or being sent): how many, and when the oldest
   * was enqueued. Reads at most `limit` mails; `complete` is false when there were more.
   */
  outboxBacklog(limit: number): Promise<OutboxBacklog>;
}

export interface OutboxBacklog {
  waiting: number;
  /** Epoch ms; undefined when nothing waits. */
  oldestCreatedAt: number | undefined;
  /** False when more than `limit` mails were in the queue and only the first were read. */
  complete: boolean;
}
