/**
 * What a store throws of its own, in the manner of jose's errors: a class per code, `static
 * code` and `code` alike, `name` from the class, `cause` passed through. No HTTP here: the
 * routes decide what a caller is told (`src/api/errors.ts` and the page handlers map these).
 */
export type StoreErrorCode = 'store_unavailable' | 'invalid_cursor' | 'store_contention' | 'corrupt_record' | 'unsupported_store';

export abstract class StoreError extends Error {
  static code: StoreErrorCode;
  readonly code: StoreErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as unknown as { code: StoreErrorCode }).code;
  }
}

/** The store (Redis) did not answer: the caller fails closed and accepts nothing. */
export class StoreUnavailableError extends StoreError {
  static override code = 'store_unavailable' as const;

  constructor(cause?: unknown) {
    super('the store is unavailable', { cause });
  }
}

/** A list was given a cursor that is not a `nextCursor` the store handed out. */
export class InvalidCursorError extends StoreError {
  static override code = 'invalid_cursor' as const;

  constructor() {
    super('the cursor is not one this store returned');
  }
}

/**
 * A step that spans several keys kept losing to parallel writers and gave up rather than loop;
 * nothing unsafe was written, and trying again later is expected to succeed.
 */
export class StoreContentionError extends StoreError {
  static override code = 'store_contention' as const;
}

/**
 * A value read back is not what the store writes there (edited by hand, written by something
 * else, cut short): refused, never passed on as a wrong value. Our fault or the operator's, not
 * the caller's; retrying does not help.
 */
export class CorruptRecordError extends StoreError {
  static override code = 'corrupt_record' as const;

  /** `what` names the record (never its content): "person person-1", "the code of interaction abc". */
  constructor(what: string, problem: string, cause?: unknown) {
    super(`the stored ${what} is corrupt: ${problem}`, { cause });
  }
}

/** The store answers, but is a server guestpass cannot run on (a Redis older than 7.0): start-up stops. */
export class UnsupportedStoreError extends StoreError {
  static override code = 'unsupported_store' as const;
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
