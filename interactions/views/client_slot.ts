/**
 * Who is asking, at the top of the card (`PageFrame.clientSlot`): the relying party's logo, its
 * name and links to its privacy policy and terms. Everything here comes from whoever registered
 * the client: the name is escaped text, the URLs were judged by src/client_presentation.ts, the
 * logo loads without a referrer and links open without one (and without `window.opener`). The
 * organisation's own name and logo stay in the header above the card, so the two never blend.
 */
import type { ClientPresentation } from '../../src/client_presentation.ts';
import { html, type SafeHtml } from '../../src/html.ts';
import type { Messages } from '../../src/i18n/index.ts';

export function clientSlot(t: Messages, client: ClientPresentation): SafeHtml {
  const links = [
    ...(client.policyUri ? [{ href: client.policyUri, text: t.client.privacyPolicy }] : []),
    ...(client.tosUri ? [{ href: client.tosUri, text: t.client.termsOfService }] : []),
  ];
  return html`<div class="client">
${client.logoUri ? html`<img src="${client.logoUri}" alt="" class="client-logo" width="48" height="48" referrerpolicy="no-referrer" decoding="async">` : ''}
<div class="client-about">
<p class="client-name">${client.name ? html`${t.client.requestedBy} <bdi>${client.name}</bdi>` : t.client.unnamed}</p>
${links.length > 0
    ? html`<ul class="client-links" aria-label="${t.client.linksLabel}">${links.map(
        (link) => html`<li><a href="${link.href}" target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer">${link.text}</a></li>`,
      )}</ul>`
    : ''}
</div>
</div>`;
}
