/**
 * The console's overview: what happened in the last 24 hours, counted from the audit trail
 * (sign-ins, codes sent, rejected and withheld, mail given up), the mail still waiting in the
 * outbox and how long the oldest has waited, and the latest failures. One newest-first pass over
 * the window, capped, so a busy day costs a bounded read: past the cap the counts say "at least".
 */
import type { AuditEvent, AuditStore, OutboxStore } from '../../adapters/store.ts';
import type { AuditOperation } from '../audit.ts';
import type { Clock } from '../clock.ts';

export const overviewWindowHours = 24;
/** Events read at most for the counts. */
export const overviewEventCap = 10_000;
/** Mails read at most for the outbox figures. */
const backlogCap = 10_000;
const recentFailureCount = 10;

export const countedOperations = ['SignedIn', 'VerificationCodeSent', 'VerificationCodeRejected', 'RecipientNotOnLink', 'MailDeliveryFailed'] as const satisfies readonly AuditOperation[];
export type CountedOperation = (typeof countedOperations)[number];

export interface ConsoleOverview {
  since: number;
  counts: Record<CountedOperation, number>;
  /** The cap was reached: the counts are lower bounds. */
  countsAreLowerBounds: boolean;
  outbox: { waiting: number; oldestAgeSeconds: number | undefined; complete: boolean };
  /** Newest first, from the same window. */
  recentFailures: AuditEvent[];
}

export async function consoleOverview(store: Pick<AuditStore, 'listAuditNewestFirst'> & Pick<OutboxStore, 'outboxBacklog'>, clock: Clock): Promise<ConsoleOverview> {
  const now = clock.now();
  const since = now - overviewWindowHours * 60 * 60 * 1000;
  const counts = Object.fromEntries(countedOperations.map((operation) => [operation, 0])) as Record<CountedOperation, number>;
  const recentFailures: AuditEvent[] = [];
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await store.listAuditNewestFirst({ since }, { cursor, limit: 500 });
    for (const event of page.items) {
      if (event.operation in counts) counts[event.operation as CountedOperation] += 1;
      if (event.result === 'failure' && recentFailures.length < recentFailureCount) recentFailures.push(event);
    }
    read += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && read < overviewEventCap);
  const backlog = await store.outboxBacklog(backlogCap);
  return {
    since,
    counts,
    countsAreLowerBounds: cursor !== undefined,
    outbox: { waiting: backlog.waiting, oldestAgeSeconds: backlog.oldestCreatedAt === undefined ? undefined : Math.max(0, Math.round((now - backlog.oldestCreatedAt) / 1000)), complete: backlog.complete },
    recentFailures,
  };
}
