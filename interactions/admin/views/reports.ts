/** The external sharing report: live links and their external recipients, filtered, with CSV and NDJSON downloads. */
import type { LinkView } from '../../../src/api/views.ts';
import { html } from '../../../src/html.ts';
import { pager, table, time, withQuery } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';
import type { LinkSearch } from './links.ts';

interface Row {
  link: LinkView;
  recipient: LinkView['recipients'][number];
}

export function sharingReportPage(frame: Omit<ConsoleFrame, 'title'>, search: LinkSearch, found: { items: LinkView[]; nextCursor: string | null }): string {
  const filters = { resource: search.resource, recipient: search.recipient, client: search.client };
  const rows = found.items.flatMap((link) => link.recipients.map((recipient) => ({ link, recipient })));
  return consoleLayout(
    { ...frame, title: 'External sharing report', section: '/admin/reports/external-sharing' },
    html`<p>Every live link with the people outside the organisation it is shared with: when each was added, first verified and last seen.</p>
<form class="filters" method="get" action="/admin/reports/external-sharing" role="search" aria-label="Filter the report">
<div class="field"><label for="recipient">Recipient</label><input id="recipient" name="recipient" type="email" value="${search.recipient ?? ''}" autocomplete="off"></div>
<div class="field"><label for="resource">Resource (exact)</label><input id="resource" name="resource" type="text" value="${search.resource ?? ''}"></div>
<div class="field"><label for="client">Client</label><input id="client" name="client" type="text" value="${search.client ?? ''}"></div>
<button type="submit">Filter</button>
</form>
<p class="export"><a href="${withQuery('/admin/reports/external-sharing.csv', filters)}" download>Download CSV</a> · <a href="${withQuery('/admin/reports/external-sharing.ndjson', filters)}" download>Download NDJSON</a></p>
${table<Row>(
  'External recipients of live links',
  [
    { wrap: true, label: 'Resource', cell: ({ link }) => html`<a href="/admin/links/${link.id}">${link.resource}</a>` },
    { wrap: true, label: 'Client', cell: ({ link }) => link.clientId },
    { wrap: true, label: 'Recipient', cell: ({ recipient }) => recipient.email },
    { label: 'Type', cell: ({ recipient }) => recipient.userType },
    { label: 'Added', cell: ({ recipient }) => time(recipient.addedAt) },
    { label: 'Verified', cell: ({ recipient }) => time(recipient.verifiedAt) },
    { label: 'Last access', cell: ({ recipient }) => time(recipient.lastAccessAt) },
  ],
  rows,
  'No live link is shared outside the organisation on this page.',
)}
${pager('/admin/reports/external-sharing', filters, found.nextCursor)}`,
  );
}
