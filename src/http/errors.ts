/**
 * Where an error becomes an HTTP answer. Errors carry a code, never a status (`src/errors.ts`);
 * the status is derived here, once, for every edge: the management API's JSON errors
 * (`src/api/errors.ts`), the sign-in's error page, and koa's own answer for every other route
 * (invitations, the federation callback, …), which reads `status` and `expose` off the error.
 */
import type { Context, Next } from 'koa';

import { GuestpassError, ConflictError, InvalidCursorError, InvalidRequestError, ServiceUnavailableError, StoreContentionError, StoreUnavailableError, type GuestpassErrorCode } from '../errors.ts';

const statusByCode: Record<GuestpassErrorCode, number> = {
  invalid_request: 400,
  policy_violation: 400,
  unauthorized: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  request_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  store_unavailable: 503,
  // The sign-in's own signals: routes catch them; one that escapes is our fault.
  record_changed: 500,
  unexpected_step: 500,
  federation_failed: 500,
};

/** The HTTP status an error answers with: a caller's mistake is a 4xx, a store outage a 503, the rest 500. */
export function httpStatusOf(error: GuestpassError): number {
  return statusByCode[error.code];
}

/** Whether the message may be shown to whoever asked: for what they can act on (4xx) or wait out (503). */
export function isExposed(status: number): boolean {
  return status < 500 || status === 503;
}

/**
 * A store error as what it means to whoever asked: the store did not answer (503), the caller
 * handed a cursor it was never given (400), or a step kept losing to parallel writers (409, try
 * again). The result carries `status` and `expose` for koa. Any other error is returned as it is.
 */
export function storeErrorAsGuestpassError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return withHttpStatus(new ServiceUnavailableError('the store is unavailable', { cause: error }));
  if (error instanceof InvalidCursorError) return withHttpStatus(new InvalidRequestError('cursor is not one this API returned', { cause: error }));
  if (error instanceof StoreContentionError) return withHttpStatus(new ConflictError(error.message, { cause: error }));
  return error;
}

/** For routes that leave errors to koa: it answers with the `status` and `expose` found on the error. */
export function errorsAsHttpErrors(_ctx: Context, next: Next): Promise<void> {
  // One promise per request, not an async function's two (bench/README.md, round 8); koa-compose
  // turns a synchronous throw of `next` into a rejection before it gets here.
  return next().then(undefined, (error: unknown) => {
    const converted = storeErrorAsGuestpassError(error);
    throw converted instanceof GuestpassError ? withHttpStatus(converted) : converted;
  });
}

function withHttpStatus<E extends GuestpassError>(error: E): E & { status: number; expose: boolean } {
  const status = httpStatusOf(error);
  return Object.assign(error, { status, expose: isExposed(status) });
}
