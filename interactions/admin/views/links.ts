/** The links pages: search (by resource, recipient, client), one link with its recipients and the forms that change it. */
import type { LinkView, RecipientView } from '../../../src/api/views.ts';
import { html } from '../../../src/html.ts';
import { csrfField, pager, table, time } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

export interface LinkSearch {
  resource?: string | undefined;
  recipient?: string | undefined;
  client?: string | undefined;
}

export function linksPage(frame: Omit<ConsoleFrame, 'title'>, search: LinkSearch, found: { items: LinkView[]; nextCursor: string | null }): string {
  return consoleLayout(
    { ...frame, title: 'Links', section: '/admin/links' },
    html`<form class="filters" method="get" action="/admin/links" role="search" aria-label="Find links">
<div class="field"><label for="recipient">Recipient</label><input id="recipient" name="recipient" type="email" value="${search.recipient ?? ''}" autocomplete="off"></div>
<div class="field"><label for="resource">Resource (exact)</label><input id="resource" name="resource" type="text" value="${search.resource ?? ''}"></div>
<div class="field"><label for="client">Client</label><input id="client" name="client" type="text" value="${search.client ?? ''}"></div>
<button type="submit">Find links</button>
</form>
${table<LinkView>(
  'Links, newest first',
  [
    { wrap: true, label: 'Resource', cell: (link) => html`<a href="/admin/links/${link.id}">${link.resource}</a>` },
    { wrap: true, label: 'Client', cell: (link) => link.clientId },
    { wrap: true, label: 'Recipients', cell: (link) => (link.recipients.length <= 3 ? link.recipients.map((recipient) => recipient.email).join(', ') : `${link.recipients.length} people`) },
    { label: 'Created', cell: (link) => time(link.createdAt) },
    { label: 'Expires', cell: (link) => (link.expiresAt ? time(link.expiresAt) : 'never') },
    { label: 'Live', cell: (link) => (link.live ? 'yes' : 'expired') },
  ],
  found.items,
  'No link matches.',
)}
${pager('/admin/links', { resource: search.resource, recipient: search.recipient, client: search.client }, found.nextCursor)}`,
  );
}

export function linkPage(frame: Omit<ConsoleFrame, 'title'>, link: LinkView, admin: boolean, csrf: string): string {
  const expiresValue = link.expiresAt ? link.expiresAt.slice(0, 16) : '';
  return consoleLayout(
    { ...frame, title: link.resource, section: '/admin/links' },
    html`<dl class="facts">
<dt>Sharing id</dt><dd><code>${link.id}</code></dd>
<dt>Client</dt><dd>${link.clientId}</dd>
<dt>Created</dt><dd>${time(link.createdAt)} by ${link.createdBy}</dd>
<dt>Expires</dt><dd>${link.expiresAt ? time(link.expiresAt) : 'never'}${link.live ? '' : ' (expired)'}</dd>
</dl>
<h2>Recipients</h2>
${table<RecipientView>(
  'Who this link is shared with',
  [
    { wrap: true, label: 'Email', cell: (recipient) => recipient.email },
    { label: 'Type', cell: (recipient) => recipient.userType },
    { label: 'Added', cell: (recipient) => time(recipient.addedAt) },
    { label: 'Verified', cell: (recipient) => time(recipient.verifiedAt) },
    { label: 'Last access', cell: (recipient) => time(recipient.lastAccessAt) },
    ...(admin
      ? [{ label: 'Action', cell: (recipient: RecipientView) => html`<form method="post" action="/admin/links/${link.id}/remove-recipient">${csrfField(csrf)}<input type="hidden" name="email" value="${recipient.email}"><button type="submit" class="secondary" aria-label="Remove ${recipient.email}">Remove</button></form>` }]
      : []),
  ],
  link.recipients,
  'Nobody: this link has no recipients left.',
)}
${admin
  ? html`<h2>Change the expiry</h2>
<form method="post" action="/admin/links/${link.id}/expiry">${csrfField(csrf)}
<div class="field"><label for="expiresAt">Expires at (UTC)</label><input id="expiresAt" name="expiresAt" type="datetime-local" value="${expiresValue}" aria-describedby="expires-hint">
<p class="hint" id="expires-hint">Leave empty for no expiry (unless the sharing policy caps link lifetimes).</p></div>
<button type="submit">Save the expiry</button>
</form>
<h2>Delete the link</h2>
<form method="post" action="/admin/links/${link.id}/delete">${csrfField(csrf)}
<div class="check"><input id="confirm-delete" name="confirm" type="checkbox" value="yes" required><label for="confirm-delete">Every recipient loses access</label></div>
<button type="submit" class="danger">Delete this link</button>
</form>`
  : html`<p class="hint">You are an auditor: you can see this link but not change it.</p>`}`,
  );
}
