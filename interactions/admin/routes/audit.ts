/**
 * `/admin/audit`: the trail newest first with the API's filters, a page at a time; and
 * `/admin/audit/export`, every matching event as NDJSON, oldest first, streamed from the store a
 * page at a time (the page's script shows how many have arrived; without it, a plain download).
 */
import { Readable } from 'node:stream';
import { z } from 'zod';

import type { AuditQuery } from '../../../adapters/store.ts';
import { exportLines } from '../../../src/api/audit_routes.ts';
import { auditOperations } from '../../../src/audit.ts';
import { normalizeEmail } from '../../../src/emails.ts';
import { consoleUserOf, type ConsoleDeps } from '../context.ts';
import { consolePage, type Step } from '../steps.ts';
import { auditPage, type AuditFilters } from '../views/audit.ts';
import { pageCursor, parseQuery, text } from './queries.ts';

/** A datetime-local value (no zone), read as UTC as the form says. */
const localTime = z.preprocess((value) => (value === '' ? undefined : value), z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?Z?$/, 'must be a date and time such as 2030-01-31T12:00').optional());

const auditQuery = z
  .object({
    operation: z.preprocess((value) => (value === '' ? undefined : value), z.enum(auditOperations).optional()),
    email: text(320),
    sharingId: text(128),
    since: localTime,
    until: localTime,
    cursor: pageCursor,
  })
  .refine((query) => !query.since || !query.until || utc(query.since) <= utc(query.until), { error: 'since must not be after until', path: ['since'] });

function utc(value: string): number {
  return Date.parse(value.endsWith('Z') ? value : `${value}Z`);
}

function storeQuery(filters: z.output<typeof auditQuery>): AuditQuery {
  return {
    operation: filters.operation,
    email: filters.email === undefined ? undefined : normalizeEmail(filters.email),
    sharingId: filters.sharingId,
    since: filters.since === undefined ? undefined : utc(filters.since),
    until: filters.until === undefined ? undefined : utc(filters.until),
  };
}

function shownFilters(query: z.output<typeof auditQuery>): AuditFilters {
  return { operation: query.operation, email: query.email, sharingId: query.sharingId, since: query.since, until: query.until };
}

export function showAudit(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderAudit(ctx) {
      const query = parseQuery(auditQuery, ctx.query);
      const found = await deps.store.listAuditNewestFirst(storeQuery(query), { cursor: query.cursor, limit: 50 });
      ctx.type = 'html';
      ctx.body = auditPage({ organizationName: deps.organizationName, user: consoleUserOf(ctx) }, shownFilters(query), found);
    },
  ];
}

export function exportAudit(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    function streamAudit(ctx) {
      const query = parseQuery(auditQuery, ctx.query);
      ctx.type = 'application/x-ndjson';
      ctx.set('Content-Disposition', 'attachment; filename="guestpass-audit.ndjson"');
      ctx.body = Readable.from(exportLines(deps.store, storeQuery(query), undefined));
    },
  ];
}
