/** The audit page: filters, the events newest first a page at a time, and an export of everything that matches. */
import type { AuditEvent } from '../../../adapters/store.ts';
import { auditOperations } from '../../../src/audit.ts';
import { html } from '../../../src/html.ts';
import { pager, table, time, withQuery } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

export interface AuditFilters {
  operation?: string | undefined;
  email?: string | undefined;
  sharingId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function auditPage(frame: Omit<ConsoleFrame, 'title'>, filters: AuditFilters, found: { items: AuditEvent[]; nextCursor: string | null }): string {
  const exportUrl = withQuery('/admin/audit/export', { ...filters });
  return consoleLayout(
    { ...frame, title: 'Audit', section: '/admin/audit' },
    html`<form class="filters" method="get" action="/admin/audit" role="search" aria-label="Filter the audit trail">
<div class="field"><label for="operation">Operation</label><select id="operation" name="operation"><option value="">Any</option>${auditOperations.map((operation) => html`<option${filters.operation === operation ? html` selected` : ''}>${operation}</option>`)}</select></div>
<div class="field"><label for="email">Email</label><input id="email" name="email" type="text" value="${filters.email ?? ''}" autocomplete="off"></div>
<div class="field"><label for="sharingId">Sharing id</label><input id="sharingId" name="sharingId" type="text" value="${filters.sharingId ?? ''}"></div>
<div class="field"><label for="since">From (UTC)</label><input id="since" name="since" type="datetime-local" value="${filters.since ?? ''}"></div>
<div class="field"><label for="until">Until (UTC)</label><input id="until" name="until" type="datetime-local" value="${filters.until ?? ''}"></div>
<button type="submit">Filter</button>
</form>
<p class="export"><a href="${exportUrl}" download data-export="ndjson">Export every matching event (NDJSON)</a> <span class="progress" role="status" aria-live="polite"></span></p>
${table<AuditEvent>(
  'Audit events, newest first',
  [
    { label: 'Time', cell: (event) => time(event.time) },
    { label: 'Operation', cell: (event) => html`${event.operation}${event.result === 'failure' ? html` <span class="tag">failure</span>` : ''}` },
    { wrap: true, label: 'Actor', cell: (event) => `${event.actor.type} ${event.actor.id}` },
    { wrap: true, label: 'Link', cell: (event) => (event.sharingId ? html`<a href="/admin/links/${event.sharingId}">${event.sharingId.slice(0, 8)}…</a>` : '—') },
    { wrap: true, label: 'Detail', cell: (event) => html`<code class="detail">${JSON.stringify(event.detail)}</code>` },
  ],
  found.items,
  'No event matches.',
)}
${pager('/admin/audit', { ...filters }, found.nextCursor)}`,
  );
}
