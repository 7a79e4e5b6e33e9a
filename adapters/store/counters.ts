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
  readCounter(key: string, now: number): Promise<CounterState | undefined>;
  deleteCounter(key: string): Promise<void>;
  /** Takes a slot until `now + ttlSeconds` if it is free at `now`; otherwise says when it frees up. One of N parallel callers gets it. */
  claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }>;
  /** When a held slot frees up, or undefined when it is free at `now`. */
  peekSlot(key: string, now: number): Promise<number | undefined>;
  releaseSlot(key: string): Promise<void>;
}
