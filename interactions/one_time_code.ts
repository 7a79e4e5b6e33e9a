/**
 * The one-time code itself: made, kept and checked. Pure functions, no I/O.
 *
 * - Codes come from the CSPRNG (`crypto.randomInt`, uniform over the digits).
 * - Only an HMAC is kept. It binds the code to one interaction and one address, so a code
 *   read from one sign-in is worthless in any other, and a leaked store reveals no codes.
 * - Checking tries every configured secret (newest first), so secrets rotate without
 *   breaking codes already in flight, and compares in constant time.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export interface CodeBinding {
  interactionUid: string;
  /** Normalised address. */
  email: string;
}

export function generateCode(length: number): string {
  let code = '';
  for (let index = 0; index < length; index += 1) code += String(randomInt(10));
  return code;
}

export function digestCode(secret: string, binding: CodeBinding, code: string): string {
  return createHmac('sha256', secret)
    .update(`guestpass-otp\0${binding.interactionUid}\0${binding.email}\0${code}`)
    .digest('base64url');
}

export function codeMatches(secrets: readonly string[], binding: CodeBinding, candidate: string, digest: string): boolean {
  const expected = Buffer.from(digest, 'base64url');
  let matched = false;
  for (const secret of secrets) {
    const actual = Buffer.from(digestCode(secret, binding, candidate), 'base64url');
    // No early exit: every secret is tried, so timing does not tell which one matched.
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) matched = true;
  }
  return matched;
}

/** People paste codes with spaces or dashes ("123 456"); keep the digits, reject anything else. */
export function normalizeCodeInput(input: string, length: number): string | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${length}}$`).test(digits) ? digits : undefined;
}
