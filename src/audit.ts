/**
 * The audit trail: append-only, one event per operation of SPEC §7, keyed by the sharing id
 * where there is one. Callers pass facts (who, what, about whom); codes, tokens and secrets are
 * never among them.
 */
import type { AuditActor, AuditEvent, AuditStore } from '../adapters/store.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';

/**
 * Every operation the audit trail records (SPEC §7, plus SecureLinkExpiryChanged and
 * SecureLinkExpired): the one list.
 * `GET /api/v1/audit?operation=` accepts exactly these, and the Redis store is handed them to
 * refuse an event naming another as corrupt.
 */
export const auditOperations = [
  'SecureLinkCreated',
  'SecureLinkDeleted',
  'AddedToSecureLink',
  'RemovedFromSecureLink',
  // Not in SPEC §7's list, which is silent on changing an expiry; added so the change is on record.
  'SecureLinkExpiryChanged',
  // Not in SPEC §7's list either: an expiry is no one's request, but what it revoked must be on record.
  'SecureLinkExpired',
  'SecureLinkAccessed',
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
  // Relying parties and keys changing while guestpass runs (docs/clients.md, docs/operations.md).
  'ClientRegistered',
  'ClientUpdated',
  'ClientSecretRotated',
  'ClientDeleted',
  'InitialAccessTokenIssued',
  'KeysRotated',
] as const;
export type AuditOperation = (typeof auditOperations)[number];

export type { AuditEvent } from '../adapters/store.ts';

export interface AuditInput {
  actor: AuditActor;
  sharingId?: string | undefined;
  detail?: Record<string, unknown>;
  ip?: string | undefined;
  userAgent?: string | undefined;
  result?: 'success' | 'failure';
}

/** Who made a request, as the audit records it. */
export interface RequestOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export class AuditLog {
  readonly #store: Pick<AuditStore, 'appendAudit'>;
  readonly #clock: Clock;
  readonly #logger: Logger;

  readonly #onRecorded: ((event: AuditEvent) => void) | undefined;

  constructor(store: Pick<AuditStore, 'appendAudit'>, clock: Clock, logger: Logger, onRecorded?: (event: AuditEvent) => void) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#onRecorded = onRecorded;
  }

  async record(operation: AuditOperation, input: AuditInput): Promise<AuditEvent> {
    const [event] = await this.recordAll([[operation, input]]);
    return event!;
  }

  /** Appends several events in the given order (e.g. `SecureLinkCreated` then each `AddedToSecureLink`). */
  async recordAll(entries: readonly (readonly [AuditOperation, AuditInput])[]): Promise<AuditEvent[]> {
    const time = new Date(this.#clock.now()).toISOString();
    const events = entries.map(([operation, input]) => ({
      time,
      operation,
      actor: input.actor,
      sharingId: input.sharingId,
      detail: input.detail ?? {},
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512),
      result: input.result ?? 'success',
    }));
    const stored = await this.#store.appendAudit(events);
    for (const event of stored) {
      this.#logger.info({ audit: event.operation, auditId: event.id, sharingId: event.sharingId, result: event.result }, 'audit');
      this.#onRecorded?.(event);
    }
    return stored;
  }
}
