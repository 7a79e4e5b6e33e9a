/**
 * The append-only audit log: what happened, to which link and address, by whom. Durable; only
 * `trimAudit` removes events, by age. Ids sort in append order, so a page's cursor is the id of
 * its last event. The store does not know which operations exist (the domain's list is
 * `src/audit.ts`); a store may be told them, to refuse an event naming another as corrupt.
 */
import type { Page, PageRequest } from './paging.ts';

export const auditActorTypes = ['person', 'client', 'anonymous', 'system'] as const;

export interface AuditActor {
  type: (typeof auditActorTypes)[number];
  id: string;
}

export const auditResults = ['success', 'failure'] as const;

export interface AuditEvent {
  id: string;
  /** ISO 8601. */
  time: string;
  /** One of the domain's operations (`src/audit.ts`). */
  operation: string;
  actor: AuditActor;
  sharingId?: string | undefined;
  detail: Record<string, unknown>;
  ip?: string | undefined;
  userAgent?: string | undefined;
  result: (typeof auditResults)[number];
}

export interface AuditQuery {
  operation?: string | undefined;
  /** Matches `detail.clientId`: the relying party an event concerns. */
  clientId?: string | undefined;
  sharingId?: string | undefined;
  /** Matches `detail.email` (normalised). */
  email?: string | undefined;
  /** Inclusive bounds, epoch ms. */
  since?: number | undefined;
  until?: number | undefined;
  /** Only successes, or only failures. */
  result?: (typeof auditResults)[number] | undefined;
}

export interface AuditStore {
  /** Appends events in order; returns them with their ids. Ids sort in append order. */
  appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]>;
  /** Oldest first. `cursor` is the `nextCursor` of the previous page. */
  listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * Newest first, for "what happened lately" (the admin console). `cursor` is the `nextCursor`
   * of the previous page of this listing. Events are appended in time order, so with `since` the
   * scan stops at the first event older than it instead of reading the whole log.
   */
  listAuditNewestFirst(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>>;
  /** Drops events older than `before` (epoch ms). */
  trimAudit(before: number): Promise<void>;
}
