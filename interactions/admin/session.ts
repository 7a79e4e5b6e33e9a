/**
 * The console's own session: a short-lived cookie (`admin.sessionMinutes`), HttpOnly,
 * SameSite=Lax, Secure on an https issuer, sealed (AES-256-GCM under `keys.secrets`, a purpose
 * of its own) so nobody can read or forge it. It names the person, the role they signed in with,
 * the grant their sign-in made and the CSRF token of the console's forms.
 *
 * It is not trusted on its word: every request reads the person again (gone or disabled: the
 * session is over), asks their role again (removed: over; narrowed: narrowed) and looks for the
 * grant (ending the person's sessions — `revoke-sessions`, disabling, deleting — revokes it).
 *
 * Threats: a stolen cookie works until it expires or any of the above ends it (it is HttpOnly
 * and never in a URL); a forged or replayed form needs the session's CSRF token and a same-site
 * request (`rejectCrossSite`); a replayed callback needs the pending cookie of the browser that
 * started that sign-in (state, nonce and PKCE verifier live only there).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';

import { narrowerRole, consoleRoles } from '../../src/admin/roles.ts';
import { seal, unseal, type SealPurpose } from '../../src/mail/sealing.ts';
import type { ConsoleDeps, ConsoleUser } from './context.ts';

const sessionCookie = { name: 'gp_admin', path: '/admin' } as const;
const pendingCookie = { name: 'gp_admin_signin', path: '/admin/callback' } as const;
const sessionPurpose: SealPurpose = { salt: 'guestpass-admin', info: 'console-session-v1' };
const pendingPurpose: SealPurpose = { salt: 'guestpass-admin', info: 'console-sign-in-v1' };
const pendingSeconds = 15 * 60;

const sessionSchema = z.object({
  personId: z.string(),
  role: z.enum(consoleRoles),
  grantId: z.string(),
  csrf: z.string(),
  expiresAt: z.number(),
});
type SessionCookie = z.infer<typeof sessionSchema>;

const pendingSchema = z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string(), returnTo: z.string(), expiresAt: z.number() });
export type PendingSignIn = z.infer<typeof pendingSchema>;

type CookieDeps = Pick<ConsoleDeps, 'secrets' | 'issuer' | 'clock'>;

function cookieOptions(deps: CookieDeps, path: string, maxAgeMs: number) {
  return { path, httpOnly: true, sameSite: 'lax' as const, secure: deps.issuer.startsWith('https:'), signed: false, maxAge: maxAgeMs, overwrite: true };
}

function readSealed<T>(ctx: Context, deps: CookieDeps, name: string, purpose: SealPurpose, schema: z.ZodType<T>): T | undefined {
  const sealed = ctx.cookies.get(name, { signed: false });
  const opened = sealed && sealed.length < 4096 ? unseal<unknown>(deps.secrets, sealed, purpose) : undefined;
  const parsed = schema.safeParse(opened);
  return parsed.success ? parsed.data : undefined;
}

export function startPendingSignIn(ctx: Context, deps: CookieDeps, pending: Omit<PendingSignIn, 'expiresAt'>): void {
  const value: PendingSignIn = { ...pending, expiresAt: deps.clock.now() + pendingSeconds * 1000 };
  ctx.cookies.set(pendingCookie.name, seal(deps.secrets, value, pendingPurpose), cookieOptions(deps, pendingCookie.path, pendingSeconds * 1000));
}

/** The sign-in this browser started, used up: a callback is taken once. */
export function takePendingSignIn(ctx: Context, deps: CookieDeps): PendingSignIn | undefined {
  const pending = readSealed(ctx, deps, pendingCookie.name, pendingPurpose, pendingSchema);
  ctx.cookies.set(pendingCookie.name, null, { path: pendingCookie.path });
  return pending && pending.expiresAt > deps.clock.now() ? pending : undefined;
}

export function startSession(ctx: Context, deps: CookieDeps & Pick<ConsoleDeps, 'sessionMinutes'>, session: Omit<SessionCookie, 'csrf' | 'expiresAt'>): void {
  const lifetimeMs = deps.sessionMinutes * 60 * 1000;
  const value: SessionCookie = { ...session, csrf: randomBytes(24).toString('base64url'), expiresAt: deps.clock.now() + lifetimeMs };
  ctx.cookies.set(sessionCookie.name, seal(deps.secrets, value, sessionPurpose), cookieOptions(deps, sessionCookie.path, lifetimeMs));
}

export function endSession(ctx: Context): void {
  ctx.cookies.set(sessionCookie.name, null, { path: sessionCookie.path });
}

/** The console user of this request, re-checked against the directory, the roles and the grant; undefined when there is none (any more). */
export async function currentUser(ctx: Context, deps: Pick<ConsoleDeps, 'secrets' | 'issuer' | 'clock' | 'roles' | 'provider'>): Promise<ConsoleUser | undefined> {
  const session = readSealed(ctx, deps, sessionCookie.name, sessionPurpose, sessionSchema);
  if (!session || session.expiresAt <= deps.clock.now()) return undefined;
  const [now, grant] = await Promise.all([deps.roles.ofPerson(session.personId), deps.provider.Grant.find(session.grantId)]);
  if (!now || !grant || grant.accountId !== session.personId) return undefined;
  return { personId: session.personId, email: now.person.emailNormalized, role: narrowerRole(session.role, now.role), csrf: session.csrf };
}
