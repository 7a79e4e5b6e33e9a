/**
 * The keys oidc-provider (through Koa's `cookies`) signs and checks its cookies with, as a
 * Keygrip-compatible object: the same signatures as Keygrip's defaults (HMAC-SHA1, base64url
 * without padding), so cookies signed either way are accepted either way.
 *
 * Why not Keygrip itself: it compares signatures through `tsscmp`, which computes two more HMACs
 * under 32 fresh random bytes for every comparison, and Koa builds a new Keygrip for every request
 * when given an array. oidc-provider checks its interaction cookie on every page and form (and
 * again when the interaction finishes); in the sign-in bench's profile those checks were 1–2 % of
 * the server's CPU. Here a check is one HMAC per key tried and a constant-time comparison of
 * equal-length signatures (`timingSafeEqual`); a signature of another length is not a signature.
 *
 * The array is read on every call, so keys replaced in place (managed keys) apply at once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CookieKeys {
  readonly #keys: readonly string[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new TypeError('cookie keys: at least one key is needed');
    this.#keys = keys;
  }

  /** Signs with the first key. */
  sign(data: string): string {
    return signature(data, this.#keys[0]!);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** The index of the key that signed `data` as `digest`, or -1. */
  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest));
    for (const [index, key] of this.#keys.entries()) {
      const expected = Buffer.from(signature(data, key));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return index;
    }
    return -1;
  }
}

function signature(data: string, key: string): string {
  return createHmac('sha1', key).update(data).digest('base64url');
}
