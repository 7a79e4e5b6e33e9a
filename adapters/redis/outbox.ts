/**
 * The mail outbox in Redis: a hash per mail and a due set (mail id → when to try it next), all
 * under the hash tag `{outbox}`, so claiming and completing are each one script over one slot.
 */
import { z } from 'zod';

import { claimedAt, enqueuedMailTtlSeconds, finishedMailTtlSeconds, isClaimable } from '../shared/outbox.ts';
import { mailStates, type MailOutcome, type OutboxBacklog, type OutboxMail, type OutboxStore } from '../store/outbox.ts';
import { RedisPart, toMs } from './connection.ts';
import { hashFields, pairsToRecord, parseStored, storedInteger, storedNumber } from './stored.ts';

const mailSchema = z.object({
  id: z.string().min(1),
  sealed: z.string().optional(),
  label: z.string(),
  state: z.enum(mailStates),
  attempts: storedInteger,
  createdAt: storedNumber,
  nextAttemptAt: storedNumber,
  notAfter: storedNumber,
  sentAt: storedNumber.optional(),
  lastError: z.string().optional(),
}) satisfies z.ZodType<OutboxMail>;

const mailFields = mailSchema.keyof().options;

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
      ...hashFields(mail, mailFields),
    );
  }

  async enqueueClaimedMail(mail: OutboxMail, now: number, leaseMs: number): Promise<OutboxMail> {
    // The same script as enqueueMail: the due set gets the lease's end, as a claim gives it.
    const claimed = claimedAt(mail, now, leaseMs);
    await this.enqueueMail(claimed);
    return claimed;
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    if (limit <= 0) return [];
    // A lease that ends after `now` takes a claimed mail out of the due range, which the script relies on.
    const leaseEnd = now + Math.max(1, Math.ceil(leaseMs));
    const reply = (await this.redis.script('gpClaimDueMail', this.keys.outboxDue(), this.keys.outboxMail(), now, leaseEnd, limit)) as string[][];
    return reply.map((pairs) => {
      const stored = pairsToRecord(pairs);
      return parseStored(mailSchema, stored, `mail ${stored.id ?? '(no id)'}`);
    });
  }

  async completeMail(id: string, outcome: MailOutcome, attempt?: number): Promise<boolean> {
    const recorded = await this.redis.script(
      'gpCompleteMail',
      this.keys.outboxDue(),
      this.keys.outboxMail(id),
      id,
      outcome.state,
      finishedMailTtlSeconds * 1000,
      outcome.state === 'sent' ? '' : outcome.error,
      outcome.state === 'retrying' ? outcome.nextAttemptAt : '',
      attempt ?? '',
    );
    return recorded === 1;
  }

  async getMail(id: string): Promise<OutboxMail | undefined> {
    const stored = await this.redis.run((client) => client.hgetall(this.keys.outboxMail(id)));
    return Object.keys(stored).length === 0 ? undefined : parseStored(mailSchema, stored, `mail ${id}`);
  }

  async outboxBacklog(limit: number): Promise<OutboxBacklog> {
    const [waiting, oldest, complete] = (await this.redis.script('gpOutboxBacklog', this.keys.outboxDue(), this.keys.outboxMail(), limit)) as [number, string, number];
    return { waiting, oldestCreatedAt: oldest === '' ? undefined : Number(oldest), complete: complete === 1 };
  }
}
