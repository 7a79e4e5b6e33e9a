/** The people pages: search the directory, invite, one person with their identities and the forms that change them. */
import type { PersonView } from '../../../src/api/views.ts';
import { html, type SafeHtml } from '../../../src/html.ts';
import { csrfField, pager, table, time, withQuery } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

export interface PeopleSearch {
  email?: string | undefined;
  type?: string | undefined;
}

export function peoplePage(frame: Omit<ConsoleFrame, 'title'>, search: PeopleSearch, found: { items: PersonView[]; nextCursor: string | null }, invite: SafeHtml | string): string {
  const option = (value: string, label: string) => html`<option value="${value}"${search.type === value ? html` selected` : ''}>${label}</option>`;
  return consoleLayout(
    { ...frame, title: 'People', section: '/admin/people' },
    html`<form class="filters" method="get" action="/admin/people" role="search" aria-label="Find people">
<div class="field"><label for="email">Email starts with</label><input id="email" name="email" type="text" value="${search.email ?? ''}" autocomplete="off"></div>
<div class="field"><label for="type">Type</label><select id="type" name="type">${option('', 'Anyone')}${option('adhoc', 'adhoc')}${option('guest', 'guest')}${option('member', 'member')}</select></div>
<button type="submit">Find people</button>
</form>
${table<PersonView>(
  'People in the directory, by address',
  [
    { wrap: true, label: 'Email', cell: (person) => html`<a href="/admin/people/${person.id}">${person.email}</a>` },
    { label: 'Type', cell: (person) => `${person.userType}${person.state ? ` (${person.state})` : ''}` },
    { label: 'Status', cell: (person) => (person.disabled ? 'disabled' : 'active') },
    { label: 'Last verified', cell: (person) => time(person.lastVerifiedAt) },
  ],
  found.items,
  'Nobody matches.',
)}
${pager('/admin/people', { email: search.email, type: search.type }, found.nextCursor)}
${invite}`,
  );
}

export function inviteForm(csrf: string): SafeHtml {
  return html`<h2 id="invite">Invite a guest</h2>
<form method="post" action="/admin/people/invite">${csrfField(csrf)}
<div class="field"><label for="invite-email">Email</label><input id="invite-email" name="email" type="email" required autocomplete="off"></div>
<div class="field"><label for="invite-name">Display name (optional)</label><input id="invite-name" name="displayName" type="text" autocomplete="off"></div>
<div class="check"><input id="invite-mail" name="sendInvitationMail" type="checkbox" value="yes" checked><label for="invite-mail">Send the invitation by mail</label></div>
<button type="submit">Invite</button>
</form>`;
}

export function invitedPage(frame: Omit<ConsoleFrame, 'title'>, person: PersonView, inviteRedeemUrl: string, mailed: boolean): string {
  return consoleLayout(
    { ...frame, title: 'Guest invited', section: '/admin/people' },
    html`<p><a href="/admin/people/${person.id}">${person.email}</a> is now a guest, ${person.state ?? 'PendingAcceptance'}.</p>
${mailed
  ? html`<p>The invitation is on its way by mail.</p>`
  : html`<p>Send them this invitation link yourself; it works for 30 days, and this page is the only place it is shown.</p><p><label for="redeem-url">Invitation link</label><input id="redeem-url" type="text" readonly value="${inviteRedeemUrl}"></p>`}
<p><a href="/admin/people">Back to people</a></p>`,
  );
}

export function personPage(frame: Omit<ConsoleFrame, 'title'>, person: PersonView, consoleRole: string | undefined, admin: boolean, csrf: string): string {
  const action = (path: string, label: string, extra: SafeHtml | string = '', kind = 'secondary') =>
    html`<form class="action" method="post" action="/admin/people/${person.id}/${path}">${csrfField(csrf)}${extra}<button type="submit" class="${kind}">${label}</button></form>`;
  return consoleLayout(
    { ...frame, title: person.email, section: '/admin/people' },
    html`<dl class="facts">
<dt>Id (sub)</dt><dd><code>${person.id}</code></dd>
<dt>Type</dt><dd>${person.userType}${person.state ? ` (${person.state})` : ''}</dd>
<dt>Status</dt><dd>${person.disabled ? 'disabled' : 'active'}</dd>
${person.displayName ? html`<dt>Display name</dt><dd>${person.displayName}</dd>` : ''}
<dt>Groups</dt><dd>${person.groups.length > 0 ? person.groups.join(', ') : '—'}</dd>
<dt>Console role</dt><dd>${consoleRole ?? '—'}</dd>
<dt>Created</dt><dd>${time(person.createdAt)}</dd>
<dt>Last verified</dt><dd>${time(person.lastVerifiedAt)}</dd>
</dl>
<p><a href="${withQuery('/admin/links', { recipient: person.email })}">Links shared with ${person.email}</a> · <a href="${withQuery('/admin/audit', { email: person.email })}">Audit events about them</a></p>
<h2>Work-account identities</h2>
${table<{ issuer: string; subject: string }>('Federated identities linked to this person', [{ wrap: true, label: 'Issuer', cell: (identity) => identity.issuer }, { wrap: true, label: 'Subject', cell: (identity) => identity.subject }], person.identities, 'None: this person signs in with an emailed code.')}
${admin
  ? html`<h2>Actions</h2>
<div class="actions">
${person.disabled ? action('enable', 'Enable') : action('disable', 'Disable', '', 'secondary')}
${action('revoke-sessions', 'End every session')}
</div>
<h2>Delete</h2>
${action('delete', 'Delete this person', html`<div class="check"><input id="confirm-delete" name="confirm" type="checkbox" value="yes" required><label for="confirm-delete">Their sessions end and they lose every link until invited again</label></div>`, 'danger')}`
  : html`<p class="hint">You are an auditor: you can see this person but not change them.</p>`}`,
  );
}
