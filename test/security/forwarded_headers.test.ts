/**
 * What a client writes into X-Forwarded-For, Host or X-Forwarded-Host changes nothing it should
 * not (ASVS 5.0 4.1.3): the client address is the one a trusted proxy saw, counted from the
 * right, so the per-IP code cap and the audit's `ip` cannot be chosen by the client; and every
 * URL guestpass publishes comes from ISSUER.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { expect } from 'chai';
import Provider from 'oidc-provider';

import { createGuestpass, parseConfig, type Guestpass } from '../../src/index.ts';
import { createLogger } from '../../src/log.ts';
import { Browser, findForm } from '../support/browser.ts';
import { openSignIn, rpClient, startGuestpass, submitEmail, testKeys, type Journey, type SignInTarget, type TestGuestpass } from '../support/guestpass.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { clientNetwork } from '../../src/client_network.ts';
import { clientAddress } from '../../src/http/trusted_edge.ts';

describe('security: forwarded headers (ASVS 5.0 4.1.3)', () => {
  describe('the client address, counted from the right', () => {
    it('ignores X-Forwarded-For when no proxy is trusted', () => {
      expect(clientAddress(false, '127.0.0.1', '6.6.6.6')).to.equal('127.0.0.1');
    });
    it('takes the address the one trusted proxy appended, never the leftmost the client wrote', () => {
      expect(clientAddress(true, '10.0.0.2', '6.6.6.6, 203.0.113.7')).to.equal('203.0.113.7');
      expect(clientAddress(1, '10.0.0.2', '203.0.113.7')).to.equal('203.0.113.7');
      expect(clientAddress(true, '::ffff:10.0.0.2', undefined)).to.equal('10.0.0.2');
    });
    it('counts N trusted proxies from the right', () => {
      expect(clientAddress(2, '10.0.0.2', '6.6.6.6, 203.0.113.7, 10.0.0.9')).to.equal('203.0.113.7');
      // Fewer entries than proxies: the request skipped a proxy, so its furthest known hop is taken.
      expect(clientAddress(3, '10.0.0.2', '203.0.113.7')).to.equal('203.0.113.7');
    });
    it('walks back over trusted proxy CIDRs to the first address that is not one', () => {
      const proxies = ['10.0.0.0/8', '2001:db8::/32'];
      expect(clientAddress(proxies, '10.0.0.2', '6.6.6.6, 198.51.100.9, 10.1.2.3')).to.equal('198.51.100.9');
      expect(clientAddress(proxies, '2001:db8::1', '6.6.6.6, 2001:db8:1::5')).to.equal('6.6.6.6');
      // A peer that is not a trusted proxy is the client, whatever it forwards.
      expect(clientAddress(proxies, '198.51.100.1', '6.6.6.6')).to.equal('198.51.100.1');
    });
    it('reads an entry a proxy wrote with its port, IPv4 or bracketed IPv6, as the address alone', () => {
      expect(clientAddress(true, '10.0.0.2', '6.6.6.6, 203.0.113.7:51234')).to.equal('203.0.113.7');
      expect(clientAddress(true, '10.0.0.2', '[2001:db8:1:2::7]:443')).to.equal('2001:db8:1:2::7');
      expect(clientAddress(['10.0.0.0/8'], '10.0.0.2', '198.51.100.9:1234, 10.0.0.3:80')).to.equal('198.51.100.9');
    });
    it('counts an IPv6 client by its /64 for the per-IP cap, however the address is written', () => {
      expect(clientNetwork('203.0.113.7')).to.equal('203.0.113.7');
      expect(clientNetwork('2001:db8:1:2::1')).to.equal('2001:db8:1:2::/64');
      expect(clientNetwork('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).to.equal('2001:db8:1:2::/64');
      expect(clientNetwork('::ffff:192.0.2.1')).to.equal('192.0.2.1');
      expect(clientNetwork('::1')).to.equal('0:0:0:0::/64');
    });
    it('never takes a malformed entry as the client address', () => {
      expect(clientAddress(true, '10.0.0.2', 'not-an-ip')).to.equal('10.0.0.2');
      expect(clientAddress(['10.0.0.0/8'], '10.0.0.2', '6.6.6.6, garbage, 10.0.0.3')).to.equal('10.0.0.3');
    });
  });

  describe('against a running instance', () => {
    let smtp: SmtpCapture;
    const instances: TestGuestpass[] = [];

    before(async () => {
      smtp = await new SmtpCapture().start();
    });
    after(async () => {
      await Promise.all(instances.map((instance) => instance.close()));
      await smtp?.stop();
    });

    async function start(trustProxy: unknown, extra: Record<string, unknown> = {}): Promise<TestGuestpass> {
      const instance = await startGuestpass({ store: 'redis', smtp, config: { trustProxy, rateLimits: { codesPerIpPerHour: 5 }, ...extra } });
      instances.push(instance);
      return instance;
    }

    /** Nine sign-ins through one proxy, each prepending a different made-up address. */
    async function spoofedSignIns(gp: TestGuestpass, label: string, forwardedFor: (index: number) => string) {
      for (let index = 0; index < 9; index += 1) {
        const journey = await openSignIn({ rp: gp.rp, browser: () => gp.browser({ 'x-forwarded-for': forwardedFor(index) }) });
        await submitEmail(journey, `${label}-${index}@example.org`);
      }
      // Who was sent a code is decided after the answer, at a random moment.
      await gp.server.outbox.settled();
      const events = (await gp.store.listAudit({ operation: 'VerificationCodeSent' }, { limit: 100 })).items.filter((event) => String(event.detail.email).startsWith(`${label}-`));
      return events;
    }

    it('keeps the per-IP code cap (5) and the audit ip when a client prepends its own X-Forwarded-For (trustProxy: true)', async () => {
      const gp = await start(true);
      const sent = await spoofedSignIns(gp, 'hop', (index) => `6.6.6.${index}, 203.0.113.7`);
      expect(sent, 'codes sent past the per-IP cap').to.have.length(5);
      expect(new Set(sent.map((event) => event.ip))).to.deep.equal(new Set(['203.0.113.7']));
    });

    it('keeps them with trusted proxy CIDRs, and with two proxies counted from the right', async () => {
      const cidrs = await start(['127.0.0.0/8', '10.0.0.0/8']);
      const viaCidrs = await spoofedSignIns(cidrs, 'cidr', (index) => `6.6.6.${index}, 198.51.100.9, 10.1.2.3`);
      expect(viaCidrs).to.have.length(5);
      expect(new Set(viaCidrs.map((event) => event.ip))).to.deep.equal(new Set(['198.51.100.9']));

      const twoHops = await start(2);
      const viaHops = await spoofedSignIns(twoHops, 'hops', (index) => `6.6.6.${index}, 198.51.100.10, 10.0.0.9`);
      expect(viaHops).to.have.length(5);
      expect(new Set(viaHops.map((event) => event.ip))).to.deep.equal(new Set(['198.51.100.10']));
    });

    it('keeps the per-IP code cap for an IPv6 client that takes a new address of its /64 for every request', async () => {
      const gp = await start(true);
      const sent = await spoofedSignIns(gp, 'six', (index) => `2001:db8:1:2:${index.toString(16)}::${index + 1}`);
      expect(sent, 'codes sent past the per-IP cap').to.have.length(5);
      // The audit keeps the address the proxy saw, not only its network.
      expect(sent.map((event) => event.ip)).to.include('2001:db8:1:2:0::1');
    });

    it('counts a proxy that writes ports into X-Forwarded-For by the client address, not all clients as the proxy', async () => {
      const gp = await start(true);
      const sent = await spoofedSignIns(gp, 'port', (index) => `6.6.6.${index}, 203.0.113.8:${50000 + index}`);
      expect(sent).to.have.length(5);
      expect(new Set(sent.map((event) => event.ip))).to.deep.equal(new Set(['203.0.113.8']));
    });

    /** Nine sign-ins whose client resets the connection as soon as the email form is written. */
    async function resetSignIns(target: SignInTarget, guestpass: Pick<Guestpass, 'flow' | 'store' | 'outbox'>, label: string) {
      const journeys: Journey[] = [];
      for (let index = 0; index < 9; index += 1) {
        const journey = await openSignIn(target);
        await postAndReset(journey, `${label}-${index}@example.org`);
        journeys.push(journey);
      }
      // The forms are handled after the connections are gone: wait until each sign-in has moved on.
      const deadline = Date.now() + 10_000;
      for (const journey of journeys) {
        const uid = new URL(journey.page.url).pathname.split('/').pop()!;
        while ((await guestpass.flow.read(uid))?.step.name !== 'code_sent') {
          if (Date.now() > deadline) throw new Error('a reset sign-in was never handled');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      // Who was sent a code is decided after the answer, at a random moment. The request hands
      // that over just after its save, which the read above may have seen first (its reply and
      // the save's arriving together): the turn is let end, so the last one has been handed over.
      await new Promise((resolve) => setImmediate(resolve));
      await guestpass.outbox.settled();
      return (await guestpass.store.listAudit({ operation: 'VerificationCodeSent' }, { limit: 100 })).items.filter((event) => String(event.detail.email).startsWith(`${label}-`));
    }

    it('keeps the per-IP code cap and the audit ip for a client that resets its connection right after sending the form', async () => {
      const gp = await start(false);
      const sent = await resetSignIns(gp, gp.server, 'reset');
      expect(sent, 'codes sent past the per-IP cap').to.have.length(5);
      expect(new Set(sent.map((event) => event.ip))).to.deep.equal(new Set(['127.0.0.1']));
    });

    it('keeps the per-IP code cap for such clients in the plugin use too, where their address may be unknown by then', async () => {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      const config = parseConfig({ issuer, port, logLevel: 'silent', trustProxy: ['10.0.0.0/8'], rateLimits: { codesPerIpPerHour: 5 }, clients: [rpClient], smtp: { url: smtp.url } });
      const guestpass = await createGuestpass(config, { keys: await testKeys(), logger: createLogger('silent') });
      const provider = new Provider(issuer, guestpass.providerConfiguration());
      await guestpass.mount(provider);
      // The application's own server, which does not read peer addresses early.
      const http = createServer(provider.callback());
      await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
      guestpass.start();
      try {
        const rp = await TestRelyingParty.discover(issuer, rpClient.client_id, rpClient.client_secret, rpClient.redirect_uris[0]!);
        const sent = await resetSignIns({ rp, browser: (headers) => new Browser(issuer, headers) }, guestpass, 'plugin-reset');
        expect(sent, 'codes sent past the per-IP cap').to.have.length(5);
      } finally {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        await guestpass.close();
      }
    });

    it('ignores a spoofed X-Forwarded-For with trustProxy off: the socket address counts', async () => {
      const gp = await start(false);
      const sent = await spoofedSignIns(gp, 'direct', (index) => `6.6.6.${index}`);
      expect(sent).to.have.length(5);
      expect(new Set(sent.map((event) => event.ip))).to.deep.equal(new Set(['127.0.0.1']));
    });

    // The plugin use: the application builds the Provider, and may have set `provider.proxy` itself.
    for (const [trustProxy, applicationProxy] of [
      [false, true],
      [true, false],
      [false, false],
    ] as const) {
      it(`takes the scheme from an https ISSUER behind a TLS proxy in the plugin use (trustProxy: ${trustProxy}, provider.proxy set by the application: ${applicationProxy})`, async () => {
        const port = await freePort();
        const issuer = 'https://id.example';
        const config = parseConfig({ issuer, port, logLevel: 'silent', trustProxy, clients: [{ ...rpClient, redirect_uris: ['https://rp.example/callback'] }], smtp: { url: smtp.url } });
        const guestpass = await createGuestpass(config, { keys: await testKeys(), logger: createLogger('silent') });
        const provider = new Provider(issuer, guestpass.providerConfiguration());
        provider.proxy = applicationProxy;
        await guestpass.mount(provider);
        const http = createServer(provider.callback());
        await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
        try {
          const authorization = new URL(`http://127.0.0.1:${port}/auth`);
          authorization.search = new URLSearchParams({ client_id: 'rp', response_type: 'code', scope: 'openid', redirect_uri: 'https://rp.example/callback', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString();
          // What the TLS proxy sends on: plain http, with X-Forwarded-Proto (whatever the client claimed).
          const response = await fetch(authorization, { redirect: 'manual', headers: { 'x-forwarded-proto': 'http', 'x-forwarded-for': '203.0.113.5' } });
          expect(response.status, 'the sign-in starts (no "secure cookie over an unencrypted connection")').to.equal(303);
          expect(response.headers.get('location')).to.match(/^\/interaction\//);
          const cookies = response.headers.getSetCookie();
          expect(cookies.length).to.be.greaterThan(0);
          for (const cookie of cookies) expect(cookie.toLowerCase(), 'Secure, as the https issuer asks').to.contain('; secure');
        } finally {
          http.closeAllConnections();
          await new Promise<void>((resolve) => http.close(() => resolve()));
          await guestpass.close();
        }
      });
    }

    for (const trustProxy of [false, true]) {
      it(`publishes only ISSUER's URLs in discovery whatever Host or X-Forwarded-Host say, with a Cache-Control (trustProxy: ${trustProxy})`, async () => {
        const gp = await start(trustProxy);
        // node:http, because fetch does not let a caller set Host.
        const response = await rawGet(`${gp.issuer}/.well-known/openid-configuration`, { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
        expect(response.status).to.equal(200);
        expect(response.headers['cache-control']).to.match(/^public, max-age=\d+$/);
        const discovery = JSON.parse(response.body) as Record<string, unknown>;
        const urls = Object.entries(discovery).filter(([, value]) => typeof value === 'string' && /^https?:/.test(value));
        expect(urls.length).to.be.greaterThan(5);
        for (const [key, value] of urls) expect(value, key).to.satisfy((url: string) => url === gp.issuer || url.startsWith(`${gp.issuer}/`));
        const jwks = await rawGet(`${gp.issuer}/jwks`, { host: 'evil.example' });
        expect(jwks.headers['cache-control']).to.match(/^public, max-age=\d+$/);
      });
    }
  });
});

/** Sends the email form over a raw socket and resets the connection as soon as it is written. */
async function postAndReset(journey: Journey, email: string): Promise<void> {
  const form = findForm(journey.page.body, '/email');
  const url = new URL(form.action, journey.page.url);
  const body = new URLSearchParams({ ...form.hidden, email }).toString();
  const cookie = journey.browser.cookies.map((entry) => `${entry.name}=${entry.value}`).join('; ');
  const head = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/x-www-form-urlencoded', `Content-Length: ${Buffer.byteLength(body)}`, `Cookie: ${cookie}`];
  await new Promise<void>((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`, () => resolve(void socket.resetAndDestroy())));
    socket.on('error', () => resolve());
  });
}

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
