/**
 * Every API error is JSON `{error, error_description}` with a 4xx for anything the caller got
 * wrong, 503 when the store is away, and 500 (logged, without details) for our own faults.
 */
import type { Context, Next } from 'koa';
import type { z } from 'zod';

import { GuestpassError, isStoreUnavailable, RateLimitedError, storeErrorAsGuestpassError } from '../errors.ts';
import type { Logger } from '../log.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'ApiError';
  }
}

const errorCodes: Record<number, string> = { 400: 'invalid_request', 401: 'invalid_token', 403: 'insufficient_scope', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict', 412: 'precondition_failed', 413: 'request_too_large', 415: 'unsupported_media_type', 429: 'too_many_requests' };

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
  if (!result.success) throw new ApiError(400, 'invalid_request', `${what}: ${describeZodError(result.error)}`);
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

function toResponse(error: unknown, logger: Logger, ctx: Context): { status: number; error: string; description: string; headers: Record<string, string> } {
  if (error instanceof ApiError) return { status: error.status, error: error.error, description: error.description, headers: error.headers };
  if (isStoreUnavailable(error)) return { status: 503, error: 'temporarily_unavailable', description: 'the store is unavailable; try again shortly', headers: { 'Retry-After': '5' } };
  if (error instanceof RateLimitedError) return { status: 429, error: 'too_many_requests', description: error.message, headers: { 'Retry-After': String(error.retryAfterSeconds) } };
  // A bad cursor (400) or a store step that kept losing to parallel writers (409).
  error = storeErrorAsGuestpassError(error);
  if (error instanceof GuestpassError && error.status < 500) {
    return { status: error.status, error: errorCodes[error.status] ?? error.code, description: error.message, headers: {} };
  }
  const status = (error as { status?: number; expose?: boolean }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: boolean }).expose) {
    // koa and the body parser throw these for bodies that are too large, malformed or of the wrong type.
    return { status, error: errorCodes[status] ?? 'invalid_request', description: (error as Error).message, headers: {} };
  }
  logger.error({ err: error, path: ctx.path }, 'api request failed');
  return { status: 500, error: 'server_error', description: 'something went wrong on our side', headers: {} };
}
