/**
 * Where mail goes: a pooled SMTP connection (SMTP_URL), or, without one, the development outbox
 * that writes each mail as an .eml file under `<dataDir>/outbox/` and logs one line for it.
 * Either way `send` tells a permanent refusal (5xx: retrying will not help) from a passing fault.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import nodemailer from 'nodemailer';

import { maskEmail } from '../emails.ts';
import type { Logger } from '../log.ts';
import type { MailMessage } from './message.ts';

export interface MailTransport {
  /** Human description for logs, without credentials. */
  readonly description: string;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * Whom a failure concerns: the one recipient (the relay refused that address) or every mail (the
 * relay cannot be reached, refuses our credentials or our sender). Only the second may be shown
 * on a code page: it is the same for every address, so it says nothing about who was sent a code.
 */
export type MailFailureScope = 'recipient' | 'transport';

export class MailSendError extends Error {
  readonly permanent: boolean;
  readonly scope: MailFailureScope;
  constructor(message: string, permanent: boolean, cause?: unknown, scope: MailFailureScope = 'transport') {
    super(message, { cause });
    this.name = 'MailSendError';
    this.permanent = permanent;
    this.scope = scope;
  }
}

interface TransportOptions {
  smtpUrl?: string | undefined;
  maxConnections: number;
  from: string;
  dataDir: string;
  logger: Logger;
}

export function createMailTransport(options: TransportOptions): MailTransport {
  return options.smtpUrl ? smtpTransport(options, options.smtpUrl) : devOutboxTransport(options);
}

function smtpTransport({ maxConnections, from }: TransportOptions, smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections } as never);
  const url = new URL(smtpUrl);
  return {
    description: `smtp ${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`,
    async send(message) {
      try {
        await transporter.sendMail(toNodemailer(from, message));
      } catch (error) {
        const { responseCode, code, command } = error as { responseCode?: number; code?: string; command?: string };
        const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
        // A refusal at RCPT TO (or of an address nodemailer cannot even send) concerns that address
        // only; anything else (connecting, AUTH, MAIL FROM, DATA) concerns every mail.
        const scope = /^RCPT/i.test(command ?? '') || (code === 'EENVELOPE' && /recipient/i.test((error as Error).message)) ? 'recipient' : 'transport';
        throw new MailSendError(smtpErrorSummary(error), permanent, error, scope);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

function devOutboxTransport({ dataDir, from, logger }: TransportOptions): MailTransport {
  const directory = join(dataDir, 'outbox');
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' } as never);
  return {
    description: `dev outbox ${directory}/`,
    async send(message) {
      const info = (await builder.sendMail(toNodemailer(from, message))) as unknown as { message: Buffer };
      await mkdir(directory, { recursive: true });
      const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`);
      // Written under a temporary name and renamed, so nobody opens a half-written mail.
      await writeFile(`${file}.part`, info.message, { mode: 0o600 });
      await rename(`${file}.part`, file);
      logger.info({ to: maskEmail(message.to), file: relative(process.cwd(), file) }, `mail written to ${relative(process.cwd(), file)}`);
    },
    async close() {},
  };
}

function toNodemailer(from: string, message: MailMessage) {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: { 'Content-Language': message.locale, 'Auto-Submitted': 'auto-generated' },
  };
}

/** What went wrong, without the message itself (which holds the code). */
function smtpErrorSummary(error: unknown): string {
  const { code, responseCode, response, message } = error as { code?: string; responseCode?: number; response?: string; message?: string };
  return [code, responseCode, (response ?? message ?? 'error').slice(0, 200)].filter(Boolean).join(' ');
}
