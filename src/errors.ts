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

/** The store (Redis) did not answer: fail closed, answer 503, accept nothing. */
export class StoreUnavailableError extends GuestpassError {
  constructor(cause?: unknown) {
    super('store_unavailable', 'the store is unavailable', { status: 503, cause });
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
