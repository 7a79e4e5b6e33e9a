/**
 * `/api/v1/reports/external-sharing`: every live link with its external recipients (anyone not
 * a member), each with when they were added, first verified and last seen (`src/sharing_report.ts`).
 * A client sees its own links; an admin sees all. Pages follow the link list; a page may hold
 * fewer items than `limit`, so follow `nextCursor` until null. `Accept: application/x-ndjson`
 * streams the whole report, a link per line; `Accept: text/csv` streams it as CSV, a row per
 * recipient (as `guestpass report external-sharing` writes it).
 */
import { Readable } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { Clock } from '../clock.ts';
import type { Links, Viewer } from '../links.ts';
import { sharingReport, sharingReportCsvHeader, sharingReportCsvRows, sharingReportPage } from '../sharing_report.ts';
import { callerOf, requireScope } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { pageQuery } from './links_routes.ts';
import { wantsNdjson } from './audit_routes.ts';
import type { LinkView } from './views.ts';

const reportQuery = z.strictObject({ ...pageQuery });

export function reportsRoutes(router: Router, links: Links, clock: Clock): void {

  router.get('/reports/external-sharing', requireScope('audit:read', 'links:read'), async (ctx) => {
    const query = parseOr400(reportQuery, ctx.query, 'query');
    const caller = callerOf(ctx);
    const viewer: Viewer = { clientId: caller.clientId, admin: caller.admin };
    if (wantsCsv(ctx)) {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', 'attachment; filename="guestpass-external-sharing.csv"');
      ctx.body = Readable.from(csvLines(sharingReport(links, viewer, clock, {}, query.cursor)));
      return;
    }
    if (wantsNdjson(ctx)) {
      ctx.type = 'application/x-ndjson';
      ctx.body = Readable.from(ndjsonLines(sharingReport(links, viewer, clock, {}, query.cursor)));
      return;
    }
    ctx.body = await sharingReportPage(links, viewer, clock, {}, { cursor: query.cursor, limit: query.limit });
  });

}

/** CSV only when asked for by name: a client that accepts anything still gets JSON. */
function wantsCsv(ctx: Context): boolean {
  return ctx.get('accept').includes('text/csv') && ctx.accepts('application/json', 'text/csv') === 'text/csv';
}

export async function* csvLines(report: AsyncIterable<LinkView>): AsyncGenerator<string> {
  yield sharingReportCsvHeader;
  for await (const link of report) yield sharingReportCsvRows(link);
}

export async function* ndjsonLines(report: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const link of report) yield `${JSON.stringify(link)}\n`;
}
