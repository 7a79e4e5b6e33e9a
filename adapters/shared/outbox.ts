/** Rules both stores keep for the mail outbox. */
import type { MailState, OutboxMail } from '../store/outbox.ts';

/**
 * How long a mail's status (not its body) is kept after it was sent or given up: as long as the
 * code page that shows it can live (a sign-in's interaction lasts an hour), and no longer. Nothing
 * else reads it (a mail given up is in the audit trail as `MailDeliveryFailed`); kept a day, as
 * before, a deployment signing in 10 people a second held ~700 MB of statuses nobody would read.
 */
export const finishedMailTtlSeconds = 60 * 60;

/** How long an enqueued mail is kept: until its `notAfter` (at least a second), then as a finished one. */
export function enqueuedMailTtlSeconds(mail: OutboxMail, now: number): number {
  return Math.max(1, Math.ceil((mail.notAfter - now) / 1000)) + finishedMailTtlSeconds;
}

export function isWaiting(state: MailState): boolean {
  return state === 'queued' || state === 'retrying' || state === 'sending';
}

/** A mail can be claimed while it waits and still has its body; whether it is due is the caller's question. */
export function isClaimable(mail: OutboxMail): boolean {
  return isWaiting(mail.state) && mail.sealed !== undefined;
}

/** A mail as `claimDueMail(now, leaseMs)` leaves it: being sent, one more attempt counted, leased until the lease's end. */
export function claimedAt(mail: OutboxMail, now: number, leaseMs: number): OutboxMail {
  return { ...mail, state: 'sending', attempts: mail.attempts + 1, nextAttemptAt: now + Math.max(1, Math.ceil(leaseMs)) };
}
