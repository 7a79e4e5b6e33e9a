/**
 * `/api/v1/reports/external-sharing`: every live link with its external recipients (anyone not
 * a member), each with when they were added, first verified and last seen. A client sees its
 * own links; an admin sees all. Pages follow the link list; a page may hold fewer items than
 * `limit` (links with no external recipient are left out), so follow `nextCursor` until null.
 * `Accept: application/x-ndjson` streams the whole report instead.
 */
import { Readable } from 'node:stream';
import type Router from '@koa/router';
import { z } from 'zod';

import type { Clock } from '../clock.ts';
import { isLive, type Links, type Viewer } from '../links.ts';
import { callerOf, requireScope } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { pageQuery } from './links_routes.ts';
import { linkView, type LinkView } from './views.ts';
import { wantsNdjson } from './audit_routes.ts';

const reportQuery = z.strictObject({ ...pageQuery });
const external = (userType: string) => userType !== 'member';

export function reportsRoutes(router: Router, links: Links, clock: Clock): void {

  router.get('/reports/external-sharing', requireScope('audit:read', 'links:read'), async (ctx) => {
    const query = parseOr400(reportQuery, ctx.query, 'query');
    const caller = callerOf(ctx);
    const viewer: Viewer = { clientId: caller.clientId, admin: caller.admin };
    if (wantsNdjson(ctx)) {
      ctx.type = 'application/x-ndjson';
      ctx.body = Readable.from(reportLines(links, viewer, clock, query.cursor));
      return;
    }
    const page = await reportPage(links, viewer, clock, query.cursor, query.limit);
    ctx.body = page;
  });

}

async function reportPage(links: Links, viewer: Viewer, clock: Clock, cursor: string | undefined, limit: number): Promise<{ items: LinkView[]; nextCursor: string | null }> {
  const page = await links.list(viewer, {}, { cursor, limit });
  const now = clock.now();
  const views = await Promise.all(page.items.filter((link) => isLive(link, now)).map((link) => linkView(link, links, external)));
  return { items: views.filter((view) => view.recipients.length > 0), nextCursor: page.nextCursor };
}

async function* reportLines(links: Links, viewer: Viewer, clock: Clock, cursor: string | undefined): AsyncGenerator<string> {
  let next = cursor;
  do {
    const page = await reportPage(links, viewer, clock, next, 100);
    if (page.items.length > 0) yield `${page.items.map((item) => JSON.stringify(item)).join('\n')}\n`;
    next = page.nextCursor ?? undefined;
  } while (next);
}
