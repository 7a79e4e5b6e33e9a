/**
 * The SMTP server every provider under test mails to: a real `smtp-server` on a free port. It
 * takes the code from each mail and hands it to whoever waits for that recipient. Every
 * sign-in of the bench uses an address of its own, so the recipient is the key.
 *
 * The code is read from the raw message (the indented line that holds only digits, as both
 * providers write it); only when that fails is the mail parsed properly, so the sink costs the
 * driver little.
 */
import PostalMime from 'postal-mime';
import { SMTPServer } from 'smtp-server';

import { freePort } from '../../test/support/redis_server.ts';

const codeLine = /^[ \t]+(\d{6,10})[ \t]*\r?$/m;

interface Waiter {
  resolve(code: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class MailSink {
  readonly #waiters = new Map<string, Waiter>();
  /** Codes that arrived before anyone asked (kept until asked for). */
  readonly #early = new Map<string, string>();
  #server: SMTPServer | undefined;
  #port = 0;
  /** Mails received in all. */
  received = 0;

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    this.#port = await freePort();
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A reverse DNS lookup per connection would add a resolver's delay no real sink has on loopback.
      disableReverseLookup: true,
      size: 1024 * 1024,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const recipients = session.envelope.rcptTo.map((address) => address.address.toLowerCase());
          this.#codeOf(Buffer.concat(chunks)).then(
            (code) => {
              this.received += 1;
              for (const recipient of recipients) this.#deliver(recipient, code);
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.#port, '127.0.0.1', resolve));
    return this;
  }

  /** The code mailed to `address`; call it before the step that sends the mail. */
  codeFor(address: string, timeoutMs = 15_000): Promise<string> {
    const recipient = address.toLowerCase();
    const early = this.#early.get(recipient);
    if (early !== undefined) {
      this.#early.delete(recipient);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(recipient);
        reject(new Error(`no mail to ${recipient} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(recipient, { resolve, reject, timer });
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  #deliver(recipient: string, code: string): void {
    const waiter = this.#waiters.get(recipient);
    if (!waiter) {
      this.#early.set(recipient, code);
      return;
    }
    this.#waiters.delete(recipient);
    clearTimeout(waiter.timer);
    waiter.resolve(code);
  }

  async #codeOf(raw: Buffer): Promise<string> {
    const quick = codeLine.exec(raw.toString('latin1'));
    if (quick) return quick[1]!;
    const parsed = await PostalMime.parse(raw);
    const code = codeLine.exec(parsed.text ?? '');
    if (!code) throw new Error('no code in the mail');
    return code[1]!;
  }
}
