/**
 * What the in-memory store keeps its state in, and the steps its parts share. Node runs one
 * callback at a time, so each store method is atomic as long as it does not await in the
 * middle — none does.
 */

import { copyOf } from '../shared/copy.ts';

interface Entry<T> {
  value: T;
  /** Epoch ms, or Infinity. */
  expiresAt: number;
}

/** A map whose entries expire; expired entries are invisible at once and swept now and then. */
export class ExpiringMap<T> {
  readonly #entries = new Map<string, Entry<T>>();

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  expiresAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#entries.get(key)?.expiresAt;
  }

  set(key: string, value: T, ttlSeconds: number | undefined): void {
    this.#entries.set(key, { value, expiresAt: ttlSeconds === undefined ? Infinity : Date.now() + ttlSeconds * 1000 });
  }

  /** Replaces the value and keeps the expiry. */
  update(key: string, value: T): void {
    const entry = this.#entries.get(key);
    if (entry) entry.value = value;
  }

  extend(key: string, expiresAt: number): void {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt < expiresAt) entry.expiresAt = expiresAt;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  *values(): IterableIterator<T> {
    for (const [key] of this.#entries) {
      const value = this.get(key);
      if (value !== undefined) yield value;
    }
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}

/** Every expiring map of one store, so that one timer sweeps them all. */
export class ExpiringMaps {
  readonly #all: ExpiringMap<unknown>[] = [];

  create<T>(): ExpiringMap<T> {
    const map = new ExpiringMap<T>();
    this.#all.push(map as ExpiringMap<unknown>);
    return map;
  }

  sweep(): void {
    for (const map of this.#all) map.sweep();
  }
}

/** What the store hands out or takes in is a copy: a caller changing it changes nothing stored. */
export const clone = <T>(value: T): T => copyOf(value);

/**
 * Compare-and-set on `version` for a durable record (a person, a link): replaces it only over the
 * version the caller read, and stores a copy as the next version. `assertKept` throws for a change
 * to what may never change.
 */
export function saveIfVersion<T extends { id: string; version: number }>(
  records: Map<string, T>,
  record: T,
  expectedVersion: number,
  assertKept: (stored: T, record: T) => void,
): boolean {
  const stored = records.get(record.id);
  if (!stored || stored.version !== expectedVersion) return false;
  assertKept(stored, record);
  records.set(record.id, { ...clone(record), version: expectedVersion + 1 });
  return true;
}
