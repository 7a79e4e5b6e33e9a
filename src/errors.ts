import { InvalidCursorError, StoreContentionError, StoreUnavailableError } from '../adapters/errors.ts';

/**
 * One error base for guestpass. `code` is a closed union so callers switch on it; `status` is
 * set only for errors a caller caused (4xx) or a dependency caused (503), and `expose` says
 * whether the message may be shown.
 */
export type GuestpassErrorCode =
  | 'invalid_configuration'
  | 'store_unavailable'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'policy_violation'
  | 'rate_limited';

export class GuestpassError extends Error {
  readonly code: GuestpassErrorCode;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: GuestpassErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = this.status < 500 || this.status === 503;
  }
}

/** A limit on how often something may be done was reached; it may be done again after `retryAfterSeconds`. */
export class RateLimitedError extends GuestpassError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, { status: 429 });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Invalid configuration: start-up stops, naming every bad field. */
export class ConfigError extends GuestpassError {
  readonly problems: string[];

  constructor(problems: string[]) {
    super('invalid_configuration', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** The store's own errors live with the store (adapters know nothing of HTTP); these names stay here for callers. */
export { isStoreUnavailable, StoreUnavailableError } from '../adapters/errors.ts';

/**
 * A store error as what it means to whoever asked: the store did not answer (503), the caller
 * handed a cursor it was never given (400), or a step kept losing to parallel writers (409, try
 * again). Any other error is returned as it is.
 */
export function storeErrorAsGuestpassError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return new GuestpassError('store_unavailable', 'the store is unavailable', { status: 503, cause: error });
  if (error instanceof InvalidCursorError) return new GuestpassError('invalid_request', 'cursor is not one this API returned', { status: 400, cause: error });
  if (error instanceof StoreContentionError) return new GuestpassError('conflict', error.message, { status: 409, cause: error });
  return error;
}
