/**
 * Who is calling the management API: a bearer JWT access token that this provider issued to a
 * client through `client_credentials` with `resource=<ISSUER>/api` (RFC 8707), checked with
 * jose — signature against our own keys, issuer, audience, expiry, `typ: at+jwt` — and the
 * scope each route needs.
 */
import type { Context, Next } from 'koa';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import { z } from 'zod';

import { InsufficientScopeError, UnauthorizedError } from '../errors.ts';

export type ManagementScope = 'links:read' | 'links:write' | 'directory:read' | 'directory:write' | 'audit:read' | 'settings:write' | 'admin';

export interface ApiCaller {
  clientId: string;
  scopes: ReadonlySet<string>;
  /** Holds `admin`: sees and changes every client's links. */
  admin: boolean;
}

declare module 'koa' {
  interface DefaultState {
    caller?: ApiCaller;
  }
}

const claimsSchema = z.object({ client_id: z.string().min(1), scope: z.string().default('') });
const privateParts = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

export function apiAudience(issuer: string): string {
  return `${issuer}/api`;
}

/** `jwks` may change while running (managed keys replace its `keys` in place): the key set follows it. */
export function bearerAuth({ issuer, jwks }: { issuer: string; jwks: { keys: JWK[] } }) {
  let keySetOf = '';
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  const currentKeySet = () => {
    const kids = jwks.keys.map((key) => key.kid ?? '').join(' ');
    if (!keySet || kids !== keySetOf) {
      keySet = createLocalJWKSet({ keys: jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !(privateParts as readonly string[]).includes(name))) as JWK) });
      keySetOf = kids;
    }
    return keySet;
  };
  const audience = apiAudience(issuer);

  return async function authenticate(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization');
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!match) throw header ? new UnauthorizedError('the Authorization header must be "Bearer <token>"', 'invalid_request') : new UnauthorizedError('a bearer access token is required');
    try {
      const { payload } = await jwtVerify(match[1]!, currentKeySet(), { issuer, audience, typ: 'at+jwt', clockTolerance: 5 });
      const claims = claimsSchema.parse(payload);
      const scopes = new Set(claims.scope.split(' ').filter(Boolean));
      ctx.state.caller = { clientId: claims.client_id, scopes, admin: scopes.has('admin') };
    } catch (error) {
      throw new UnauthorizedError(describeTokenProblem(error), 'invalid_token', { cause: error });
    }
    await next();
  };
}

/** A route's scope check: 403 `insufficient_scope` naming the scope it needs. */
export function requireScope(...anyOf: ManagementScope[]) {
  return async function checkScope(ctx: Context, next: Next): Promise<void> {
    const caller = callerOf(ctx);
    if (!anyOf.some((scope) => caller.scopes.has(scope))) {
      throw new InsufficientScopeError(anyOf);
    }
    await next();
  };
}

export function callerOf(ctx: Context): ApiCaller {
  const caller = ctx.state.caller;
  if (!caller) throw new Error('bearerAuth must run before the route');
  return caller;
}

function describeTokenProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the access token is not for this API (its audience must be <ISSUER>/api: ask for it with resource=<ISSUER>/api)';
    if (error.claim === 'iss') return 'the access token was not issued by this provider';
    if (error.claim === 'typ') return 'not a JWT access token (typ at+jwt)';
    return `the access token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof z.ZodError) return 'the access token has no client_id';
  return 'the access token is invalid';
}
