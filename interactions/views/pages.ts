/**
 * The pages a person sees during sign-in. Each takes a typed model and the catalogue of the
 * person's language; none reads a request.
 */
import { html, raw, type SafeHtml } from '../../src/html.ts';
import type { Messages } from '../../src/i18n/index.ts';
import type { SignInPurpose } from '../../src/sign_in_purpose.ts';
import type { DeliveryState, Notice } from '../sign_in/state.ts';
import { layout, type PageFrame } from './layout.ts';

type Frame = Omit<PageFrame, 'title'>;

function noticeText(t: Messages, notice: Notice, now: number, codeLength: number, purpose: SignInPurpose): { text: string; tone: 'error' | 'info' } {
  const minutesUntil = (until: number) => Math.max(1, Math.ceil((until - now) / 60_000));
  const secondsUntil = (until: number) => Math.max(1, Math.ceil((until - now) / 1000));
  switch (notice.kind) {
    case 'invalid_email':
      return { text: t.notice.invalidEmail, tone: 'error' };
    case 'invalid_code_format':
      return { text: t.notice.invalidCodeFormat(codeLength), tone: 'error' };
    case 'wrong_code':
      return { text: notice.triesLeft > 0 ? t.notice.wrongCode(notice.triesLeft) : t.notice.wrongCodeNoTriesLeft, tone: 'error' };
    case 'code_expired':
      return { text: t.notice.codeExpired, tone: 'error' };
    case 'too_many_attempts':
      return { text: t.notice.tooManyAttempts, tone: 'error' };
    case 'code_used':
      return { text: t.notice.codeUsed, tone: 'error' };
    case 'access_removed':
      return { text: t.notice.accessRemoved[purpose], tone: 'error' };
    case 'locked_out':
      return { text: t.notice.lockedOut(minutesUntil(notice.until)), tone: 'error' };
    case 'too_many_codes':
      return { text: t.notice.tooManyCodes(minutesUntil(notice.until)), tone: 'error' };
    case 'resend_wait':
      return { text: t.notice.resendWait(secondsUntil(notice.until)), tone: 'info' };
    case 'code_resent':
      return { text: t.notice.codeResent, tone: 'info' };
    case 'step_unavailable':
      return { text: t.notice.stepUnavailable, tone: 'info' };
    case 'federation_failed':
      return { text: t.notice.federationFailed(t.federation.reasons[notice.reason]), tone: 'error' };
  }
}

function noticeBlock(t: Messages, notice: Notice | undefined, now: number, codeLength: number, purpose: SignInPurpose): SafeHtml {
  if (!notice) return html``;
  const { text, tone } = noticeText(t, notice, now, codeLength, purpose);
  return tone === 'error'
    ? html`<div class="notice notice-error" role="alert" id="notice">${text}</div>`
    : html`<div class="notice notice-info" role="status" id="notice">${text}</div>`;
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

/** What the email page says the sign-in is for, and who asked. */
export type EmailPageAbout =
  | { purpose: 'link' | 'signIn'; clientName: string }
  | {
      purpose: 'invitation';
      /** The name of the client that sent the invitation, when the browser proved it holds it. */
      inviterName?: string | undefined;
      organizationName: string;
      /** Where the guest goes after accepting (the invitation's `redirectUrl`), as a host name. */
      continueToSite?: string | undefined;
    };

export interface EmailPageModel {
  uid: string;
  csrf: string;
  about: EmailPageAbout;
  emailDraft?: string | undefined;
  /** An invited guest whose domain has a work provider may use it instead of a code. */
  workAccount?: { providerName: string } | undefined;
  notice?: Notice | undefined;
  now: number;
  codeLength: number;
}

export function emailPage(frame: Frame, model: EmailPageModel): string {
  const { t } = frame;
  const { about } = model;
  const invalid = model.notice?.kind === 'invalid_email';
  const intro =
    about.purpose === 'invitation'
      ? html`<p>${about.inviterName ? t.email.invitedBy(about.inviterName, about.organizationName) : t.email.invited(about.organizationName)}${about.continueToSite ? html` ${t.email.thenContinue(about.continueToSite)}` : ''}</p>`
      : html`<p>${t.email.intro[about.purpose](about.clientName)}</p>`;
  return layout(
    { ...frame, title: t.email.title[about.purpose] },
    html`${intro}
${noticeBlock(t, model.notice, model.now, model.codeLength, about.purpose)}
<form method="post" action="/interaction/${model.uid}/email">
${csrfField(model.csrf)}
<label for="email">${t.email.label}</label>
<p class="hint" id="email-hint">${t.email.hint[about.purpose]}</p>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" autocapitalize="none" spellcheck="false" required autofocus
 value="${model.emailDraft ?? ''}" aria-describedby="email-hint${invalid ? ' notice' : ''}"${invalid ? html` aria-invalid="true"` : ''}>
<button type="submit">${t.email.submit}</button>
</form>
${model.workAccount
    ? html`<form method="post" action="/interaction/${model.uid}/work-account" class="inline">
${csrfField(model.csrf)}
<button type="submit" class="secondary">${t.federation.useWorkAccount(model.workAccount.providerName)}</button>
</form>`
    : ''}`,
  );
}

export function accessRemovedPage(frame: Frame, model: { uid: string; csrf: string; maskedEmail: string; organizationName: string; supportContact?: string | undefined; purpose: SignInPurpose }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.removed.title },
    html`<p role="alert">${t.removed.body(model.maskedEmail, model.organizationName)}</p>
<p>${model.supportContact ? t.removed.ask(model.supportContact) : t.removed.askOwner[model.purpose]}</p>
<form method="post" action="/interaction/${model.uid}/change-email">
${csrfField(model.csrf)}
<button type="submit" class="secondary">${t.removed.other}</button>
</form>`,
  );
}

/** The person is signed in (or just proved an address) and this link is not theirs; nothing says whose it is. */
export function noAccessPage(frame: Frame, model: { uid: string; csrf: string; maskedEmail: string; action: 'restart' | 'change-email'; purpose: SignInPurpose }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.noAccess.title[model.purpose] },
    html`<p role="alert">${t.noAccess.body[model.purpose](model.maskedEmail)}</p>
<p>${t.noAccess.hint[model.purpose]}</p>
<form method="post" action="/interaction/${model.uid}/${model.action}">
${csrfField(model.csrf)}
<button type="submit" autofocus>${t.noAccess.other}</button>
</form>`,
  );
}

export function chooseAccountPage(frame: Frame, model: { uid: string; csrf: string; maskedEmail: string; clientName: string }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.chooseAccount.title },
    html`<p>${t.chooseAccount.intro(model.clientName)}</p>
<form method="post" action="/interaction/${model.uid}/continue-as">
${csrfField(model.csrf)}
<button type="submit" autofocus>${t.chooseAccount.continueAs(model.maskedEmail)}</button>
</form>
<form method="post" action="/interaction/${model.uid}/change-email" class="inline">
${csrfField(model.csrf)}
<button type="submit" class="secondary">${t.chooseAccount.other}</button>
</form>`,
  );
}

export function upgradeOfferPage(frame: Frame, model: { uid: string; csrf: string; maskedEmail: string; providerName: string }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.federation.offerTitle },
    html`<p>${t.federation.offerIntro(model.providerName, model.maskedEmail)}</p>
<form method="post" action="/interaction/${model.uid}/upgrade">
${csrfField(model.csrf)}
<div class="buttons">
<button type="submit" name="choice" value="accept" autofocus>${t.federation.offerAccept(model.providerName)}</button>
<button type="submit" name="choice" value="decline" class="secondary">${t.federation.offerDecline}</button>
</div>
</form>`,
  );
}

export function upgradeFailedPage(frame: Frame, model: { uid: string; csrf: string; reason: keyof Messages['federation']['reasons'] }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.federation.failedTitle },
    html`<p role="alert">${t.federation.reasons[model.reason]}</p>
<p>${t.federation.failedIntro}</p>
<form method="post" action="/interaction/${model.uid}/continue">
${csrfField(model.csrf)}
<button type="submit" autofocus>${t.federation.continue}</button>
</form>`,
  );
}

/** Where an invitation without a `redirectUrl` ends: what being a guest means from now on. */
export function invitationAcceptedPage(frame: Frame, model: { organizationName: string; maskedEmail: string }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.invitation.acceptedTitle },
    html`<p role="status">${t.invitation.accepted(model.organizationName)}</p>
<section aria-labelledby="next-title">
<h2 id="next-title">${t.invitation.nextTitle}</h2>
${t.invitation.next(model.organizationName, model.maskedEmail).map((line) => html`<p>${line}</p>`)}
</section>`,
  );
}

export interface CodePageModel {
  uid: string;
  csrf: string;
  purpose: SignInPurpose;
  maskedEmail: string;
  codeLength: number;
  ttlMinutes: number;
  reverificationDays: number;
  delivery: DeliveryState;
  /** Epoch ms when a new code may be asked for. */
  resendAvailableAt: number;
  notice?: Notice | undefined;
  now: number;
}

export function deliveryText(t: Messages, delivery: DeliveryState): string {
  return t.code.delivery[delivery];
}

export function codePage(frame: Frame, model: CodePageModel): string {
  const { t } = frame;
  const codeError = model.notice !== undefined && ['invalid_code_format', 'wrong_code', 'code_expired', 'too_many_attempts', 'code_used', 'access_removed', 'locked_out'].includes(model.notice.kind);
  const secondsToResend = Math.ceil((model.resendAvailableAt - model.now) / 1000);
  return layout(
    { ...frame, title: t.code.title },
    html`<p>${t.code.sentTo(model.maskedEmail, model.codeLength)} ${t.code.expiresIn(model.ttlMinutes)}</p>
<p class="delivery" data-status-url="/interaction/${model.uid}/status" data-delivery="${model.delivery}"><strong>${t.code.delivery.label}:</strong>
 <span id="delivery-state" role="status" aria-live="polite">${deliveryText(t, model.delivery)}</span></p>
${noticeBlock(t, model.notice, model.now, model.codeLength, model.purpose)}
<form method="post" action="/interaction/${model.uid}/code">
${csrfField(model.csrf)}
<label for="code">${t.code.label}</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 \\-]*" maxlength="${model.codeLength + 4}"
 required autofocus spellcheck="false"${codeError ? html` aria-invalid="true" aria-describedby="notice"` : ''}>
<div class="check">
<input type="checkbox" id="keep_signed_in" name="keep_signed_in" value="1" aria-describedby="keep-hint">
<label for="keep_signed_in">${t.code.keepSignedIn}</label>
</div>
<p class="hint" id="keep-hint">${t.code.keepSignedInHint(model.reverificationDays)}</p>
<button type="submit">${t.code.submit}</button>
</form>
<section aria-labelledby="help-title" class="help">
<h2 id="help-title">${t.code.helpTitle}</h2>
<ul>${[t.code.helpWait, t.code.helpCheck[model.purpose], t.code.helpNewest, t.code.helpAsk[model.purpose]].map((line) => html`<li>${line}</li>`)}</ul>
<form method="post" action="/interaction/${model.uid}/resend" class="inline">
${csrfField(model.csrf)}
<p id="resend-timer" data-seconds-left="${Math.max(0, secondsToResend)}" data-text-wait="${t.code.resendIn(999).replace('999', '{s}')}" data-text-now="${t.code.resendNow}" aria-live="polite">${secondsToResend > 0 ? t.code.resendIn(secondsToResend) : t.code.resendNow}</p>
<button type="submit" class="secondary" id="resend">${t.code.resend}</button>
</form>
<form method="post" action="/interaction/${model.uid}/change-email" class="inline">
${csrfField(model.csrf)}
<button type="submit" class="link">${t.code.changeEmail}</button>
</form>
</section>`,
  );
}

export interface ErrorPageModel {
  message: string;
  /** For the app developer: the OAuth error and its description. */
  details?: { error: string; description?: string | undefined } | undefined;
}

export function errorPage(frame: Frame, model: ErrorPageModel): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.error.title },
    html`<p role="alert">${model.message}</p>
${model.details ? html`<details><summary>${t.error.details}</summary><p><code>${model.details.error}</code>${model.details.description ? html`: ${model.details.description}` : ''}</p></details>` : ''}`,
  );
}

export function logoutPage(frame: Frame, model: { form: string; organizationName: string }): string {
  const { t } = frame;
  return layout(
    { ...frame, title: t.logout.title },
    html`<p>${t.logout.question(model.organizationName)}</p>
${raw(model.form)}
<div class="buttons">
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">${t.logout.confirm}</button>
<button type="submit" form="op.logoutForm" class="secondary">${t.logout.cancel}</button>
</div>`,
  );
}

export function loggedOutPage(frame: Frame): string {
  const { t } = frame;
  return layout({ ...frame, title: t.logout.doneTitle }, html`<p>${t.logout.done}</p>`);
}
