/**
 * What the file host keeps in a browser: four cookies, each signed (HMAC-SHA256) with the host's
 * session keys — the first signs, every one verifies, so keys rotate — and `HttpOnly`,
 * `SameSite=Lax`, `Secure` when the public URL is https. The host keeps no server-side state,
 * so any number of instances with the same keys can serve any request.
 *
 * - `filehost_signin_<start of state>` (path `/callback` only): one per sign-in under way —
 *   its `state`, `nonce`, PKCE verifier and the link it is for — for ten minutes, so two links
 *   opened in two tabs both come back. It is deleted when its callback arrives: used once.
 * - `filehost_session`: the proofs — "this browser signed in at guestpass as ada@… for link X",
 *   eight hours each, at most ten links. A proof only says who the person is; whether they may
 *   still have the file is asked of guestpass again at every download.
 * - `filehost_csrf`: the owner forms' CSRF token (signed double-submit). A real host would bind it
 *   to its owner's session; this example has no owner sign-in to bind it to.
 * - `filehost_flash`: a one-time message for the page a POST redirects to (post/redirect/get).
 *
 * Threats: a forged or edited cookie fails its signature and reads as absent. A replayed old
 * cookie is bounded by the expiry inside it and by the API check at download. Cookie values
 * are not secret from the person whose browser holds them (signed, not encrypted); none of them
 * is a guestpass token — the host keeps none.
 *
 * The names start with `filehost_` because browsers share cookies between ports of one host:
 * on localhost the file host and guestpass see each other's cookies.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';

import type { SignInAttempt } from './guestpass_client.ts';
import type { VerifiedRecipient } from './recipient_claims.ts';

export interface RecipientProof extends VerifiedRecipient {
  /** Epoch ms after which the proof is ignored and the person signs in again. */
  until: number;
}

export interface Flash {
  kind: 'error' | 'notice';
  text: string;
  /** A URL to show next to the message, ready to copy (the link just created). */
  linkUrl?: string | undefined;
  /** What the owner had typed, to put back into the form that failed. */
  form?: { emails: string; days: string } | undefined;
}

const cookieNames = { session: 'filehost_session', csrf: 'filehost_csrf', flash: 'filehost_flash' } as const;
const maxProofs = 10;
/** openid-client's `randomState()` is 43 base64url characters; anything else is not one of ours. */
const statePattern = /^[A-Za-z0-9_-]{16,128}$/;
export const proofLifetimeMs = 8 * 60 * 60 * 1000;

const attemptSchema = z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string(), sharingId: z.string(), expiresAt: z.number() });
const proofSchema = z.object({ sub: z.string(), email: z.string(), userType: z.enum(['adhoc', 'guest', 'member']), sharingId: z.string(), until: z.number() });
const flashSchema = z.object({
  kind: z.enum(['error', 'notice']),
  text: z.string(),
  linkUrl: z.string().optional(),
  form: z.object({ emails: z.string(), days: z.string() }).optional(),
});

export class BrowserState {
  readonly #ctx: Context;
  readonly #keys: readonly string[];
  readonly #now: () => number;

  constructor(ctx: Context, { keys, now = Date.now }: { keys: readonly string[]; now?: () => number }) {
    if (keys.length === 0) throw new Error('at least one session key is needed');
    this.#ctx = ctx;
    this.#keys = keys;
    this.#now = now;
  }

  // --- sign-in attempts ------------------------------------------------------------------------------

  addSignInAttempt(attempt: SignInAttempt): void {
    this.#write(signInCookieName(attempt.state), attempt, { path: '/callback', maxAgeMs: attempt.expiresAt - this.#now() });
  }

  /** The attempt this callback's `state` belongs to, removed so it cannot be used twice. */
  takeSignInAttempt(state: string): SignInAttempt | undefined {
    if (!statePattern.test(state)) return undefined;
    const name = signInCookieName(state);
    const attempt = this.#read(name, attemptSchema);
    if (!attempt) return undefined;
    this.#clear(name, '/callback');
    return sameString(attempt.state, state) && attempt.expiresAt > this.#now() ? attempt : undefined;
  }

  // --- proofs of sign-in ------------------------------------------------------------------------------

  proofFor(sharingId: string): RecipientProof | undefined {
    return this.#proofs().find((proof) => proof.sharingId === sharingId);
  }

  saveProof(recipient: VerifiedRecipient): void {
    const proof: RecipientProof = { ...recipient, until: this.#now() + proofLifetimeMs };
    const kept = this.#proofs().filter((other) => other.sharingId !== recipient.sharingId);
    this.#write(cookieNames.session, [proof, ...kept].slice(0, maxProofs), { maxAgeMs: proofLifetimeMs });
  }

  dropProof(sharingId: string): void {
    const proofs = this.#proofs();
    const kept = proofs.filter((proof) => proof.sharingId !== sharingId);
    if (kept.length === proofs.length) return;
    if (kept.length > 0) this.#write(cookieNames.session, kept, { maxAgeMs: proofLifetimeMs });
    else this.#clear(cookieNames.session, '/');
  }

  #proofs(): RecipientProof[] {
    const now = this.#now();
    return this.#read(cookieNames.session, z.array(proofSchema))?.filter((proof) => proof.until > now) ?? [];
  }

  // --- CSRF --------------------------------------------------------------------------------------------

  /** The token owner forms carry; made on the first page that needs one. */
  csrfToken(): string {
    const existing = this.#read(cookieNames.csrf, z.string().min(32));
    if (existing) return existing;
    const token = randomBytes(32).toString('base64url');
    this.#write(cookieNames.csrf, token, {});
    return token;
  }

  isCsrfTokenValid(given: unknown): boolean {
    const expected = this.#read(cookieNames.csrf, z.string().min(32));
    return typeof given === 'string' && expected !== undefined && sameString(given, expected);
  }

  // --- flash -----------------------------------------------------------------------------------------

  setFlash(flash: Flash): void {
    this.#write(cookieNames.flash, flash, { maxAgeMs: 60_000 });
  }

  takeFlash(): Flash | undefined {
    const flash = this.#read(cookieNames.flash, flashSchema);
    if (flash) this.#clear(cookieNames.flash, '/');
    return flash;
  }

  // --- cookies ----------------------------------------------------------------------------------------

  #read<S extends z.ZodType>(name: string, schema: S): z.output<S> | undefined {
    const cookie = this.#ctx.cookies.get(name, { signed: false });
    const dot = cookie?.lastIndexOf('.') ?? -1;
    if (!cookie || dot < 0) return undefined;
    const payload = cookie.slice(0, dot);
    const signature = cookie.slice(dot + 1);
    if (!this.#keys.some((key) => sameString(signature, sign(key, name, payload)))) return undefined;
    try {
      const parsed = schema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  #write(name: string, value: unknown, { path = '/', maxAgeMs }: { path?: string; maxAgeMs?: number }): void {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    const options = { ...this.#attributes(path), ...(maxAgeMs === undefined ? {} : { maxAge: Math.max(1000, maxAgeMs) }) };
    this.#ctx.cookies.set(name, `${payload}.${sign(this.#keys[0]!, name, payload)}`, options);
  }

  #clear(name: string, path: string): void {
    this.#ctx.cookies.set(name, null, this.#attributes(path));
  }

  #attributes(path: string) {
    // `secure` follows the connection as koa sees it; app.ts marks it secure when the public URL is https.
    return { signed: false, httpOnly: true, sameSite: 'lax' as const, secure: this.#ctx.cookies.secure, path, overwrite: true };
  }
}

/** One cookie per attempt, found by its state, so attempts in several tabs do not overwrite each other. */
function signInCookieName(state: string): string {
  return `filehost_signin_${state.slice(0, 16)}`;
}

/** The cookie's name is signed with its value, so one cookie's value cannot be moved into another. */
function sign(key: string, name: string, payload: string): string {
  return createHmac('sha256', key).update(`${name}=${payload}`).digest('base64url');
}

function sameString(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
