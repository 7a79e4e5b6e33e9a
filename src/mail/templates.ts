/**
 * Mail templates, one function per message, each rendering text and HTML in the person's
 * language from a typed model. Codes appear only in bodies, never in subjects or links:
 * an emailed code is never something a GET (or a mail scanner) can consume.
 */
import { messagesFor, type Locale } from '../i18n/index.ts';
import { html, type SafeHtml } from '../html.ts';
import type { SignInPurpose } from '../sign_in_purpose.ts';
import type { MailMessage } from './message.ts';

export interface VerificationCodeMail {
  to: string;
  code: string;
  expiresInMinutes: number;
  organizationName: string;
  /** Who asked for the verification (the relying party's name). */
  clientName: string;
  /** What the sign-in is for: the mail says why the code was sent accordingly. */
  purpose: SignInPurpose;
  locale: Locale;
}

export function verificationCodeMail(model: VerificationCodeMail): MailMessage {
  const t = messagesFor(model.locale).mail;
  const subject = t.verificationSubject(model.organizationName);
  // An invitation's sign-in goes through guestpass's own client: the mail names the organisation instead.
  const why = t.verificationWhy[model.purpose](model.purpose === 'invitation' ? model.organizationName : model.clientName, model.to);
  const text = [
    t.verificationGreeting,
    '',
    t.verificationIntro,
    '',
    `    ${model.code}`,
    '',
    t.verificationUse(model.expiresInMinutes),
    why,
    '',
    t.verificationIgnore,
    '',
    '-- ',
    t.footer(model.organizationName),
    '',
  ].join('\n');
  const body = html`<p>${t.verificationGreeting}</p>
<p>${t.verificationIntro}</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${model.code}</p>
<p>${t.verificationUse(model.expiresInMinutes)}</p>
<p>${why}</p>
<p style="color:#555">${t.verificationIgnore}</p>
<p style="color:#777;font-size:12px">${t.footer(model.organizationName)}</p>`;
  return { to: model.to, subject, text, html: htmlMail(model.locale, subject, body), locale: model.locale };
}

/** Every value is escaped by `html`, as on the pages: a name or an address in a mail cannot carry markup. */
function htmlMail(locale: Locale, title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1a1a1a;max-width:560px;margin:24px auto;padding:0 16px">
${body}
</body></html>
`.value;
}

export interface InvitationMail {
  to: string;
  url: string;
  organizationName: string;
  locale: Locale;
}

export function invitationMail(model: InvitationMail): MailMessage {
  const t = messagesFor(model.locale).mail;
  const subject = t.invitationSubject(model.organizationName);
  const text = [t.invitationIntro(model.organizationName, model.to), '', t.invitationAction, '', `    ${model.url}`, '', t.invitationProof, '', '-- ', t.footer(model.organizationName), ''].join('\n');
  const body = html`<p>${t.invitationIntro(model.organizationName, model.to)}</p>
<p>${t.invitationAction}</p>
<p><a href="${model.url}">${model.url}</a></p>
<p>${t.invitationProof}</p>
<p style="color:#777;font-size:12px">${t.footer(model.organizationName)}</p>`;
  return { to: model.to, subject, text, html: htmlMail(model.locale, subject, body), locale: model.locale };
}
