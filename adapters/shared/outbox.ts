/** Rules both stores keep for the mail outbox. */
import type { MailState, OutboxMail } from '../store/outbox.ts';

/**
 * How long a mail given up (failed, expired) keeps its status and error, not its body: an hour,
 * beside its `MailDeliveryFailed` event, for whoever looks into it. A sent mail is not kept at all:
 * nothing reads its status (the code page draws its own, interactions/sign_in/code_requests.ts),
 * and kept an hour it was ~0.8 KB of Redis per sign-in (bench/README.md, round 7).
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
