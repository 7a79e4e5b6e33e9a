/**
 * The frame of every page: plain, accessible HTML that works without JavaScript. Above the card,
 * the organisation's name (and logo); in the card, above the title, room for the relying party
 * that asked (`clientSlot`).
 */
import type { PageBranding } from '../../src/branding.ts';
import { html, type SafeHtml } from '../../src/html.ts';
import { locales, type Locale, type Messages } from '../../src/i18n/index.ts';

export interface PageFrame extends PageBranding {
  locale: Locale;
  t: Messages;
  title: string;
  /** Links to the same page in other languages (`?lang=xx`), when the page can switch. */
  languageSwitch?: boolean;
  /** Who is asking — the relying party's name and logo (client metadata) — shown at the top of the card. */
  clientSlot?: SafeHtml | undefined;
}

export function layout(frame: PageFrame, content: SafeHtml): string {
  const { locale, t, title, organizationName } = frame;
  const switcher = frame.languageSwitch
    ? html`<nav aria-label="${t.layout.language}"><ul class="languages">${(Object.keys(locales) as Locale[]).map((code) =>
        code === locale
          ? html`<li><span aria-current="true" lang="${code}">${locales[code].languageName}</span></li>`
          : html`<li><a href="?lang=${code}" hreflang="${code}" lang="${code}">${locales[code].languageName}</a></li>`,
      )}</ul></nav>`
    : '';
  return html`<!DOCTYPE html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} – ${organizationName}</title>
<link rel="stylesheet" href="/assets/guestpass.css">
${frame.stylesheetPath ? html`<link rel="stylesheet" href="${frame.stylesheetPath}">` : ''}
<script src="/assets/guestpass.js" defer></script>
</head>
<body>
<header class="organization">
${frame.logoUri ? html`<img src="${frame.logoUri}" alt="" class="logo">` : ''}<span class="organization-name">${organizationName}</span>
</header>
<main id="main" class="card">
${frame.clientSlot ?? ''}
<h1>${title}</h1>
${content}
</main>
<footer>
<p>${t.layout.poweredBy(organizationName)}</p>
${switcher}
</footer>
</body>
</html>
`.value;
}
