/**
 * One-time codes, one current code per interaction. The store never sees a code in clear: it
 * keeps an HMAC, so a copy of the store cannot sign anyone in. Counting an attempt and consuming
 * a code are each one atomic step, so parallel guesses are all counted and a code is used once.
 */
import type { AttemptLimits, AttemptOutcome } from './counters.ts';

export interface StoredCode {
  /** Random id of this issuance; consuming names it, so a newer code is never consumed by mistake. */
  codeId: string;
  /** The normalised address the code was issued for. */
  email: string;
  /** HMAC of (interaction, address, code) with the newest secret; the code itself is never stored. */
  digest: string;
  issuedAt: number;
  expiresAt: number;
  /** Entries counted against this code so far. */
  attempts: number;
}

/** What `countCodeEntry` found: refused by the lockout (the code untouched), or counted, with the code as `countCodeAttempt` returns it. */
export type CodeEntry = Extract<AttemptOutcome, { kind: 'locked' }> | (Extract<AttemptOutcome, { kind: 'counted' }> & { code: StoredCode | undefined });

/** What a right code clears as it is consumed, named as `CounterStore` names them: the counters to delete, the slots to free. */
export interface ConsumedCodeReset {
  counters?: readonly string[] | undefined;
  slots?: readonly string[] | undefined;
}

export interface CodeStore {
  /** Stores the interaction's code, replacing (and so invalidating) any previous one. */
  putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void>;
  /** Adds one to the code's attempt count in one atomic step and returns the code with the new count. */
  countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined>;
  /**
   * An entry of a code, counted before it is compared: `countAttempt(limits, now)` (CounterStore)
   * and, when that allows it, `countCodeAttempt`. One step (one script) on a single server or
   * Sentinel; those two calls in that order on a Cluster, where the keys live in other slots.
   */
  countCodeEntry(interactionUid: string, limits: AttemptLimits, now: number): Promise<CodeEntry>;
  /**
   * Deletes the code if `codeId` is still the current one; true for exactly one caller. That
   * caller's `reset` is cleared too (`deleteCounter`, `releaseSlot`): in the same step on a
   * single server or Sentinel, right after on a Cluster (where a crash between leaves the counts,
   * the safe side); nothing is cleared for a code that was not consumed.
   */
  consumeCode(interactionUid: string, codeId: string, reset?: ConsumedCodeReset): Promise<boolean>;
}

/**
 * What the contract suite reads and removes behind a sign-in's back. Not part of `Store`: a
 * sign-in only ever counts an attempt against a code or consumes it, so a read that counts
 * nothing, or a delete that names no issuance, has no place in production code.
 */
export interface CodeInspection {
  readCode(interactionUid: string): Promise<StoredCode | undefined>;
  deleteCode(interactionUid: string): Promise<void>;
}
