/**
 * The mail outbox in Redis: a hash per mail and a due set (mail id → when to try it next), all
 * under the hash tag `{outbox}`, so claiming and completing are each one script over one slot.
 */
import { enqueuedMailTtlSeconds, finishedMailTtlSeconds, isClaimable } from '../shared/outbox.ts';
import type { MailOutcome, MailState, OutboxMail, OutboxStore } from '../store/outbox.ts';
import { pairsToRecord, RedisPart, toMs } from './connection.ts';

export class RedisOutbox extends RedisPart implements OutboxStore {
  async enqueueMail(mail: OutboxMail): Promise<void> {
    const ttlSeconds = enqueuedMailTtlSeconds(mail, Date.now());
    await this.redis.script(
      'gpEnqueueMail',
      this.keys.outboxDue(),
      this.keys.outboxMail(mail.id),
      mail.id,
      toMs(ttlSeconds),
      mail.nextAttemptAt,
      isClaimable(mail) ? '1' : '0',
      ...mailToFields(mail),
    );
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    if (limit <= 0) return [];
    // A lease that ends after `now` takes a claimed mail out of the due range, which the script relies on.
    const leaseEnd = now + Math.max(1, Math.ceil(leaseMs));
    const reply = (await this.redis.script('gpClaimDueMail', this.keys.outboxDue(), this.keys.outboxMail(), now, leaseEnd, limit)) as string[][];
    return reply.map((pairs) => parseMail(pairsToRecord(pairs)));
  }

  async completeMail(id: string, outcome: MailOutcome): Promise<void> {
    await this.redis.script(
      'gpCompleteMail',
      this.keys.outboxDue(),
      this.keys.outboxMail(id),
      id,
      outcome.state,
      finishedMailTtlSeconds * 1000,
      outcome.state === 'sent' ? outcome.at : '',
      outcome.state === 'sent' ? '' : outcome.error,
      outcome.state === 'retrying' ? outcome.nextAttemptAt : '',
    );
  }

  async getMail(id: string): Promise<OutboxMail | undefined> {
    const stored = await this.redis.run((client) => client.hgetall(this.keys.outboxMail(id)));
    return stored.id === undefined ? undefined : parseMail(stored);
  }
}

function mailToFields(mail: OutboxMail): string[] {
  const fields: [string, string | number | undefined][] = [
    ['id', mail.id],
    ['sealed', mail.sealed],
    ['label', mail.label],
    ['state', mail.state],
    ['attempts', mail.attempts],
    ['createdAt', mail.createdAt],
    ['nextAttemptAt', mail.nextAttemptAt],
    ['notAfter', mail.notAfter],
    ['sentAt', mail.sentAt],
    ['lastError', mail.lastError],
  ];
  return fields.flatMap(([field, value]) => (value === undefined ? [] : [field, String(value)]));
}

function parseMail(stored: Record<string, string>): OutboxMail {
  const mail: OutboxMail = {
    id: stored.id ?? '',
    label: stored.label ?? '',
    state: stored.state as MailState,
    attempts: Number(stored.attempts),
    createdAt: Number(stored.createdAt),
    nextAttemptAt: Number(stored.nextAttemptAt),
    notAfter: Number(stored.notAfter),
  };
  if (stored.sealed !== undefined) mail.sealed = stored.sealed;
  if (stored.sentAt !== undefined) mail.sentAt = Number(stored.sentAt);
  if (stored.lastError !== undefined) mail.lastError = stored.lastError;
  return mail;
}
