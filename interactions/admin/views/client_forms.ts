/**
 * The clients page's forms, for admins: register a client, issue an initial access token, and
 * for one runtime client rotate its secret or delete it; the pages that show a new secret or
 * token, once (answered to the form's POST, never put in a URL).
 */
import type { ClientView } from '../../../src/clients.ts';
import { html, type SafeHtml } from '../../../src/html.ts';
import { csrfField, time } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

const check = (id: string, name: string, value: string, label: string, checked = false) =>
  html`<div class="check"><input id="${id}" name="${name}" type="checkbox" value="${value}"${checked ? html` checked` : ''}><label for="${id}">${label}</label></div>`;

function scopeChecks(prefix: string, scopes: readonly string[]): SafeHtml {
  return html`<fieldset><legend>Management scopes (SPEC §6), none unless needed</legend>${scopes.map((scope) => check(`${prefix}-${scope.replace(':', '-')}`, 'scopes', scope, scope))}</fieldset>`;
}

export function clientAdminForms(csrf: string, scopes: readonly string[]): SafeHtml {
  return html`<h2 id="register">Register a client</h2>
<form method="post" action="/admin/clients/register">${csrfField(csrf)}
<div class="field"><label for="client-name">Client name</label><input id="client-name" name="client_name" type="text" required maxlength="256" autocomplete="off"></div>
<div class="field"><label for="redirect-uris">Redirect URIs, one per line</label><textarea id="redirect-uris" name="redirect_uris" rows="3" required></textarea></div>
<fieldset><legend>Grant types</legend><p class="hint">authorization_code, always</p>${check('register-refresh', 'refresh_token', 'yes', 'refresh_token too (sign-ins that last, with offline_access)', true)}</fieldset>
${scopeChecks('register-scope', scopes)}
${check('register-open', 'open_sign_in', 'yes', 'Open sign-in: codes to any address, without a link')}
<p class="hint">The secret is shown once, on the next page.</p>
<button type="submit">Register</button>
</form>
<h2 id="initial-access-token">Issue an initial access token</h2>
<p class="hint">For a relying party that registers itself (RFC 7591); what it may ask for is the token's policy.</p>
<form method="post" action="/admin/clients/initial-access-tokens">${csrfField(csrf)}
<div class="field"><label for="iat-expiry">Valid for (hours, 1 to 720)</label><input id="iat-expiry" name="expiresInHours" type="number" min="1" max="720" step="1" value="24" required></div>
${check('iat-single', 'singleUse', 'yes', 'Single use: one registration, then the token is spent')}
<fieldset><legend>Grant types the client may list</legend>${check('iat-grant-code', 'grantTypes', 'authorization_code', 'authorization_code', true)}${check('iat-grant-refresh', 'grantTypes', 'refresh_token', 'refresh_token', true)}${check('iat-grant-cc', 'grantTypes', 'client_credentials', 'client_credentials')}</fieldset>
${scopeChecks('iat-scope', scopes)}
${check('iat-open', 'openSignIn', 'yes', 'May ask for open sign-in')}
<p class="hint">The token is shown once, on the next page.</p>
<button type="submit">Issue</button>
</form>`;
}

export function clientPage(frame: Omit<ConsoleFrame, 'title'>, client: ClientView, admin: boolean, csrf: string, defaultGraceHours: number, maxGraceHours: number): string {
  const name = typeof client.client_name === 'string' ? client.client_name : client.client_id;
  const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? value.join(' ') : '—');
  return consoleLayout(
    { ...frame, title: name, section: '/admin/clients' },
    html`<dl class="facts">
<dt>Client id</dt><dd><code>${client.client_id}</code></dd>
<dt>Source</dt><dd>${client.readOnly ? 'configuration file' : 'runtime'}</dd>
<dt>Registered</dt><dd>${client.registeredAt ? time(client.registeredAt) : '—'}</dd>
<dt>Redirect URIs</dt><dd>${list(client.redirect_uris)}</dd>
<dt>Grant types</dt><dd>${list(client.grant_types)}</dd>
<dt>Scope</dt><dd>${typeof client.scope === 'string' ? client.scope : '—'}</dd>
</dl>
${client.readOnly
  ? html`<p class="hint">This client comes from the configuration file: change it there.</p>`
  : admin
    ? html`<h2>Rotate the secret</h2>
<form class="action" method="post" action="/admin/clients/${client.client_id}/rotate-secret">${csrfField(csrf)}
<div class="field"><label for="grace-hours">Grace period: the old secret keeps working for (hours, 0 to ${maxGraceHours})</label><input id="grace-hours" name="graceHours" type="number" min="0" max="${maxGraceHours}" step="1" value="${defaultGraceHours}" required></div>
<button type="submit" class="secondary">Rotate the secret</button></form>
<h2>Delete</h2>
<form class="action" method="post" action="/admin/clients/${client.client_id}/delete">${csrfField(csrf)}
<div class="check"><input id="confirm-delete" name="confirm" type="checkbox" value="yes" required><label for="confirm-delete">Its secret stops working and it can no longer sign anyone in</label></div>
<button type="submit" class="danger">Delete this client</button></form>`
    : html`<p class="hint">You are an auditor: you can see this client but not change it.</p>`}
<p><a href="/admin/clients">Back to clients</a></p>`,
  );
}

/** The one page a new secret or token is shown on. */
export function shownOncePage(frame: Omit<ConsoleFrame, 'title'>, title: string, intro: SafeHtml | string, facts: [string, string][], secret: { label: string; value: string }): string {
  return consoleLayout(
    { ...frame, title, section: '/admin/clients' },
    html`<p>${intro}</p>
<dl class="facts">${facts.map(([label, value]) => html`<dt>${label}</dt><dd><code>${value}</code></dd>`)}</dl>
<p><label for="shown-once">${secret.label}</label><input id="shown-once" type="text" readonly value="${secret.value}"></p>
<p class="hint">This page is the only place it is shown: copy it now. guestpass keeps no readable copy.</p>
<p><a href="/admin/clients">Back to clients</a></p>`,
  );
}
