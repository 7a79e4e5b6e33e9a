/**
 * Outbound HTTP for addresses guestpass did not choose itself: the per-domain discovery documents
 * of multi-tenant providers (the domain comes from a person's address) and the endpoints those
 * documents name. A fetch-compatible function (openid-client takes it as `customFetch`).
 *
 * Threats, and the answers:
 * - SSRF, reaching the private network through a name or a document: unless
 *   `allowPrivateNetworkCalls` is on, every address a host name resolves to is checked at
 *   connection time (the `lookup` of the very socket, so a second DNS answer cannot swap in
 *   another address), and a host written as an IP literal is checked before connecting.
 *   Loopback, private, link-local, CGNAT, multicast, documentation and translation ranges are
 *   refused.
 * - A slow or endless answer: every request has a deadline, and a body larger than the limit is
 *   cut off.
 * - Redirects are never followed (openid-client asks for `redirect: 'manual'` anyway).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

export class PrivateAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, private or otherwise special-use address, and allowPrivateNetworkCalls is off`);
    this.name = 'PrivateAddressError';
  }
}

export interface GuardedFetchOptions {
  allowPrivateNetwork: boolean;
  timeoutMs: number;
  /** Discovery documents and key sets are a few kilobytes. */
  maxResponseBytes?: number;
}

export interface GuardedRequestInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  /** A string, URLSearchParams, bytes, or nothing (what openid-client sends). */
  body?: unknown;
  signal?: AbortSignal | null | undefined;
}

export type GuardedFetch = (url: string | URL, init?: GuardedRequestInit) => Promise<Response>;

const defaultMaxResponseBytes = 512 * 1024;

const specialUse = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  specialUse.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  specialUse.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address is one a call to the public internet never needs. */
export function isSpecialUseAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return specialUse.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return specialUse.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function guardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const maxBytes = options.maxResponseBytes ?? defaultMaxResponseBytes;
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input));
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return reject(new TypeError(`only http(s) URLs are fetched, not ${url.protocol}`));
      const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!options.allowPrivateNetwork && isIP(literal) !== 0 && isSpecialUseAddress(literal)) return reject(new PrivateAddressError(url.hostname, literal));
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      const body = requestBody(init.body);
      const headers: Record<string, string> = init.headers instanceof Headers ? Object.fromEntries(init.headers) : { ...init.headers };
      if (body) headers['content-length'] = String(body.length);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(url, { method: init.method ?? 'GET', headers, signal, ...(options.allowPrivateNetwork ? {} : { lookup: publicOnlyLookup }) }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes) return void chunks.push(chunk);
          reject(new Error(`${url.origin} answered with more than ${maxBytes} bytes`));
          request.destroy();
        });
        response.on('error', reject);
        response.on('end', () => {
          const status = response.statusCode ?? 502;
          const empty = status === 204 || status === 205 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, statusText: response.statusMessage ?? '', headers: responseHeaders(response.headers) }));
        });
      });
      request.on('error', reject);
      request.end(body);
    });
}

/**
 * The lookup the socket itself uses: it refuses a name with any special-use address among its
 * answers (refusing only some would let a name mix one public address with internal ones).
 */
function publicOnlyLookup(
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((candidate) => isSpecialUseAddress(candidate.address));
    if (refused) return callback(new PrivateAddressError(hostname, refused.address), []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

function requestBody(body: GuardedRequestInit['body']): Buffer | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported request body');
}

function responseHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}
