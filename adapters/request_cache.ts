/**
 * What one HTTP request has read from the store already, so that it reads each record once: the
 * policy (several decisions of one request each asked for it), people (oidc-provider's
 * `findAccount`, the claims and the sign-in each asked for the same person) and oidc-provider's
 * interactions, sessions and grants (it loads an interaction again to finish it). Measured on a full
 * sign-in on Redis this took 10 reads off the 80 commands guestpass sent (bench/README.md).
 *
 * The cache lives exactly as long as the request (AsyncLocalStorage, entered by the first
 * middleware); outside a request (the outbox, link checks, the CLI) every read goes to the store.
 * Nothing is kept across requests, so a change made elsewhere (another instance, the settings
 * API) applies from the next request on, as before. A write made through this process forgets the
 * entry it changed, so the request that wrote reads its own write. Each reader gets its own copy:
 * one caller changing what it got cannot change what the next one gets (`readOnceShared` skips
 * the copies for an answer nobody can change: the policy, which src/policy.ts freezes).
 *
 * A probe that waits for a parallel request's progress must read the store every time: it runs
 * under `readFresh`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { copyOf } from './shared/copy.ts';

type Entries = Map<string, Promise<unknown>>;

const requestEntries = new AsyncLocalStorage<Entries>();

/** Runs `work` (a request's handling) with a cache of its own. */
export function withRequestCache<T>(work: () => Promise<T>): Promise<T> {
  return requestEntries.run(new Map(), work);
}

/** koa middleware: the rest of the request runs with a cache of its own. */
export function requestCache(_ctx: unknown, next: () => Promise<unknown>): Promise<unknown> {
  return withRequestCache(next);
}

/**
 * `read()` once per request for `key`, and a copy of its answer for every caller. A read that
 * fails is not kept (the next caller tries again).
 */
export function readOnce<T>(key: string, read: () => Promise<T>): Promise<T> {
  // `then`, not an async function: one promise per read instead of two (bench/README.md, round 8).
  try {
    return entryOf(key, read).then(copyOf);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * `readOnce` for an answer nobody can change (deeply frozen): every caller gets that one answer,
 * with no copy.
 */
export function readOnceShared<T>(key: string, read: () => Promise<T>): Promise<T> {
  return entryOf(key, read);
}

function entryOf<T>(key: string, read: () => Promise<T>): Promise<T> {
  const entries = requestEntries.getStore();
  if (!entries) return read();
  let entry = entries.get(key) as Promise<T> | undefined;
  if (!entry) {
    entry = read();
    entries.set(key, entry);
    entry.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
  }
  return entry;
}

/** What this request now knows `key` to hold (it has just written it). */
export function remember<T>(key: string, value: T): void {
  requestEntries.getStore()?.set(key, Promise.resolve(copyOf(value)));
}

/** Forgets `key` for this request (it was written, or may have been). */
export function forget(key: string): void {
  requestEntries.getStore()?.delete(key);
}

/** Forgets everything this request read (a write whose reach is not known key by key). */
export function forgetAll(): void {
  requestEntries.getStore()?.clear();
}

/** Runs `read` with no request cache: for a probe that waits for another request to change the store. */
export function readFresh<T>(read: () => Promise<T>): Promise<T> {
  return requestEntries.exit(read);
}

/**
 * Runs `work` outside any request: for work a request starts that outlives it (the outbox's
 * timers), which must neither read through that request's cache nor keep it alive.
 */
export function outsideRequest<T>(work: () => T): T {
  return requestEntries.exit(work);
}
