/**
 * The outbound HTTP of multi-tenant lookups: real requests to a server on loopback, which the
 * SSRF rule refuses unless allowPrivateNetworkCalls is on, with a deadline and a size limit.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';

import { guardedFetch, isSpecialUseAddress, PrivateAddressError } from '../../src/guarded_fetch.ts';

describe('the guarded fetch of multi-tenant lookups', () => {
  let server: Server;
  let port: number;
  const received: { method: string; url: string; body: string }[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', body });
        if (req.url === '/never') return;
        if (req.url === '/huge') return void res.writeHead(200).end('x'.repeat(64 * 1024));
        res.writeHead(200, { 'content-type': 'application/json', 'x-answer': 'yes' }).end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => (received.length = 0));

  it('refuses loopback, by address and by name, before any request is made, while private calls are off', async () => {
    const fetch = guardedFetch({ allowPrivateNetwork: false, timeoutMs: 2000 });
    for (const url of [`http://127.0.0.1:${port}/doc`, `http://localhost:${port}/doc`, `http://[::1]:${port}/doc`]) {
      const error = await fetch(url).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, url).to.be.instanceOf(PrivateAddressError);
      expect((error as Error).message).to.contain('allowPrivateNetworkCalls is off');
    }
    expect(received).to.deep.equal([]);
  });

  it('reaches loopback when private calls are allowed, and passes method, body, status and headers through', async () => {
    const fetch = guardedFetch({ allowPrivateNetwork: true, timeoutMs: 2000 });
    const response = await fetch(`http://localhost:${port}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code' }) });
    expect(response.status).to.equal(200);
    expect(response.headers.get('x-answer')).to.equal('yes');
    expect(await response.json()).to.deep.equal({ ok: true });
    expect(received).to.deep.equal([{ method: 'POST', url: '/token', body: 'grant_type=authorization_code' }]);
  });

  it('gives up on an answer that does not come in time, and on one that is too large', async () => {
    const fetch = guardedFetch({ allowPrivateNetwork: true, timeoutMs: 200, maxResponseBytes: 1024 });
    const late = await fetch(`http://127.0.0.1:${port}/never`).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(late?.name).to.match(/TimeoutError|AbortError/);
    const huge = await fetch(`http://127.0.0.1:${port}/huge`).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(huge?.message).to.contain('more than 1024 bytes');
  });

  it('tells special-use addresses from public ones', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '64:ff9b::a00:1', 'not-an-ip']) {
      expect(isSpecialUseAddress(address), address).to.equal(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '20.190.160.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(isSpecialUseAddress(address), address).to.equal(false);
    }
  });
});
