/** Counters and slots in memory; windows on the caller's clock, as in Redis. Each method runs without awaiting, so it is one atomic step. */
import type { AttemptLimits, AttemptOutcome, CounterState, CounterStore, LimitsOutcome, RequestLimits } from '../store/counters.ts';
import type { ExpiringMap, ExpiringMaps } from './maps.ts';

type Counters = readonly { key: string; windowSeconds: number; limit: number }[];

export class MemoryCounters implements CounterStore {
  readonly #counters: ExpiringMap<CounterState>;
  /** Held until, epoch ms. */
  readonly #slots: ExpiringMap<number>;

  constructor(maps: ExpiringMaps) {
    this.#counters = maps.create();
    this.#slots = maps.create();
  }

  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    return this.#increment(key, windowSeconds, now, by);
  }

  async incrementCountersWithin(counters: Counters, now: number): Promise<CounterState[]> {
    return this.#incrementWithin(counters, now);
  }

  async passLimits(limits: RequestLimits, now: number): Promise<LimitsOutcome> {
    const heldUntil = this.#heldUntil(limits.refusedWhileHeld, now);
    if (heldUntil !== undefined) return { kind: 'held', until: heldUntil };
    const claim = this.#claim(limits.claims.key, limits.claims.ttlSeconds, now);
    if (!claim.claimed) return { kind: 'cooling', availableAt: claim.availableAt };
    return { kind: 'counted', states: this.#incrementWithin(limits.counters, now) };
  }

  /**
   * The first half of `countCodeEntry` (`CodeStore`): the address's entry counted, and the
   * lockout claimed at its count. Without a promise, so the codes of this store count the code
   * in the same step.
   */
  countAttemptNow(limits: AttemptLimits, now: number): AttemptOutcome {
    const heldUntil = this.#heldUntil(limits.lockout.key, now);
    if (heldUntil !== undefined) return { kind: 'locked', until: heldUntil, counted: false };
    const state = this.#increment(limits.counter.key, limits.counter.windowSeconds, now, 1);
    if (state.count < limits.lockout.lockAt) return { kind: 'counted', state };
    // Free a moment ago and nothing ran since, so this claim succeeds; the Cluster path may lose it.
    const claim = this.#claim(limits.lockout.key, limits.lockout.ttlSeconds, now);
    return claim.claimed ? { kind: 'counted', state, lockedUntil: claim.availableAt } : { kind: 'locked', until: claim.availableAt, counted: true };
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const current = this.#counters.get(key);
    return current && current.resetAt > now ? { ...current } : undefined;
  }

  async deleteCounter(key: string): Promise<void> {
    this.clearNow([key], []);
  }

  /** `deleteCounter` and `releaseSlot` without a promise, for a consumed code to clear in the same step. */
  clearNow(counters: readonly string[], slots: readonly string[]): void {
    for (const key of counters) this.#counters.delete(key);
    for (const key of slots) this.#slots.delete(key);
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    return this.#claim(key, ttlSeconds, now);
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    return this.#heldUntil(key, now);
  }

  async releaseSlot(key: string): Promise<void> {
    this.clearNow([], [key]);
  }

  #increment(key: string, windowSeconds: number, now: number, by: number): CounterState {
    const current = this.#counters.get(key);
    if (!current || current.resetAt <= now) {
      const state = { count: by, resetAt: now + windowSeconds * 1000 };
      this.#counters.set(key, state, windowSeconds);
      return { ...state };
    }
    current.count += by;
    return { ...current };
  }

  #incrementWithin(counters: Counters, now: number): CounterState[] {
    const states: CounterState[] = [];
    for (const { key, windowSeconds, limit } of counters) {
      const state = this.#increment(key, windowSeconds, now, 1);
      states.push(state);
      if (state.count > limit) break;
    }
    return states;
  }

  #claim(key: string, ttlSeconds: number, now: number): { claimed: boolean; availableAt: number } {
    const heldUntil = this.#heldUntil(key, now);
    if (heldUntil !== undefined) return { claimed: false, availableAt: heldUntil };
    const availableAt = now + ttlSeconds * 1000;
    this.#slots.set(key, availableAt, ttlSeconds);
    return { claimed: true, availableAt };
  }

  #heldUntil(key: string, now: number): number | undefined {
    const heldUntil = this.#slots.get(key);
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }
}
