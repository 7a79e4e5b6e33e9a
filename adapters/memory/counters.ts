/** Counters and slots in memory; windows on the caller's clock, as in Redis. */
import type { CounterState, CounterStore } from '../store/counters.ts';
import type { ExpiringMap, ExpiringMaps } from './maps.ts';

export class MemoryCounters implements CounterStore {
  readonly #counters: ExpiringMap<CounterState>;
  /** Held until, epoch ms. */
  readonly #slots: ExpiringMap<number>;

  constructor(maps: ExpiringMaps) {
    this.#counters = maps.create();
    this.#slots = maps.create();
  }

  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const current = this.#counters.get(key);
    if (!current || current.resetAt <= now) {
      const state = { count: by, resetAt: now + windowSeconds * 1000 };
      this.#counters.set(key, state, windowSeconds);
      return { ...state };
    }
    current.count += by;
    return { ...current };
  }

  async incrementCountersWithin(counters: readonly { key: string; windowSeconds: number; limit: number }[], now: number): Promise<CounterState[]> {
    const states: CounterState[] = [];
    for (const { key, windowSeconds, limit } of counters) {
      const state = await this.incrementCounter(key, windowSeconds, now);
      states.push(state);
      if (state.count > limit) break;
    }
    return states;
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const current = this.#counters.get(key);
    return current && current.resetAt > now ? { ...current } : undefined;
  }

  async deleteCounter(key: string): Promise<void> {
    this.#counters.delete(key);
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    const heldUntil = this.#slots.get(key);
    if (heldUntil !== undefined && heldUntil > now) return { claimed: false, availableAt: heldUntil };
    const availableAt = now + ttlSeconds * 1000;
    this.#slots.set(key, availableAt, ttlSeconds);
    return { claimed: true, availableAt };
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    const heldUntil = this.#slots.get(key);
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }

  async releaseSlot(key: string): Promise<void> {
    this.#slots.delete(key);
  }
}
