/**
 * What a per-IP limit counts: one client's network rather than one address. An IPv4 address is
 * one client (or one NAT). An IPv6 subscriber is normally given a whole /64 and picks any address
 * in it for each connection, so counting IPv6 addresses one by one would give every client 2^64
 * fresh allowances: IPv6 is counted by its /64 (as mail and web rate limiters commonly do).
 */
import { isIP } from 'node:net';

/** The key a per-IP limit counts `address` under: the address for IPv4, `<first 64 bits>::/64` for IPv6. */
export function clientNetwork(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  // An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) is that IPv4 address.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (zone removed, an embedded IPv4 tail read as two groups). */
function ipv6Groups(address: string): number[] | undefined {
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (group.includes('.')) {
            const bytes = group.split('.').map(Number);
            return [(bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!];
          }
          return [Number.parseInt(group, 16)];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}
