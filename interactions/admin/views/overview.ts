/** The overview page: the last day's figures, the outbox, the latest failures. */
import type { AuditEvent } from '../../../adapters/store.ts';
import type { ConsoleOverview, CountedOperation } from '../../../src/admin/overview.ts';
import { html } from '../../../src/html.ts';
import { durationText, table, time, withQuery } from './common.ts';
import { consoleLayout, type ConsoleFrame } from './layout.ts';

const figureLabels: Record<CountedOperation, string> = {
  SignedIn: 'Sign-ins',
  VerificationCodeSent: 'Codes sent',
  VerificationCodeRejected: 'Codes rejected',
  RecipientNotOnLink: 'Codes withheld (not a recipient)',
  MailDeliveryFailed: 'Mails given up',
};

export function overviewPage(frame: Omit<ConsoleFrame, 'title'>, overview: ConsoleOverview): string {
  const atLeast = overview.countsAreLowerBounds ? 'at least ' : '';
  const { outbox } = overview;
  return consoleLayout(
    { ...frame, title: 'Overview', section: '/admin' },
    html`<section aria-labelledby="last-day">
<h2 id="last-day">Last 24 hours</h2>
<ul class="figures">${(Object.keys(figureLabels) as CountedOperation[]).map(
      (operation) => html`<li><a href="${withQuery('/admin/audit', { operation, since: new Date(overview.since).toISOString().slice(0, 16) })}"><span class="figure">${atLeast}${overview.counts[operation]}</span> <span class="figure-label">${figureLabels[operation]}</span></a></li>`,
    )}</ul>
</section>
<section aria-labelledby="outbox">
<h2 id="outbox">Mail outbox</h2>
<p>${outbox.waiting === 0 ? 'No mail is waiting to be sent.' : html`<strong>${outbox.complete ? '' : 'At least '}${outbox.waiting}</strong> ${outbox.waiting === 1 ? 'mail is' : 'mails are'} waiting to be sent; the oldest has waited <strong>${durationText(outbox.oldestAgeSeconds ?? 0)}</strong>.`}</p>
</section>
<section aria-labelledby="failures">
<h2 id="failures">Recent failures</h2>
${table<AuditEvent>(
  'The latest failed operations of the last 24 hours, newest first',
  [
    { label: 'Time', cell: (event) => time(event.time) },
    { label: 'Operation', cell: (event) => event.operation },
    { wrap: true, label: 'About', cell: (event) => String(event.detail.email ?? event.detail.mail ?? event.sharingId ?? '—') },
    { wrap: true, label: 'Reason', cell: (event) => String(event.detail.reason ?? event.detail.error ?? '—') },
  ],
  overview.recentFailures,
  'No failures in the last 24 hours.',
)}
</section>`,
  );
}
