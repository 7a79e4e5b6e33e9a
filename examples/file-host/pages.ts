/**
 * The file host's pages: plain HTML forms that work without JavaScript, with labels, headings
 * and tables a screen reader can follow. Every value is escaped by guestpass's `html` template
 * (`src/html.ts`, 33 lines: take it along when you copy this example); only other `SafeHtml`
 * values pass through unescaped.
 */
import { html, type SafeHtml } from '../../src/html.ts';
import type { Link } from './guestpass_client.ts';
import type { Flash } from './browser_state.ts';
import type { SharedFile } from './file_catalogue.ts';

// --- frame -----------------------------------------------------------------------------------------

export const siteName = 'Example File Host';

export function layout(title: string, content: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – ${siteName}</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a class="brand" href="/">${siteName}</a></header>
<main id="main">
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`.value;
}

export const stylesheet = `:root { color-scheme: light dark; --fg: #1b1b1f; --bg: #f4f5f7; --card: #fff; --muted: #4a4f57; --accent: #0b57d0; --accent-fg: #fff; --error: #b3261e; --error-bg: #fdecea; --info-bg: #e8f0fe; --border: #c4c7ce; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6ea; --bg: #121316; --card: #1d1f24; --muted: #b8bcc4; --accent: #8ab4f8; --accent-fg: #0b1b33; --error: #f2b8b5; --error-bg: #3b1614; --info-bg: #1b2a44; --border: #50545c; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
header { padding: .75rem clamp(1rem, 4vw, 1.5rem); border-bottom: 1px solid var(--border); background: var(--card); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
main { max-width: 52rem; margin: 2rem auto; padding: 0 clamp(1rem, 4vw, 1.5rem); }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.2rem; margin-top: 0; }
section, .card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 1.25rem clamp(1rem, 4vw, 1.5rem); margin: 1.25rem 0; }
section > :first-child, .card > :first-child { margin-top: 0; }
section > :last-child, .card > :last-child { margin-bottom: 0; }
label { display: block; font-weight: 600; margin-top: .75rem; }
.hint, .muted { color: var(--muted); font-size: .95rem; margin: .25rem 0; }
input[type=text], input[type=number], textarea { width: 100%; font: inherit; padding: .5rem .65rem; border: 1px solid var(--border); border-radius: 8px; background: var(--card); color: var(--fg); }
input[type=number] { max-width: 10rem; }
button, a.button { display: inline-block; max-width: 100%; margin-top: .75rem; font: inherit; padding: .5rem 1.1rem; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); cursor: pointer; text-decoration: none; }
button.secondary { background: transparent; color: var(--accent); margin-top: 0; }
button.danger { background: transparent; color: var(--error); border-color: var(--error); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.notice { padding: .75rem 1rem; border-radius: 8px; margin: 1rem 0; }
.notice-error { background: var(--error-bg); color: var(--error); border: 1px solid var(--error); }
.notice-info { background: var(--info-bg); }
table { width: 100%; border-collapse: collapse; margin: .75rem 0; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--border); vertical-align: top; }
caption { text-align: left; font-weight: 600; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
a { color: var(--accent); }
/* On a phone each recipient becomes a block of labelled lines; the header row stays for screen readers. */
@media (max-width: 40rem) {
  table.stack, table.stack caption, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  table.stack tr { border-bottom: 1px solid var(--border); padding: .5rem 0; }
  table.stack td { border: none; padding: .1rem 0; }
  table.stack td:first-child { font-weight: 600; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
`;

// --- owner pages ---------------------------------------------------------------------------------

const noOwnerSignIn = html`<p class="notice notice-info"><strong>No owner sign-in.</strong> This example lets anyone who can reach it share its files, to keep the code about guestpass. A real file host signs its owners in first, and shares only what each owner may share.</p>`;

export function ownerHomePage({ files, csrf, flash }: { files: SharedFile[]; csrf: string; flash: Flash | undefined }): string {
  return layout(
    'Your files',
    html`${noOwnerSignIn}${flashNotice(flash)}
<p>Share a file with people by email address. Each person proves they own their address with a one-time code from guestpass before they can download it; a forwarded link gives nobody else anything.</p>
${files.length === 0 ? html`<p>There are no files to share yet.</p>` : ''}
${files.map(
  (file) => html`<section aria-labelledby="file-${slug(file.name)}">
<h2 id="file-${slug(file.name)}">${file.name}</h2>
<p><a href="/files/${encodeURIComponent(file.name)}">Links and recipients of ${file.name}</a></p>
${shareForm(file, csrf)}
</section>`,
)}`,
  );
}

/** `links` is undefined when guestpass could not be asked (the flash says why). */
export function ownerFilePage({ file, links, csrf, flash, publicUrl, now }: { file: SharedFile; links: Link[] | undefined; csrf: string; flash: Flash | undefined; publicUrl: string; now: number }): string {
  return layout(
    file.name,
    html`${noOwnerSignIn}<p><a href="/">All files</a></p>${flashNotice(flash)}
<section aria-labelledby="share-title"><h2 id="share-title">Share ${file.name}</h2>${shareForm(file, csrf, flash?.kind === 'error' ? flash.form : undefined)}</section>
<h2>Links</h2>
${links?.length === 0 ? html`<p>${file.name} is not shared yet.</p>` : ''}
${(links ?? []).map((link) => linkSection(file, link, csrf, publicUrl, now))}`,
  );
}

function shareForm(file: SharedFile, csrf: string, typed?: { emails: string; days: string }): SafeHtml {
  const id = slug(file.name);
  return html`<form method="post" action="/files/${encodeURIComponent(file.name)}/links">
<input type="hidden" name="csrf" value="${csrf}">
<label for="emails-${id}">Share with</label>
<p class="hint" id="emails-${id}-hint">Email addresses, separated by commas, spaces or new lines.</p>
<textarea id="emails-${id}" name="emails" rows="2" required aria-describedby="emails-${id}-hint" autocomplete="off">${typed?.emails ?? ''}</textarea>
<label for="days-${id}">Expires after (days, optional)</label>
<input id="days-${id}" name="days" type="number" min="1" max="3650" inputmode="numeric" value="${typed?.days ?? ''}">
<div><button type="submit">Share ${file.name}</button></div>
</form>`;
}

function linkSection(file: SharedFile, link: Link, csrf: string, publicUrl: string, now: number): SafeHtml {
  const base = `/files/${encodeURIComponent(file.name)}/links/${encodeURIComponent(link.id)}`;
  const expired = link.expiresAt !== undefined && Date.parse(link.expiresAt) <= now;
  return html`<section id="link-${link.id}" aria-labelledby="link-${link.id}-title">
<h2 id="link-${link.id}-title">Link created ${time(link.createdAt)}</h2>
<label for="url-${link.id}">Link to send</label>
<input id="url-${link.id}" type="text" readonly value="${shareUrl(publicUrl, link.id)}">
<p>${link.expiresAt === undefined ? 'Never expires.' : html`${expired ? html`<strong>Expired</strong>` : 'Expires'} ${time(link.expiresAt)}.`}</p>
<table class="stack">
<caption>Recipients</caption>
<thead><tr><th scope="col">Email</th><th scope="col">Type</th><th scope="col">Added</th><th scope="col">Verified</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
${link.recipients.map(
  (recipient) => html`<tr><td>${recipient.email}</td><td data-label="Type">${recipient.userType}</td><td data-label="Added">${time(recipient.addedAt)}</td><td data-label="Verified">${recipient.verifiedAt ? time(recipient.verifiedAt) : 'not yet'}</td><td data-label="Last seen">${recipient.lastAccessAt ? time(recipient.lastAccessAt) : 'never'}</td>
<td><form method="post" action="${base}/recipients/${encodeURIComponent(recipient.email)}/remove"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="secondary" aria-label="Remove ${recipient.email} from this link">Remove</button></form></td></tr>`,
)}
</tbody>
</table>
<form method="post" action="${base}/recipients">
<input type="hidden" name="csrf" value="${csrf}">
<label for="add-${link.id}">Add people</label>
<input id="add-${link.id}" name="emails" type="text" autocomplete="off" aria-describedby="add-${link.id}-hint">
<p class="hint" id="add-${link.id}-hint">Email addresses, separated by commas or spaces. People already on the link are left as they are.</p>
<button type="submit">Add to this link</button>
</form>
<form method="post" action="${base}/delete">
<input type="hidden" name="csrf" value="${csrf}">
<button type="submit" class="danger">Delete this link</button>
<p class="hint">Nobody can open it afterwards, and codes already sent for it stop working.</p>
</form>
</section>`;
}

function flashNotice(flash: Flash | undefined): SafeHtml | '' {
  if (!flash) return '';
  if (flash.kind === 'error') return html`<div class="notice notice-error" role="alert"><p>${flash.text}</p></div>`;
  return html`<div class="notice notice-info" role="status"><p>${flash.text}</p>${
    flash.linkUrl ? html`<label for="new-link">Send them this link</label><input id="new-link" type="text" readonly value="${flash.linkUrl}">` : ''
  }</div>`;
}

// --- recipient pages ---------------------------------------------------------------------------------

export function downloadPage({ file, sharingId, email, userType }: { file: SharedFile; sharingId: string; email: string; userType: string }): string {
  return layout(
    `${file.name} shared with you`,
    html`<div class="card">
<p>Signed in as <strong>${email}</strong> (${userType}).</p>
<a class="button" href="/s/${encodeURIComponent(sharingId)}/download" download="${file.name}">Download ${file.name}</a>
<p class="hint">guestpass checked your address with a one-time code. The person who shared the file can see when you opened it.</p>
</div>`,
  );
}

/** A page that explains what happened and what to do: every refusal and error ends on one. */
export interface Message {
  title: string;
  text: string;
  /** What the person can do next. */
  next?: { href: string; label: string } | undefined;
}

export function messagePage({ title, text, next }: Message): string {
  return layout(title, html`<div class="card"><p>${text}</p>${next ? html`<p><a href="${next.href}">${next.label}</a></p>` : ''}</div>`);
}

// --- helpers ---------------------------------------------------------------------------------------

export function shareUrl(publicUrl: string, sharingId: string): string {
  return `${publicUrl}/s/${sharingId}`;
}

function time(iso: string): SafeHtml {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html`${iso}`;
  return html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}
