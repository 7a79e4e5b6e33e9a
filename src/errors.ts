/**
 * guestpass's errors, in the manner of jose's (`jose/src/util/errors.ts`): one base class, a
 * closed union of codes, one subclass per code with `static code`, `name` from the class,
 * `{ cause }` passed through. An error says what went wrong, never how to answer it: the HTTP
 * status is derived from the code at the edges (`src/http/errors.ts` for the API and koa, the
 * interaction error page for people).
 *
 * Two lower layers have roots of their own, as they import nothing of src/: the store's errors
 * (`adapters/errors.ts`) and the configuration's `ConfigError` (`config/errors.ts`). Both are
 * re-exported here, so this file lists every error guestpass throws.
 */
export type GuestpassErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'policy_violation'
  | 'rate_limited'
  | 'unauthorized'
  | 'insufficient_scope'
  | 'forbidden'
  | 'method_not_allowed'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'store_unavailable'
  | 'record_changed'
  | 'unexpected_step'
  | 'federation_failed';

export abstract class GuestpassError extends Error {
  static code: GuestpassErrorCode;
  readonly code: GuestpassErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: GuestpassErrorCode }).code;
  }
}

// --- what a caller got wrong ---------------------------------------------------------------------

/** The input is malformed or not acceptable; the message names the field and why. */
export class InvalidRequestError extends GuestpassError {
  static override code = 'invalid_request' as const;
}

/** No such thing — or one the caller may not see, which it is never told apart from none. */
export class NotFoundError extends GuestpassError {
  static override code = 'not_found' as const;
}

/** The thing kept changing under the caller, or is in a state that refuses the change; trying again may work. */
export class ConflictError extends GuestpassError {
  static override code = 'conflict' as const;
}

/** A conditional change (`If-Match`) named a version that is no longer current. */
export class PreconditionFailedError extends GuestpassError {
  static override code = 'precondition_failed' as const;
}

/** The sharing policy (SPEC §5) refuses it; the message names each address and why. */
export class PolicyViolationError extends GuestpassError {
  static override code = 'policy_violation' as const;
}

/** A limit on how often something may be done was reached; it may be done again after `retryAfterSeconds`. */
export class RateLimitedError extends GuestpassError {
  static override code = 'rate_limited' as const;
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** No credentials, or ones that prove nothing. `bearerError` is what RFC 6750 calls it, when it has a name. */
export class UnauthorizedError extends GuestpassError {
  static override code = 'unauthorized' as const;
  readonly bearerError: 'invalid_request' | 'invalid_token' | undefined;

  constructor(message: string, bearerError?: 'invalid_request' | 'invalid_token', options?: { cause?: unknown }) {
    super(message, options);
    this.bearerError = bearerError;
  }
}

/** The credentials are good but lack every one of `scopes`. */
export class InsufficientScopeError extends GuestpassError {
  static override code = 'insufficient_scope' as const;
  readonly scopes: readonly string[];

  constructor(scopes: readonly string[]) {
    super(`this needs the ${scopes.join(' or ')} scope`);
    this.scopes = scopes;
  }
}

/** Refused whoever asks this way: a form posted from another site, a missing or wrong CSRF token. */
export class ForbiddenError extends GuestpassError {
  static override code = 'forbidden' as const;
}

/** The path exists, the method does not; `allowed` lists those that do. */
export class MethodNotAllowedError extends GuestpassError {
  static override code = 'method_not_allowed' as const;
  readonly allowed: readonly string[];

  constructor(method: string, allowed: readonly string[]) {
    super(`${method} is not allowed here; use ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}

export class RequestTooLargeError extends GuestpassError {
  static override code = 'request_too_large' as const;
}

export class UnsupportedMediaTypeError extends GuestpassError {
  static override code = 'unsupported_media_type' as const;
}

// --- what a dependency did ---------------------------------------------------------------------

/** guestpass cannot answer now because its store does not; nothing was accepted, and trying again shortly is expected to work. */
export class ServiceUnavailableError extends GuestpassError {
  static override code = 'store_unavailable' as const;
}

/** A work-account provider's answer cannot be used: why, in `reason` (the sign-in tells the person). */
export class FederationError extends GuestpassError {
  static override code = 'federation_failed' as const;
  readonly reason: 'unknown_state' | 'state_mismatch' | 'upstream_error' | 'provider_unavailable';

  constructor(reason: FederationError['reason'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

// --- the sign-in state machine; routes catch these and show where the sign-in stands ---------------

/** Another request changed the sign-in since this one read it; re-read and decide again. */
export class RecordChangedError extends GuestpassError {
  static override code = 'record_changed' as const;
  readonly uid: string;

  constructor(uid: string) {
    super(`sign-in ${uid} changed meanwhile`);
    this.uid = uid;
  }
}

/** An event arrived at a step it may not start from: an error, never a fall-through. */
export class UnexpectedStepError extends GuestpassError {
  static override code = 'unexpected_step' as const;
  readonly expected: readonly string[];
  readonly actual: string;

  constructor(expected: readonly string[], actual: string) {
    super(`sign-in is at ${actual}, not ${expected.join(' or ')}`);
    this.expected = expected;
    this.actual = actual;
  }
}

// --- the roots of the layers below ----------------------------------------------------------------

/** Invalid configuration: start-up stops, naming every bad field. */
export { ConfigError } from '../config/errors.ts';
export { CorruptRecordError, InvalidCursorError, isStoreUnavailable, StoreContentionError, StoreError, StoreUnavailableError, UnsupportedStoreError } from '../adapters/errors.ts';
