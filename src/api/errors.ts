/**
 * Every API error is JSON `{error, error_description}` with a 4xx for anything the caller got
 * wrong, 503 when the store is away, and 500 (logged, without details) for our own faults.
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';

import { GuestpassError, InvalidRequestError, RateLimitedError, UnauthorizedError, InsufficientScopeError, MethodNotAllowedError, isStoreUnavailable, type GuestpassErrorCode } from '../errors.ts';
import { httpStatusOf, storeErrorAsGuestpassError } from '../http/errors.ts';
import type { Logger } from '../log.ts';

/** The `error` of the answer, where it is not the code itself (RFC 6750 and HTTP names the API has always used). */
const errorNames: Partial<Record<GuestpassErrorCode, string>> = { policy_violation: 'invalid_request', rate_limited: 'too_many_requests' };
/** What koa and the body parser throw carry a status only; the `error` their status stands for. */
const errorNamesByStatus: Record<number, string> = { 400: 'invalid_request', 401: 'invalid_token', 403: 'insufficient_scope', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict', 412: 'precondition_failed', 413: 'request_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests' };

/** A zod problem list as one sentence that names each field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
      if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => (field ? `${field}.${key}` : key)).join(', ')}`;
      const message = issue.code === 'invalid_type' && /received undefined/.test(issue.message) ? 'is required' : issue.message;
      return field ? `${field}: ${message}` : message;
    })
    .join('; ');
}

export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidRequestError(`${what}: ${describeZodError(result.error)}`);
  return result.data;
}

export function apiErrors(logger: Logger) {
  return async function renderApiError(ctx: Context, next: Next): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      const out = toResponse(error, logger, ctx);
      ctx.status = out.status;
      for (const [name, value] of Object.entries(out.headers)) ctx.set(name, value);
      ctx.body = { error: out.error, error_description: out.description };
    }
  };
}

interface ApiAnswer {
  status: number;
  error: string;
  description: string;
  headers: Record<string, string>;
}

function toResponse(error: unknown, logger: Logger, ctx: Context): ApiAnswer {
  if (isStoreUnavailable(error)) return { status: 503, error: 'temporarily_unavailable', description: 'the store is unavailable; try again shortly', headers: { 'Retry-After': '5' } };
  // A bad cursor (400) or a store step that kept losing to parallel writers (409).
  error = storeErrorAsGuestpassError(error);
  if (error instanceof GuestpassError && httpStatusOf(error) < 500) {
    return { status: httpStatusOf(error), error: errorNameOf(error), description: error.message, headers: headersFor(error) };
  }
  const status = (error as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: boolean }).expose) {
    // koa and the body parser throw these for bodies that are too large, malformed or of the wrong type.
    return { status, error: errorNamesByStatus[status] ?? 'invalid_request', description: (error as Error).message, headers: {} };
  }
  logger.error({ err: error, path: ctx.path }, 'api request failed');
  return { status: 500, error: 'server_error', description: 'something went wrong on our side', headers: {} };
}

function errorNameOf(error: GuestpassError): string {
  if (error instanceof UnauthorizedError) return error.bearerError ?? 'invalid_token';
  return errorNames[error.code] ?? error.code;
}

function headersFor(error: GuestpassError): Record<string, string> {
  if (error instanceof RateLimitedError) return { 'Retry-After': String(error.retryAfterSeconds) };
  if (error instanceof MethodNotAllowedError) return { Allow: error.allowed.join(', ') };
  if (error instanceof InsufficientScopeError) return { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${error.scopes.join(' ')}"` };
  if (error instanceof UnauthorizedError) {
    const params = ['realm="guestpass"', ...(error.bearerError ? [`error="${error.bearerError}"`, `error_description="${error.message}"`] : [])];
    return { 'WWW-Authenticate': `Bearer ${params.join(', ')}` };
  }
  return {};
}
