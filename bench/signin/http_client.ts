/**
 * The driver's HTTP: node:http over keep-alive sockets (cheaper per request than fetch), a
 * cookie jar per simulated browser that honours cookie paths and removals, and redirects
 * followed on the provider's origin only — a redirect anywhere else (the relying party's
 * callback) ends the request, as it would end the provider's part in a browser.
 */
import { Agent, request } from 'node:http';

import { findForm } from '../../test/support/browser.ts';

const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

/**
 * Closes the connections no request is using. The load calls it before each round: a round
 * starts after the other servers' rounds, seconds later, when a server may be closing an idle
 * keep-alive connection just as the driver reuses it (Node's 5 s keepAliveTimeout against the
 * agent's 4 s hint, with the driver's event loop busy): a `read ECONNRESET` on the round's first
 * request that says nothing about the server under test.
 */
export function closeIdleConnections(): void {
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpRequest(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class CookieJar {
  readonly #cookies = new Map<string, Cookie>();

  header(path: string): string {
    const pairs: string[] = [];
    for (const cookie of this.#cookies.values()) {
      if (cookie.path === '/' || path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)) pairs.push(`${cookie.name}=${cookie.value}`);
    }
    return pairs.join('; ');
  }

  store(setCookies: string[] | undefined, requestPath: string): void {
    for (const raw of setCookies ?? []) {
      const [pair = '', ...attributes] = raw.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      let path = requestPath.replace(/\/[^/]*$/, '') || '/';
      let removed = false;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.trim().split('=');
        const lower = key.toLowerCase();
        if (lower === 'path') path = value;
        else if (lower === 'expires') removed ||= Date.parse(value) <= Date.now();
        else if (lower === 'max-age') removed ||= Number(value) <= 0;
      }
      const id = `${name}\0${path}`;
      if (removed) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value: pair.slice(eq + 1).trim(), path });
    }
  }
}

export interface Page {
  status: number;
  url: URL;
  body: string;
  /** Where a redirect off the provider's origin pointed (the relying party's callback). */
  leftTo?: URL;
}

/** One person's browser against one provider. */
export class BrowserSession {
  readonly jar = new CookieJar();
  readonly #origin: string;

  constructor(origin: string) {
    this.#origin = new URL(origin).origin;
  }

  get(url: URL): Promise<Page> {
    return this.#follow(url, 'GET');
  }

  /** Posts the form whose action ends with `actionSuffix`, its hidden fields plus `fields`. */
  submit(page: Page, actionSuffix: string, fields: Record<string, string>): Promise<Page> {
    const form = findForm(page.body, actionSuffix);
    return this.#follow(new URL(form.action, page.url), 'POST', new URLSearchParams({ ...form.hidden, ...fields }).toString());
  }

  async #follow(start: URL, method: string, body?: string): Promise<Page> {
    let url = start;
    let currentMethod = method;
    let currentBody = body;
    for (let hops = 0; hops < 10; hops += 1) {
      const headers: Record<string, string> = { accept: 'text/html', 'accept-language': 'en', 'user-agent': 'guestpass-bench' };
      const cookie = this.jar.header(url.pathname);
      if (cookie) headers.cookie = cookie;
      if (currentBody !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await httpRequest(url, currentMethod, headers, currentBody);
      this.jar.store(response.headers['set-cookie'] as string[] | undefined, url.pathname);
      const location = response.headers.location as string | undefined;
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, url);
        if (next.origin !== this.#origin) return { status: response.status, url, body: response.body, leftTo: next };
        url = next;
        currentMethod = 'GET';
        currentBody = undefined;
        continue;
      }
      return { status: response.status, url, body: response.body };
    }
    throw new Error(`more than 10 redirects from ${start.href}`);
  }
}
