/** Rules both stores keep for the audit log. */
import { InvalidCursorError } from '../errors.ts';
import type { AuditEvent, AuditQuery } from '../store/audit.ts';
import type { Page } from '../store/paging.ts';
import { toPage } from './paging.ts';

export function auditMatches(event: AuditEvent, query: AuditQuery): boolean {
  if (query.operation && event.operation !== query.operation) return false;
  // A scope rather than a convenience filter (a client reading its own events): an empty id
  // matches nothing instead of everything.
  if (query.clientId !== undefined && event.detail.clientId !== query.clientId) return false;
  if (query.sharingId && event.sharingId !== query.sharingId) return false;
  if (query.email && event.detail.email !== query.email) return false;
  if (query.result && event.result !== query.result) return false;
  const time = Date.parse(event.time);
  if (query.since !== undefined && time < query.since) return false;
  if (query.until !== undefined && time > query.until) return false;
  return true;
}

/** Newest first: an event older than `since` ends the scan, since every one after it is older still. */
export function isBeforeWindow(event: AuditEvent, query: AuditQuery): boolean {
  return query.since !== undefined && Date.parse(event.time) < query.since;
}

/** Audit ids are `<ms>-<sequence>`, as Redis stream ids are. */
export function compareAuditIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

const auditIdPattern = /^\d{1,16}-\d{1,16}$/;

export function encodeAuditCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeAuditCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!auditIdPattern.test(id)) throw new InvalidCursorError();
  return id;
}

/** Up to `limit + 1` matches, oldest first: the one beyond the page only says that another page exists. */
export function toAuditPage(found: AuditEvent[], limit: number): Page<AuditEvent> {
  return toPage(found, limit, (last) => encodeAuditCursor(last.id));
}
