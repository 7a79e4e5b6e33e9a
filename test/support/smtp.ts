/**
 * A real SMTP server (smtp-server) that guestpass sends to over a socket. Mail is parsed with
 * postal-mime. Tests can make it refuse mail for a while (4xx: a passing fault, 5xx: permanent),
 * or hold its answers to mails until they release them (a slow relay: sends stay in flight).
 */
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

import { freePort } from './redis_server.ts';

export interface CapturedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  receivedAt: number;
}

interface Refusal {
  code: number;
  message: string;
  at: 'recipient' | 'sender';
}

function refusalError(refusal: Refusal): Error {
  return Object.assign(new Error(refusal.message), { responseCode: refusal.code });
}

export class SmtpCapture {
  readonly mails: CapturedMail[] = [];
  #server: SMTPServer | undefined;
  #port = 0;
  #waiters: Array<() => void> = [];
  #refusals: Refusal[] = [];
  #holding = false;
  #heldReplies: Array<(error?: Error) => void> = [];
  /** Times a delivery was attempted, accepted or not. */
  attempts = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    this.#port = await freePort();
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A refusal at MAIL FROM concerns every mail (our sender, the relay's state); one at RCPT TO only that address.
      onMailFrom: (_address, _session, callback) => {
        this.attempts += 1;
        if (this.#refusals[0]?.at === 'sender') return callback(refusalError(this.#refusals.shift()!));
        callback();
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.#refusals[0]?.at === 'recipient') return callback(refusalError(this.#refusals.shift()!));
        callback();
      },
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          PostalMime.parse(Buffer.concat(chunks)).then(
            (parsed) => {
              this.mails.push({
                to: (parsed.to ?? []).map((address) => (address.address ?? '').toLowerCase()),
                from: parsed.from?.address ?? '',
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: parsed.html ?? '',
                headers: Object.fromEntries(parsed.headers.map((header) => [header.key, header.value])),
                receivedAt: Date.now(),
              });
              for (const wake of this.#waiters.splice(0)) wake();
              // A held mail's sender waits for this answer, its pooled connection busy meanwhile.
              if (this.#holding) this.#heldReplies.push((error) => callback(error));
              else callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.#port, '127.0.0.1', resolve));
    return this;
  }

  /**
   * The next `count` deliveries are refused with `code` (e.g. 451 passing, 550 permanent): at RCPT
   * TO (`recipient`, that address only) or at MAIL FROM (`sender`: the relay refuses every mail).
   */
  refuseNext(count: number, code = 451, message = 'try again later', at: Refusal['at'] = 'recipient'): void {
    for (let index = 0; index < count; index += 1) this.#refusals.push({ code, message, at });
  }

  /**
   * From now on each mail is read (and listed in `mails`) but answered (250, accepted) only when
   * the test calls `releaseReplies`: the sender's send stays in flight until then.
   */
  holdReplies(): void {
    this.#holding = true;
  }

  /** Mails read and not answered yet (see `holdReplies`). */
  get heldReplies(): number {
    return this.#heldReplies.length;
  }

  /** Answers every held mail (accepted, or refused with `refusal`) and stops holding: the mails that follow are answered at once. */
  releaseReplies(refusal?: { code: number; message: string }): void {
    this.#holding = false;
    for (const answer of this.#heldReplies.splice(0)) answer(refusal && Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
  }

  mailsTo(address: string): CapturedMail[] {
    return this.mails.filter((mail) => mail.to.includes(address.trim().toLowerCase()));
  }

  /** Waits for the `nth` (1-based) mail to an address. */
  async waitForMail(address: string, { nth = 1, timeoutMs = 10_000 } = {}): Promise<CapturedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mailsTo(address)[nth - 1];
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no mail #${nth} to ${address} within ${timeoutMs} ms (got ${this.mails.length} mails in all)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Passes when no mail reaches the address within `ms` (used where the point is that none is sent). */
  async expectNoMail(address: string, ms = 750): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const mails = this.mailsTo(address);
    if (mails.length > 0) throw new Error(`expected no mail to ${address}, got ${mails.length}`);
  }

  clear(): void {
    this.mails.length = 0;
    this.attempts = 0;
  }

  async stop(): Promise<void> {
    // The server closes once its connections end, and a held mail's connection waits for its answer.
    this.releaseReplies();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

export function codeFrom(mail: CapturedMail): string {
  const match = /^\s*(\d{6,10})\s*$/m.exec(mail.text);
  if (!match) throw new Error(`no code in mail: ${mail.text}`);
  return match[1]!;
}
