/**
 * Where the file host keeps what it shows of itself on guestpass's pages: its logo, privacy
 * policy and terms (`logo_uri`, `policy_uri`, `tos_uri`), on an origin of their own — as a
 * relying party's CDN or website would be — so the sign-in pages' CSP must allow exactly it.
 * Plain HTTP on 127.0.0.1: development allows http on a loopback host only.
 */
import { createServer, type Server } from 'node:http';

import { freePort } from '../../support/redis_server.ts';

/** Wider than tall, so the page has to bound it (a 4:1 banner in a 48 px box). */
const logo = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100">
<rect width="400" height="100" rx="12" fill="#0f766e"/><circle cx="60" cy="50" r="30" fill="#ccfbf1"/><rect x="110" y="35" width="260" height="30" rx="6" fill="#ccfbf1"/>
</svg>`;

const page = (title: string) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><main><h1>${title}</h1></main></body></html>`;

export interface RunningClientSite {
  origin: string;
  metadata: { logo_uri: string; policy_uri: string; tos_uri: string };
  /** How many times the logo was fetched, and with which Referer headers (none expected). */
  logoRequests: { referer: string | undefined }[];
  stop(): Promise<void>;
}

export async function startClientSite(): Promise<RunningClientSite> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const logoRequests: { referer: string | undefined }[] = [];
  const server: Server = createServer((request, response) => {
    if (request.url === '/brand/logo.svg') {
      logoRequests.push({ referer: request.headers.referer });
      response.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' }).end(logo);
      return;
    }
    const title = { '/privacy': 'Privacy policy', '/terms': 'Terms of service' }[request.url ?? ''];
    if (title) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(title));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    metadata: { logo_uri: `${origin}/brand/logo.svg`, policy_uri: `${origin}/privacy`, tos_uri: `${origin}/terms` },
    logoRequests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
