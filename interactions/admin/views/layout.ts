/**
 * The frame of every console page: a header with the console's sections and who is signed in,
 * the page in `main`, plain HTML that works without JavaScript. English only (the console is
 * for the organisation's admins; the recipient pages carry the languages). Styles are the
 * console's own (`/admin/assets/admin.css`), so it does not move when the recipient pages do.
 */
import { html, type SafeHtml } from '../../../src/html.ts';
import type { ConsoleUser } from '../context.ts';

export const sections = [
  { path: '/admin', label: 'Overview' },
  { path: '/admin/links', label: 'Links' },
  { path: '/admin/people', label: 'People' },
  { path: '/admin/reports/external-sharing', label: 'Sharing report' },
  { path: '/admin/audit', label: 'Audit' },
  { path: '/admin/clients', label: 'Clients' },
  { path: '/admin/settings', label: 'Settings' },
] as const;

export type SectionPath = (typeof sections)[number]['path'];

export interface ConsoleFrame {
  title: string;
  organizationName: string;
  /** Absent on the pages before sign-in. */
  user?: ConsoleUser | undefined;
  section?: SectionPath | undefined;
  notice?: Notice | undefined;
}

export interface Notice {
  kind: 'info' | 'error';
  text: string | SafeHtml;
}

export function consoleLayout(frame: ConsoleFrame, content: SafeHtml): string {
  const { title, organizationName, user } = frame;
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} – ${organizationName} admin console</title>
<link rel="stylesheet" href="/admin/assets/admin.css">
<script src="/admin/assets/admin.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the page</a>
<header class="bar">
<p class="brand">${organizationName} · admin console</p>
${user
  ? html`<nav aria-label="Console sections"><ul>${sections.map((section) =>
      html`<li><a href="${section.path}"${section.path === frame.section ? html` aria-current="page"` : ''}>${section.label}</a></li>`,
    )}</ul></nav>
<form class="who" method="post" action="/admin/sign-out"><input type="hidden" name="csrf" value="${user.csrf}"><span>${user.email} (${user.role})</span> <button type="submit" class="secondary">Sign out</button></form>`
  : ''}
</header>
<main id="main">
<h1>${title}</h1>
${frame.notice ? noticeBox(frame.notice) : ''}
${content}
</main>
</body>
</html>
`.value;
}

export function noticeBox(notice: Notice): SafeHtml {
  return notice.kind === 'error' ? html`<div class="notice notice-error" role="alert">${notice.text}</div>` : html`<div class="notice notice-info" role="status">${notice.text}</div>`;
}
