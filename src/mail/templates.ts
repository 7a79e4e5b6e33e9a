/**
 * Mail templates, one function per message, each rendering text and HTML in the person's
 * language from a typed model. Codes appear only in bodies, never in subjects or links:
 * an emailed code is never something a GET (or a mail scanner) can consume.
 */
import { messagesFor, type Locale } from '../i18n/index.ts';
import { escapeHtml } from '../html.ts';
import type { MailMessage } from './message.ts';

export interface VerificationCodeMail {
  to: string;
  code: string;
  expiresInMinutes: number;
  organizationName: string;
  /** Who asked for the verification (the relying party's name). */
  clientName: string;
  locale: Locale;
}

export function verificationCodeMail(model: VerificationCodeMail): MailMessage {
  const t = messagesFor(model.locale).mail;
  const subject = t.verificationSubject(model.organizationName);
  const why = t.verificationWhy(model.clientName, model.to);
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
  const html = htmlMail(model.locale, subject, [
    `<p>${escapeHtml(t.verificationGreeting)}</p>`,
    `<p>${escapeHtml(t.verificationIntro)}</p>`,
    `<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${escapeHtml(model.code)}</p>`,
    `<p>${escapeHtml(t.verificationUse(model.expiresInMinutes))}</p>`,
    `<p>${escapeHtml(why)}</p>`,
    `<p style="color:#555">${escapeHtml(t.verificationIgnore)}</p>`,
    `<p style="color:#777;font-size:12px">${escapeHtml(t.footer(model.organizationName))}</p>`,
  ]);
  return { to: model.to, subject, text, html, locale: model.locale };
}

function htmlMail(locale: Locale, title: string, paragraphs: string[]): string {
  return `<!DOCTYPE html>
<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1a1a1a;max-width:560px;margin:24px auto;padding:0 16px">
${paragraphs.join('\n')}
</body></html>
`;
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
  const html = htmlMail(model.locale, subject, [
    `<p>${escapeHtml(t.invitationIntro(model.organizationName, model.to))}</p>`,
    `<p>${escapeHtml(t.invitationAction)}</p>`,
    `<p><a href="${escapeHtml(model.url)}">${escapeHtml(model.url)}</a></p>`,
    `<p>${escapeHtml(t.invitationProof)}</p>`,
    `<p style="color:#777;font-size:12px">${escapeHtml(t.footer(model.organizationName))}</p>`,
  ]);
  return { to: model.to, subject, text, html, locale: model.locale };
}
