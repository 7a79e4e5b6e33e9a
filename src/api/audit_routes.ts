/**
 * `/api/v1/audit`: the audit trail, filtered, a page at a time — or, with
 * `Accept: application/x-ndjson`, the whole matching trail as a stream of JSON lines, read from
 * the store a page at a time so an export of any size never sits in memory.
 */
import { Readable } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { AuditQuery, AuditStore } from '../../adapters/store.ts';
import { auditOperations } from '../audit.ts';
import { normalizeEmail } from '../emails.ts';
import { callerOf, requireScope } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { pageQuery } from './links_routes.ts';

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z' });

const auditQuery = z
  .strictObject({
    operation: z.enum(auditOperations).optional(),
    sharingId: z.string().max(128).optional(),
    email: z.string().max(320).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    ...pageQuery,
  })
  .refine((query) => !query.since || !query.until || Date.parse(query.since) <= Date.parse(query.until), { error: 'since must not be after until', path: ['since'] });

/** Events read from the store per page of an export. */
const exportPageSize = 500;

export function auditRoutes(router: Router, store: Pick<AuditStore, 'listAudit'>): void {

  router.get('/audit', requireScope('audit:read'), async (ctx) => {
    const query = parseOr400(auditQuery, ctx.query, 'query');
    const caller = callerOf(ctx);
    const filter: AuditQuery = {
      operation: query.operation,
      sharingId: query.sharingId,
      email: query.email === undefined ? undefined : normalizeEmail(query.email),
      since: query.since === undefined ? undefined : Date.parse(query.since),
      until: query.until === undefined ? undefined : Date.parse(query.until),
      // A client that is not an admin reads only the events about itself.
      clientId: caller.admin ? undefined : caller.clientId,
    };
    if (wantsNdjson(ctx)) {
      ctx.type = 'application/x-ndjson';
      ctx.set('Content-Disposition', 'attachment; filename="guestpass-audit.ndjson"');
      ctx.body = Readable.from(exportLines(store, filter, query.cursor));
      return;
    }
    const page = await store.listAudit(filter, { cursor: query.cursor, limit: query.limit });
    ctx.body = { items: page.items, nextCursor: page.nextCursor };
  });

}

export function wantsNdjson(ctx: Context): boolean {
  return ctx.accepts('application/json', 'application/x-ndjson') === 'application/x-ndjson' && ctx.get('accept').includes('application/x-ndjson');
}

/** The matching trail as NDJSON lines, oldest first, read a page at a time (the admin console's export too). */
export async function* exportLines(store: Pick<AuditStore, 'listAudit'>, filter: AuditQuery, cursor: string | undefined): AsyncGenerator<string> {
  let next = cursor;
  do {
    const page = await store.listAudit(filter, { cursor: next, limit: exportPageSize });
    if (page.items.length > 0) yield `${page.items.map((event) => JSON.stringify(event)).join('\n')}\n`;
    next = page.nextCursor ?? undefined;
  } while (next);
}
