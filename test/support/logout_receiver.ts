/** A relying party's back-channel logout endpoint: a real HTTP server on loopback that keeps the logout tokens it receives. */
import { createServer, type Server } from 'node:http';

import { freePort } from './redis_server.ts';

export interface LogoutReceiver {
  url: string;
  /** Every `logout_token` received, in order. */
  tokens: string[];
  /** Resolves once `count` tokens have been received in all (the test's timeout bounds the wait). */
  received(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  const port = await freePort();
  const tokens: string[] = [];
  const waiting: { count: number; resolve: (tokens: string[]) => void }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) tokens.push(token);
      response.writeHead(200).end();
      for (const waiter of waiting.filter((entry) => tokens.length >= entry.count)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve([...tokens]);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    received: (count) => (tokens.length >= count ? Promise.resolve([...tokens]) : new Promise((resolve) => waiting.push({ count, resolve }))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
