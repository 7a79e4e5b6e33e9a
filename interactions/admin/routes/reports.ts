/**
 * `/admin/reports/external-sharing`: the sharing report (`src/sharing_report.ts`, as the API
 * serves it) with filters, a page at a time, and the whole filtered report as CSV (a row per
 * recipient, formula-like cells written as text) or NDJSON (a link per line), streamed.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';

import { csvLines, ndjsonLines } from '../../../src/api/reports_routes.ts';
import { normalizeEmail } from '../../../src/emails.ts';
import type { LinkFilter } from '../../../src/links.ts';
import { sharingReport, sharingReportPage } from '../../../src/sharing_report.ts';
import { consoleUserOf, consoleViewer, type ConsoleDeps } from '../context.ts';
import { consolePage, type Step } from '../steps.ts';
import { sharingReportPage as reportView } from '../views/reports.ts';
import { pageCursor, parseQuery, text } from './queries.ts';

const reportQuery = z.object({ resource: text(2048), recipient: text(320), client: text(256), cursor: pageCursor });

function filterOf(query: z.output<typeof reportQuery>): LinkFilter {
  return { resource: query.resource, recipient: query.recipient && normalizeEmail(query.recipient), clientId: query.client };
}

export function showSharingReport(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderReport(ctx) {
      const query = parseQuery(reportQuery, ctx.query);
      const found = await sharingReportPage(deps.links, consoleViewer(ctx), deps.clock, filterOf(query), { cursor: query.cursor, limit: 25 });
      ctx.type = 'html';
      ctx.body = reportView({ organizationName: deps.organizationName, user: consoleUserOf(ctx) }, query, found);
    },
  ];
}

export function downloadSharingReport(deps: ConsoleDeps, format: 'csv' | 'ndjson'): Step[] {
  return [
    ...consolePage(deps),
    function streamReport(ctx) {
      const query = parseQuery(reportQuery, ctx.query);
      const report = sharingReport(deps.links, consoleViewer(ctx), deps.clock, filterOf(query));
      ctx.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
      ctx.set('Content-Disposition', `attachment; filename="guestpass-external-sharing.${format}"`);
      ctx.body = Readable.from(format === 'csv' ? csvLines(report) : ndjsonLines(report));
    },
  ];
}
