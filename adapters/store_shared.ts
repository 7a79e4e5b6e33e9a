/** Rules both stores share, so they cannot drift apart. */
import { GuestpassError } from '../src/errors.ts';
import type { AuditEvent, AuditQuery } from './store.ts';

/** oidc-provider models that belong to a grant and go when it is revoked. */
export const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** How long a mail's status (not its body) is kept after it was sent or given up. */
export const finishedMailTtlSeconds = 24 * 60 * 60;

export function auditMatches(event: AuditEvent, query: AuditQuery): boolean {
  if (query.operation && event.operation !== query.operation) return false;
  if (query.sharingId && event.sharingId !== query.sharingId) return false;
  if (query.email && event.detail.email !== query.email) return false;
  const time = Date.parse(event.time);
  if (query.since !== undefined && time < query.since) return false;
  if (query.until !== undefined && time > query.until) return false;
  return true;
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
  if (!auditIdPattern.test(id)) throw new GuestpassError('invalid_request', 'cursor is not one this API returned', { status: 400 });
  return id;
}
