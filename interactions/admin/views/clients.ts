/** The clients page: every relying party — the configuration file's and those registered at runtime (docs/clients.md) — and, for admins, the forms that add them. */
import type { ClientView } from '../../../src/clients.ts';
import { html, type SafeHtml } from '../../../src/html.ts';
import { pager, table, time } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

export function clientsPage(frame: Omit<ConsoleFrame, 'title'>, found: { items: ClientView[]; nextCursor: string | null }, forms: SafeHtml | string): string {
  return consoleLayout(
    { ...frame, title: 'Clients', section: '/admin/clients' },
    html`<p>Relying parties that sign people in. Those of the configuration file change with the file; the others are
registered at runtime: open one to rotate its secret or delete it (admins), or use <code>guestpass clients</code> or the clients API.</p>
${table<ClientView>(
  'Clients',
  [
    { wrap: true, label: 'Client id', cell: (client) => html`<a href="/admin/clients/${client.client_id}">${client.client_id}</a>` },
    { wrap: true, label: 'Name', cell: (client) => (typeof client.client_name === 'string' ? client.client_name : '—') },
    { label: 'Source', cell: (client) => (client.readOnly ? 'configuration file' : 'runtime') },
    { label: 'Registered', cell: (client) => (client.registeredAt ? time(client.registeredAt) : '—') },
    { wrap: true, label: 'Redirect URIs', cell: (client) => (Array.isArray(client.redirect_uris) && client.redirect_uris.length > 0 ? client.redirect_uris.join(' ') : '—') },
  ],
  found.items,
  'No clients.',
)}
${pager('/admin/clients', {}, found.nextCursor)}
${forms}`,
  );
}
