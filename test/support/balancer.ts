/**
 * A load balancer for tests of several instances: real HTTP on one port (the issuer's), each
 * request passed on to the instance the test points it at, so a test decides which instance
 * answers which step. It appends the caller to X-Forwarded-For, as a proxy in front would.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';

export class TestBalancer {
  readonly #server: Server;
  /** Instance ports; requests go to `target`, or to each in turn while `roundRobin` is on. */
  readonly backends: number[] = [];
  target = 0;
  roundRobin = false;
  #turn = 0;
  /** Which backend answered each request, in order: [backend index, method, path]. */
  readonly log: [number, string, string][] = [];

  constructor() {
    this.#server = createServer((incoming, outgoing) => {
      const index = this.roundRobin ? this.#turn++ % this.backends.length : this.target;
      const port = this.backends[index];
      this.log.push([index, incoming.method ?? 'GET', (incoming.url ?? '/').split('?')[0]!]);
      if (port === undefined) {
        outgoing.writeHead(502).end('no backend');
        return;
      }
      const forwardedFor = [incoming.headers['x-forwarded-for'], incoming.socket.remoteAddress].filter(Boolean).join(', ');
      const upstream = request({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, 'x-forwarded-for': forwardedFor } }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, outgoing).catch(() => outgoing.destroy());
      });
      upstream.on('error', () => outgoing.headersSent ? outgoing.destroy() : outgoing.writeHead(502).end('backend failed'));
      pipeline(incoming, upstream).catch(() => upstream.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
