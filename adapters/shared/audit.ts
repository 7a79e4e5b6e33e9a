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

/**
 * The index terms of an event: the filters of `AuditQuery` a store may answer from an index
 * rather than by reading the log, `<kind>:<value>`. Only non-empty values are indexed.
 */
export function auditIndexTerms(event: Pick<AuditEvent, 'operation' | 'sharingId' | 'detail'>): string[] {
  const terms = [`operation:${event.operation}`];
  if (event.sharingId) terms.push(`sharingId:${event.sharingId}`);
  if (typeof event.detail.email === 'string' && event.detail.email) terms.push(`email:${event.detail.email}`);
  if (typeof event.detail.clientId === 'string' && event.detail.clientId) terms.push(`clientId:${event.detail.clientId}`);
  return terms;
}

/**
 * The index terms a query asks for; every match carries all of them. `clientId: ''` asks for
 * a term no event has (it is a scope that matches nothing), so the answer is empty.
 */
export function auditQueryTerms(query: AuditQuery): string[] {
  const terms: string[] = [];
  if (query.operation) terms.push(`operation:${query.operation}`);
  if (query.sharingId) terms.push(`sharingId:${query.sharingId}`);
  if (query.email) terms.push(`email:${query.email}`);
  if (query.clientId !== undefined) terms.push(`clientId:${query.clientId}`);
  return terms;
}

/** An event's time as epoch ms, what its id starts with; an unreadable time counts as 0 (the store's clock then decides). */
export function auditTimeMs(event: Pick<AuditEvent, 'time'>): number {
  const ms = Date.parse(event.time);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms) : 0;
}

/**
 * How far past `until` a listing still reads: ids are `max(event time, the last id)`, so an
 * event appended after a later-timed one (clocks of two instances apart) gets an id after its
 * time. Its own time still decides whether it matches; this only bounds where a scan stops.
 */
export const auditUntilSlackMs = 5 * 60 * 1000;
