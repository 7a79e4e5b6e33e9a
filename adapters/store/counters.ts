/**
 * Counters for rate limits and lockouts (fixed windows), and single-holder slots (cooldowns,
 * lockouts). Windows are measured on the caller's clock (`now`, epoch ms), not the store's, so
 * every instance agrees and tests can move time; the store's own expiry only cleans up.
 * Incrementing and claiming are each one atomic step: N parallel requests see N distinct counts,
 * and one of them gets the slot.
 */

export interface CounterState {
  count: number;
  /** Epoch ms when the window ends and the count starts again from zero. */
  resetAt: number;
}

/** The limits of one request form, checked in this order: the first that refuses ends the check. */
export interface RequestLimits {
  /** A slot that refuses the request while it is held (a lockout); only read, never claimed here. */
  refusedWhileHeld: string;
  /** A slot the request claims (a cooldown); refused while another request holds it. */
  claims: { key: string; ttlSeconds: number };
  /** Then incremented as `incrementCountersWithin` does. */
  counters: readonly { key: string; windowSeconds: number; limit: number }[];
}

/** What `passLimits` found: the held slot (nothing changed), the claimed slot (nothing changed), or the counters' states. */
export type LimitsOutcome = { kind: 'held'; until: number } | { kind: 'cooling'; availableAt: number } | { kind: 'counted'; states: CounterState[] };

/** The limits of one attempt at a secret (a code): counted unless locked out, and locked out from the `lockAt`-th count on. */
export interface AttemptLimits {
  counter: { key: string; windowSeconds: number };
  lockout: { key: string; ttlSeconds: number; lockAt: number };
}

/**
 * What counting an attempt found (`CodeStore.countCodeEntry`). `locked`: refused, `counted` says
 * whether this attempt was counted (it was when it reached the limit while another attempt held
 * the lockout). `counted`: allowed; `lockedUntil` when this attempt reached the limit and claimed
 * the lockout itself.
 */
export type AttemptOutcome = { kind: 'locked'; until: number; counted: boolean } | { kind: 'counted'; state: CounterState; lockedUntil?: number | undefined };

export interface CounterStore {
  /** Adds `by` (default 1) to a counter; a window starts at the first increment after the last one ended and lasts `windowSeconds`. */
  incrementCounter(key: string, windowSeconds: number, now: number, by?: number): Promise<CounterState>;
  /**
   * Adds 1 to each counter in order, stopping after the first whose count passes its `limit`:
   * the ones after it stay as they were. Returns the states of those incremented, so the last
   * is over its limit or all are within. The same as `incrementCounter` one by one; Redis off
   * a Cluster does it in one round trip (one script), as the limits of one request form need.
   */
  incrementCountersWithin(counters: readonly { key: string; windowSeconds: number; limit: number }[], now: number): Promise<CounterState[]>;
  /**
   * The limits of a request form in one step: `peekSlot(refusedWhileHeld)`, then
   * `claimSlot(claims)`, then `incrementCountersWithin(counters)`, stopping at the first that
   * refuses, with the same answers as those calls one after another. Redis off a Cluster does it
   * in one round trip (one script); on a Cluster the keys live in other slots and it makes those
   * calls, in that order.
   */
  passLimits(limits: RequestLimits, now: number): Promise<LimitsOutcome>;
  readCounter(key: string, now: number): Promise<CounterState | undefined>;
  deleteCounter(key: string): Promise<void>;
  /** Takes a slot until `now + ttlSeconds` if it is free at `now`; otherwise says when it frees up. One of N parallel callers gets it. */
  claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }>;
  /** When a held slot frees up, or undefined when it is free at `now`. */
  peekSlot(key: string, now: number): Promise<number | undefined>;
  releaseSlot(key: string): Promise<void>;
}
