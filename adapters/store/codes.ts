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

/** What `countCodeEntry` found: refused by the lockout (the code untouched), or counted, with the code as it is after its count (undefined: no code). */
export type CodeEntry = Extract<AttemptOutcome, { kind: 'locked' }> | (Extract<AttemptOutcome, { kind: 'counted' }> & { code: StoredCode | undefined });

/** What a right code clears as it is consumed, named as `CounterStore` names them: the counters to delete, the slots to free. */
export interface ConsumedCodeReset {
  counters?: readonly string[] | undefined;
  slots?: readonly string[] | undefined;
}

export interface CodeStore {
  /** Stores the interaction's code, replacing (and so invalidating) any previous one. */
  putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void>;
  /**
   * Stores `code` in place of the code `replacing` (its `codeId`), in one step, and says whether
   * it did: false, storing nothing, when another code replaced that one meanwhile (or it is gone).
   * For work that decides a code after its request stored a stand-in: a newer request wins.
   * Without `ttlSeconds` it keeps the expiry of the code it replaces (a stand-in stored for the
   * same expiry).
   */
  replaceCode(interactionUid: string, replacing: string, code: StoredCode, ttlSeconds?: number): Promise<boolean>;
  /**
   * An entry of a code, counted before it is compared. Refused while the lockout is held (nothing
   * counted); otherwise the counter is incremented, the entry that brings it to `lockAt` or past
   * claims the lockout (of parallel entries past the limit one is allowed per lockout period), and
   * then the code's own attempt count grows by one. The same as `peekSlot`, `incrementCounter`,
   * `claimSlot` (CounterStore), then the code's count, one after another: one step (one script) on
   * a single server or Sentinel, those calls in that order on a Cluster, where the keys live in
   * other slots. The only way a code's attempts are counted, so none is counted apart from the
   * address's entry.
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
