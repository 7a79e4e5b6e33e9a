/** Pieces every console page uses: tables that stack on a phone, times, pagers, hidden CSRF fields. */
import { html, type SafeHtml } from '../../../src/html.ts';

export interface Column<T> {
  label: string;
  cell: (row: T) => unknown;
  /** Long identifiers (addresses, resources, ids) may break anywhere; other cells keep their words whole. */
  wrap?: boolean;
}

/**
 * A table with a caption; on a narrow screen each row becomes a card whose cells are labelled
 * (`data-label`, shown by the CSS), so nothing scrolls sideways at 320 px.
 */
export function table<T>(caption: string, columns: readonly Column<T>[], rows: readonly T[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table class="stack">
<caption>${caption}</caption>
<thead><tr>${columns.map((column) => html`<th scope="col">${column.label}</th>`)}</tr></thead>
<tbody>${rows.map((row) => html`<tr>${columns.map((column) => html`<td data-label="${column.label}"${column.wrap ? html` class="wrap"` : ''}>${column.cell(row)}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** A time as people read it, in UTC, with the exact instant for machines. */
export function time(value: number | string | undefined): SafeHtml | string {
  if (value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

/** "Next page" for a list that has one, keeping the filters. */
export function pager(path: string, query: Record<string, string | undefined>, nextCursor: string | null): SafeHtml | string {
  if (!nextCursor) return '';
  return html`<p class="pager"><a href="${withQuery(path, { ...query, cursor: nextCursor })}">Next page</a></p>`;
}

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const search = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')).toString();
  return search ? `${path}?${search}` : path;
}

export function durationText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}
