/**
 * `createServer(config, deps)`: the whole provider on its own HTTP server (what `guestpass serve`,
 * the demo and the tests use) — `createGuestpass` (src/server.ts) plus an oidc-provider around it,
 * listening, with a graceful `shutdown` that lets requests in flight finish and drains the outbox.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';

import type { Config } from '../config/schema.ts';
import { createProvider } from './provider.ts';
import { closeServer, withDeadline } from './http/lifecycle.ts';
import { createGuestpass, type Guestpass, type ServerDeps } from './server.ts';

export interface GuestpassServer extends Omit<Guestpass, 'start' | 'close' | 'mount' | 'drainAndClose' | 'markStopping'> {
  readonly provider: Provider;
  /** Starts the HTTP server (port 0 picks a free one; default `config.port` on `config.host`) and the outbox worker. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /** Closes at once: connections are cut, the outbox worker finishes its pass, what this server opened closes. */
  close(): Promise<void>;
  /**
   * A graceful stop (SIGTERM): stop accepting connections, let requests in flight finish (their
   * connections then close), drain the outbox (`Guestpass.drainAndClose`), close. What is still
   * open after `timeoutMs` (default `shutdownTimeoutSeconds`) is cut. Resolves whether it was
   * clean, i.e. nothing had to be cut.
   */
  shutdown(timeoutMs?: number): Promise<{ clean: boolean }>;
}

export async function createServer(config: Config, deps: ServerDeps = {}): Promise<GuestpassServer> {
  const guestpass = await createGuestpass(config, deps);
  const provider = createProvider(config, guestpass.providerConfiguration(), guestpass.logger);
  await guestpass.mount(provider);
  const { start, close, mount: _mount, drainAndClose, markStopping, ...pieces } = guestpass;

  let http: Server | undefined;
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  return {
    ...pieces,
    provider,
    async listen(port = config.port, host = config.host) {
      http = createHttpServer(provider.callback());
      const server = http;
      // Node reads a socket's peer address when first asked and keeps it: asked at once, it is known
      // even when the client resets the connection before its request is handled (the audit's ip).
      server.on('connection', (socket) => void socket.remoteAddress);
      server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
        inFlight.add(response);
        // While draining, a request that comes on a kept-alive connection is its last one.
        if (draining && !response.headersSent) response.setHeader('Connection', 'close');
        response.once('close', () => {
          inFlight.delete(response);
          if (draining) setImmediate(() => server.closeIdleConnections());
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      start();
      return { port: (server.address() as AddressInfo).port, url: config.issuer };
    },
    async close() {
      if (http) {
        const server = http;
        http = undefined;
        await closeServer(server);
      }
      await close();
    },
    async shutdown(timeoutMs = config.shutdownTimeoutSeconds * 1000) {
      const deadline = Date.now() + timeoutMs;
      markStopping();
      let clean = true;
      if (http) {
        const server = http;
        http = undefined;
        draining = true;
        for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        clean = await withDeadline(closed, timeoutMs);
        if (!clean) {
          guestpass.logger.warn({ requests: inFlight.size, timeoutMs }, 'requests still in flight at the shutdown timeout; closing their connections');
          server.closeAllConnections();
          await closed;
        }
      }
      await drainAndClose(Math.max(1, deadline - Date.now()));
      return { clean };
    },
  };
}
