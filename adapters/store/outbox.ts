/**
 * The durable mail outbox. A mail carries a sign-in code, so its body is sealed with a key the
 * store does not have, and the body goes as soon as the mail is sent or given up. Claiming leases
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
  /** Claims up to `limit` mails due at `now`, leasing each for `leaseMs` so no other instance sends it meanwhile. */
  claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]>;
  /** Records the result of an attempt; a finished mail keeps its status (not its body) for a day. */
  completeMail(id: string, outcome: MailOutcome): Promise<void>;
  getMail(id: string): Promise<OutboxMail | undefined>;
}
