/**
 * A bounded in-process cache: each value expires after its own TTL, and past `maxEntries` the
 * least recently used goes first. For answers that are cheap to ask again and expensive to ask
 * every time (which tenant owns a domain), where an outsider choosing the keys must not be able
 * to grow memory without bound. Time comes from the injected clock, so tests move it.
 */
import type { Clock } from './clock.ts';

export class LruCache<V> {
  /** A Map iterates in insertion order: re-inserting on use keeps the least recently used first. */
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.clock.now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  set(key: string, value: V, ttlSeconds: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.clock.now() + ttlSeconds * 1000 });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
