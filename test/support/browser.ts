/**
 * A small browser for integration tests: real HTTP (fetch), a cookie jar that honours cookie
 * paths and expiry, manual redirects (so tests can stop at the relying party's redirect URI),
 * and just enough HTML reading to fill our forms.
 */
export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  /** The Location of a redirect that left the guestpass origin (the relying party's callback). */
  leftTo?: string;
  /** Every URL the request went through, redirects included, as a browser's history has them. */
  history: string[];
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number;
  httpOnly: boolean;
  sameSite?: string;
  raw: string;
}

export class Browser {
  readonly cookies: StoredCookie[] = [];
  readonly origin: string;
  readonly headers: Record<string, string>;
  /** Origins whose redirects are followed (guestpass, and work providers a test adds); any other stops the journey. */
  readonly follows: Set<string>;

  constructor(origin: string, headers: Record<string, string> = {}) {
    this.origin = new URL(origin).origin;
    this.headers = headers;
    this.follows = new Set([this.origin]);
  }

  /** Also follow redirects to this origin (a work provider). Cookies are shared by host, as in a browser. */
  alsoFollow(origin: string): this {
    this.follows.add(new URL(origin).origin);
    return this;
  }

  async get(url: string, { follow = true }: { follow?: boolean } = {}): Promise<PageResponse> {
    return this.#request('GET', url, undefined, follow);
  }

  async post(url: string, form: Record<string, string>, { follow = true, headers = {} }: { follow?: boolean; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    return this.#request('POST', url, new URLSearchParams(form).toString(), follow, headers);
  }

  /** Submits the form whose action ends with `actionSuffix`, with its hidden fields plus `fields`. */
  async submit(page: PageResponse, actionSuffix: string, fields: Record<string, string> = {}, options: { follow?: boolean } = {}): Promise<PageResponse> {
    const form = findForm(page.body, actionSuffix);
    return this.post(new URL(form.action, page.url).href, { ...form.hidden, ...fields }, options);
  }

  cookie(name: string): StoredCookie | undefined {
    return this.cookies.find((cookie) => cookie.name === name && cookie.expiresAt > Date.now());
  }

  async #request(method: string, url: string, body: string | undefined, follow: boolean, extraHeaders: Record<string, string> = {}): Promise<PageResponse> {
    let target = new URL(url, this.origin);
    let currentMethod = method;
    let currentBody = body;
    const history: string[] = [];
    for (let hops = 0; hops < 20; hops += 1) {
      history.push(target.href);
      const headers: Record<string, string> = { accept: 'text/html', ...this.headers, ...extraHeaders };
      const cookieHeader = this.#cookieHeader(target);
      if (cookieHeader) headers.cookie = cookieHeader;
      if (currentBody !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(target, { method: currentMethod, headers, body: currentBody, redirect: 'manual' });
      this.#store(response.headers.getSetCookie(), target);
      const location = response.headers.get('location');
      if (location && response.status >= 300 && response.status < 400) {
        const next = new URL(location, target);
        if (!this.follows.has(next.origin) || !follow) {
          return { status: response.status, url: target.href, headers: response.headers, body: await response.text(), leftTo: next.href, history };
        }
        target = next;
        currentMethod = 'GET';
        currentBody = undefined;
        continue;
      }
      return { status: response.status, url: target.href, headers: response.headers, body: await response.text(), history };
    }
    throw new Error('too many redirects');
  }

  #cookieHeader(url: URL): string {
    const now = Date.now();
    return this.cookies
      .filter((cookie) => cookie.expiresAt > now && (url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`) || cookie.path === '/'))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  #store(setCookies: string[], url: URL): void {
    for (const raw of setCookies) {
      const [pair = '', ...attributes] = raw.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expiresAt = Infinity;
      let httpOnly = false;
      let sameSite: string | undefined;
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        const lower = key.toLowerCase();
        if (lower === 'path') path = attributeValue;
        else if (lower === 'expires') expiresAt = Date.parse(attributeValue);
        else if (lower === 'max-age') expiresAt = Date.now() + Number(attributeValue) * 1000;
        else if (lower === 'httponly') httpOnly = true;
        else if (lower === 'samesite') sameSite = attributeValue.toLowerCase();
      }
      const existing = this.cookies.findIndex((cookie) => cookie.name === name && cookie.path === path);
      if (existing >= 0) this.cookies.splice(existing, 1);
      if (expiresAt > Date.now()) this.cookies.push({ name, value, path, expiresAt, httpOnly, sameSite, raw });
    }
  }
}

export interface ParsedForm {
  action: string;
  hidden: Record<string, string>;
}

export function findForm(html: string, actionSuffix: string): ParsedForm {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(match[1] ?? '')?.[1];
    if (action === undefined || !decode(action).endsWith(actionSuffix)) continue;
    const hidden: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) hidden[decode(name)] = decode(value);
    }
    return { action: decode(action), hidden };
  }
  throw new Error(`no form with action ending in ${actionSuffix} in:\n${html.slice(0, 2000)}`);
}

/** The text of a page without tags, whitespace collapsed: what a person reads. */
export function visibleText(html: string): string {
  return decode(html.replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

export function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
