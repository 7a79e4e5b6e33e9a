/** The frame of every page: plain, accessible HTML that works without JavaScript. */
import { html, type SafeHtml } from '../../src/html.ts';
import { locales, type Locale, type Messages } from '../../src/i18n/index.ts';

export interface PageFrame {
  locale: Locale;
  t: Messages;
  title: string;
  organizationName: string;
  /** Links to the same page in other languages (`?lang=xx`), when the page can switch. */
  languageSwitch?: boolean;
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
<script src="/assets/guestpass.js" defer></script>
</head>
<body>
<main id="main" class="card">
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
