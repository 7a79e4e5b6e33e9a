/**
 * The embedded default of `npm start`: in-memory store, mail written to <dataDir>/outbox/ as
 * .eml files with one log line each, the demo relying party at /demo, and the admin console
 * for admin@example.com.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import PostalMime from 'postal-mime';

import { parseConfig } from '../../config/load.ts';
import { createLogger } from '../../src/log.ts';
import { createServer, type GuestpassServer } from '../../src/http_server.ts';
import { Browser, visibleText } from '../support/browser.ts';
import { testKeys } from '../support/guestpass.ts';
import { freePort } from '../support/redis_server.ts';

async function waitForFile(directory: string, timeoutMs = 5000, skip = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = (() => {
      try {
        return readdirSync(directory).filter((name) => name.endsWith('.eml'));
      } catch {
        return [];
      }
    })();
    if (files.length > skip) return join(directory, files.sort()[skip]!);
    if (Date.now() > deadline) throw new Error(`no .eml file in ${directory}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the embedded default (npm start)', () => {
  let server: GuestpassServer;
  let issuer: string;
  let dataDir: string;
  const lines: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'guestpass-dev-'));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const config = parseConfig({ port, issuer, dataDir }, { demoDefault: true });
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    server = await createServer(config, { keys: await testKeys(), logger: createLogger('info', sink) });
    await server.listen(port, '127.0.0.1');
  });
  after(async () => {
    await server?.close();
  });

  it('signs in through the demo relying party with the code from the .eml file in the outbox folder', async () => {
    expect(server.store.kind).to.equal('memory');
    const browser = new Browser(issuer);
    const start = await browser.get('/demo');
    expect(visibleText(start.body)).to.contain('guestpass demo');

    let page = await browser.get('/demo/login?login_hint=dev%40example.org');
    // The demo opens no link: the page asks for an address and says nothing of a link.
    expect(visibleText(page.body)).to.contain('guestpass demo asks you to confirm your email address with a one-time code.');
    expect(visibleText(page.body)).to.not.match(/\blink\b/);
    page = await browser.submit(page, '/email', { email: 'dev@example.org' });

    const file = await waitForFile(join(dataDir, 'outbox'));
    const mail = await PostalMime.parse(readFileSync(file));
    expect(mail.text).to.contain('guestpass demo asked us to check that dev@example.org is yours.');
    expect(mail.to?.[0]?.address).to.equal('dev@example.org');
    const code = /^\s*(\d{6})\s*$/m.exec(mail.text ?? '')![1]!;
    const logged = lines.filter((line) => line.includes('mail written to'));
    expect(logged).to.have.length(1);
    expect(logged[0]).to.contain('.eml').and.not.contain(code);

    page = await browser.submit(page, '/code', { code });
    expect(page.status).to.equal(200);
    expect(page.url).to.contain('/demo/callback');
    const text = visibleText(page.body);
    expect(text).to.contain('"email": "dev@example.org"');
    expect(text).to.contain('"user_type": "adhoc"');
    expect(text).to.contain('"email_verified": true');
    expect(text).to.match(/"amr": \[\s*"otp"\s*\]/);
  });

  it('opens the admin console for admin@example.com, with the code from the outbox folder', async () => {
    const browser = new Browser(issuer);
    let page = await browser.get('/admin');
    const before = readdirSync(join(dataDir, 'outbox')).filter((name) => name.endsWith('.eml')).length;
    page = await browser.submit(page, '/email', { email: 'admin@example.com' });
    const mail = await PostalMime.parse(readFileSync(await waitForFile(join(dataDir, 'outbox'), 5000, before)));
    expect(mail.to?.[0]?.address).to.equal('admin@example.com');
    page = await browser.submit(page, '/code', { code: /^\s*(\d{6})\s*$/m.exec(mail.text ?? '')![1]! });
    expect(new URL(page.url).pathname).to.equal('/admin');
    expect(visibleText(page.body)).to.contain('admin@example.com (admin)');
  });
});
