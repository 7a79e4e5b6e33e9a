/**
 * What a request may say about itself, decided once, before anything reads it.
 *
 * - The client address (per-IP code caps, the audit's `ip`): with proxies in front, the one the
 *   nearest trusted proxy saw, counted from the right of X-Forwarded-For. The left of that
 *   header is whatever the client sent; taking it would let anyone pick their address (ASVS 5.0
 *   4.1.3). `trustProxy` says how many proxies stand in front (`true` = 1) or which addresses
 *   they have (CIDRs); `false` ignores the header.
 * - The origin: every URL guestpass publishes (discovery, redirects) is built from ISSUER, never
 *   from the Host or X-Forwarded-Host a client sent, and the scheme is ISSUER's.
 */
import { BlockList, isIP } from 'node:net';
import type { Context, Next } from 'koa';

/** `false`, `true` (one proxy), a number of proxies, or the CIDRs of the trusted proxies. */
export type ProxyTrust = boolean | number | readonly string[];

/** The client address of a request, from its socket peer and X-Forwarded-For, under `trust`. */
export function clientAddress(trust: ProxyTrust, peer: string, forwardedFor: string | undefined): string {
  const direct = unmapped(peer);
  if (trust === false || !forwardedFor) return direct;
  const chain = [...forwardedFor.split(',').map((entry) => unmapped(withoutPort(entry.trim()))), direct];
  if (Array.isArray(trust)) {
    const trusted = trustedAddresses(trust as readonly string[]);
    // Walk back from the nearest hop while it is one of our proxies; the first other address is the client.
    for (let index = chain.length - 1; index >= 0; index -= 1) {
      const address = chain[index]!;
      if (!isTrusted(trusted, address)) return isIP(address) ? address : (chain[index + 1] ?? direct);
    }
    return chain[0]!;
  }
  const hops = trust === true ? 1 : (trust as number);
  const index = Math.max(0, chain.length - 1 - hops);
  // A malformed entry is never a client address: fall back to the hop that reported it.
  return isIP(chain[index]!) ? chain[index]! : chain[index + 1]!;
}

/**
 * Koa middleware: pins host and scheme to the issuer and sets `ctx.ip` to the client address.
 * Needs the Koa app's `proxy` on (for the scheme); nothing else of Koa's proxy handling is left to read.
 */
export function trustedEdge(issuer: string, trust: ProxyTrust) {
  const { host, protocol } = new URL(issuer);
  return function pinRequestEdge(ctx: Context, next: Next): Promise<void> {
    ctx.request.ip = clientAddress(trust, ctx.req.socket.remoteAddress ?? '', ctx.get('x-forwarded-for') || undefined);
    const headers = ctx.req.headers;
    headers.host = host;
    delete headers['x-forwarded-host'];
    // Koa reads the scheme from X-Forwarded-Proto (the Provider is set to: see `Guestpass.mount`); it
    // is ISSUER's, whatever a client or proxy sends, so Secure cookies work behind a TLS proxy.
    headers['x-forwarded-proto'] = protocol.slice(0, -1);
    return next();
  };
}

const lists = new WeakMap<readonly string[], BlockList>();

function trustedAddresses(cidrs: readonly string[]): BlockList {
  let list = lists.get(cidrs);
  if (!list) {
    list = new BlockList();
    for (const cidr of cidrs) {
      const [network = '', prefix] = cidr.split('/');
      const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      list.addSubnet(network, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
    }
    lists.set(cidrs, list);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Some proxies write the client's port too (Azure Application Gateway: `203.0.113.7:51234`,
 * `[2001:db8::7]:443`). Read as malformed, every client behind such a proxy would count as the
 * proxy itself, one per-IP allowance for everyone.
 */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const withPort = /^([\d.]+):\d+$/.exec(entry);
  return withPort && isIP(withPort[1]!) === 4 ? withPort[1]! : entry;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
