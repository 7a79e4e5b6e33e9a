/** The mail outbox in memory: claiming walks the mails in the order they were enqueued. */
import { claimedAt, enqueuedMailTtlSeconds, finishedMailTtlSeconds, isClaimable } from '../shared/outbox.ts';
import type { MailOutcome, OutboxBacklog, OutboxMail, OutboxStore } from '../store/outbox.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryOutbox implements OutboxStore {
  readonly #mail: ExpiringMap<OutboxMail>;

  constructor(maps: ExpiringMaps) {
    this.#mail = maps.create();
  }

  async enqueueMail(mail: OutboxMail): Promise<void> {
    this.#mail.set(mail.id, clone(mail), enqueuedMailTtlSeconds(mail, Date.now()));
  }

  async enqueueClaimedMail(mail: OutboxMail, now: number, leaseMs: number): Promise<OutboxMail> {
    const claimed = claimedAt(mail, now, leaseMs);
    await this.enqueueMail(claimed);
    return clone(claimed);
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    const claimed: OutboxMail[] = [];
    for (const mail of this.#mail.values()) {
      if (claimed.length >= limit) break;
      if (!isClaimable(mail) || mail.nextAttemptAt > now) continue;
      mail.state = 'sending';
      mail.attempts += 1;
      mail.nextAttemptAt = now + leaseMs;
      claimed.push(clone(mail));
    }
    return claimed;
  }

  async completeMail(id: string, outcome: MailOutcome, attempt?: number): Promise<boolean> {
    const mail = this.#mail.get(id);
    if (!mail) return false;
    if (outcome.state === 'sent') {
      this.#mail.delete(id);
      return true;
    }
    if (attempt !== undefined && mail.attempts !== attempt) return false;
    mail.state = outcome.state;
    mail.lastError = outcome.error;
    if (outcome.state === 'retrying') {
      mail.nextAttemptAt = outcome.nextAttemptAt;
      return true;
    }
    delete mail.sealed;
    this.#mail.set(id, mail, finishedMailTtlSeconds);
    return true;
  }

  async getMail(id: string): Promise<OutboxMail | undefined> {
    const mail = this.#mail.get(id);
    return mail && clone(mail);
  }

  async outboxBacklog(limit: number): Promise<OutboxBacklog> {
    let waiting = 0;
    let read = 0;
    let oldestCreatedAt: number | undefined;
    for (const mail of this.#mail.values()) {
      if (!isClaimable(mail)) continue;
      if (read === limit) return { waiting, oldestCreatedAt, complete: false };
      read += 1;
      waiting += 1;
      oldestCreatedAt = Math.min(oldestCreatedAt ?? Infinity, mail.createdAt);
    }
    return { waiting, oldestCreatedAt, complete: true };
  }
}
