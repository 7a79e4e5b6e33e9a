/**
 * One-time codes, one current code per interaction. The store never sees a code in clear: it
 * keeps an HMAC, so a copy of the store cannot sign anyone in. Counting an attempt and consuming
 * a code are each one atomic step, so parallel guesses are all counted and a code is used once.
 */

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

export interface CodeStore {
  /** Stores the interaction's code, replacing (and so invalidating) any previous one. */
  putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void>;
  /** Adds one to the code's attempt count in one atomic step and returns the code with the new count. */
  countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined>;
  /** Deletes the code if `codeId` is still the current one; true for exactly one caller. */
  consumeCode(interactionUid: string, codeId: string): Promise<boolean>;
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
