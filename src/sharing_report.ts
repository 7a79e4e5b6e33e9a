/**
 * The external sharing report (SPEC §6): every live link with its external recipients (anyone
 * not a member), each with when they were added, first verified and last seen — as pages, as a
 * stream of links, or as CSV rows, one per recipient. The management API and the admin console
 * both read it from here. Pages follow the link list, so a page may hold fewer links than
 * `limit` (links with no external recipient are left out): follow `nextCursor` until null.
 */
import type { Clock } from './clock.ts';
import { csvRow } from './csv.ts';
import { isLive, type Links, type LinkFilter, type Viewer } from './links.ts';
import { linkView, type LinkView } from './api/views.ts';

const external = (userType: string) => userType !== 'member';

export const sharingReportCsvHeader = csvRow(['link_id', 'resource', 'client_id', 'expires_at', 'email', 'user_type', 'added_at', 'verified_at', 'last_access_at']);

/** One CSV row per external recipient of a link; formula-like cells stay text (src/csv.ts). */
export function sharingReportCsvRows(link: LinkView): string {
  return link.recipients.map((recipient) => csvRow([link.id, link.resource, link.clientId, link.expiresAt, recipient.email, recipient.userType, recipient.addedAt, recipient.verifiedAt, recipient.lastAccessAt])).join('');
}

export async function sharingReportPage(links: Links, viewer: Viewer, clock: Clock, filter: LinkFilter, page: { cursor?: string | undefined; limit: number }): Promise<{ items: LinkView[]; nextCursor: string | null }> {
  const found = await links.list(viewer, filter, page);
  const now = clock.now();
  const views = await Promise.all(found.items.filter((link) => isLive(link, now)).map((link) => linkView(link, links, external)));
  return { items: views.filter((view) => view.recipients.length > 0), nextCursor: found.nextCursor };
}

/** The whole report, a link at a time, read from the store a page at a time. */
export async function* sharingReport(links: Links, viewer: Viewer, clock: Clock, filter: LinkFilter, cursor?: string): AsyncGenerator<LinkView> {
  let next = cursor;
  do {
    const page = await sharingReportPage(links, viewer, clock, filter, { cursor: next, limit: 100 });
    yield* page.items;
    next = page.nextCursor ?? undefined;
  } while (next);
}
