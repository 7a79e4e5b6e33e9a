/**
 * The append-only audit log: what happened, to which link and address, by whom. Durable; only
 * `trimAudit` removes events, by age. Ids sort in append order, so a page's cursor is the id of
 * its last event.
 */
import type { Page, PageRequest } from './paging.ts';

/** Every operation the log records; a stored event naming another is refused as corrupt on read. */
export const auditOperations = [
  'SecureLinkCreated',
  'SecureLinkDeleted',
  'AddedToSecureLink',
  'RemovedFromSecureLink',
  // Not in SPEC §7's list, which is silent on changing an expiry; added so the change is on record.
  'SecureLinkExpiryChanged',
  'VerificationCodeSent',
  'VerificationCodeRejected',
  'VerificationSucceeded',
  'RecipientNotOnLink',
  'SignedIn',
  'GuestInvited',
  'GuestRedeemed',
  'GuestUpgraded',
  'UserDisabled',
  'UserDeleted',
  'SessionsRevoked',
  'SettingsUpdated',
  'MailDeliveryFailed',
] as const;
export type AuditOperation = (typeof auditOperations)[number];

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
  operation: AuditOperation;
  actor: AuditActor;
  sharingId?: string | undefined;
  detail: Record<string, unknown>;
  ip?: string | undefined;
  userAgent?: string | undefined;
  result: (typeof auditResults)[number];
}

export interface AuditQuery {
  operation?: AuditOperation | undefined;
  /** Matches `detail.clientId`: the relying party an event concerns. */
  clientId?: string | undefined;
  sharingId?: string | undefined;
  /** Matches `detail.email` (normalised). */
  email?: string | undefined;
  /** Inclusive bounds, epoch ms. */
  since?: number | undefined;
  until?: number | undefined;
}

export interface AuditStore {
  /** Appends events in order; returns them with their ids. Ids sort in append order. */
  appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]>;
  /** Oldest first. `cursor` is the `nextCursor` of the previous page. */
  listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>>;
  /** Drops events older than `before` (epoch ms). */
  trimAudit(before: number): Promise<void>;
}
