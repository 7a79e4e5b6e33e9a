/** One-time codes in Redis: one hash per interaction, so a script can count an attempt or consume the code atomically. */
import { z } from 'zod';

import type { CodeEntry, CodeInspection, CodeStore, ConsumedCodeReset, StoredCode } from '../store/codes.ts';
import type { AttemptLimits, AttemptOutcome, CounterStore } from '../store/counters.ts';
import { RedisPart, toMs, type RedisConnection } from './connection.ts';
import { hashFields, pairsToRecord, parseStored, storedInteger, storedNumber } from './stored.ts';

const codeSchema = z.object({
  codeId: z.string().min(1),
  email: z.string().min(1),
  digest: z.string().min(1),
  issuedAt: storedNumber,
  expiresAt: storedNumber,
  attempts: storedInteger,
}) satisfies z.ZodType<StoredCode>;

const codeFields = codeSchema.keyof().options;

/** What gpCountCodeEntry answers: 0 and the lockout's end, or 1 or 2 (claimed the lockout), count, resetAt, locked until (0: none), the code's pairs. */
const entryReply = z.union([
  z.tuple([z.literal(0), z.number()]),
  z.tuple([z.union([z.literal(1), z.literal(2)]), z.int(), z.number(), z.number(), z.array(z.string())]),
]);

export class RedisCodes extends RedisPart implements CodeStore, CodeInspection {
  /** Where an entry is counted on a Cluster, before the code is. */
  readonly #counters: Pick<CounterStore, 'peekSlot' | 'incrementCounter' | 'claimSlot'>;

  constructor(redis: RedisConnection, counters: Pick<CounterStore, 'peekSlot' | 'incrementCounter' | 'claimSlot'>) {
    super(redis);
    this.#counters = counters;
  }

  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    // Every field of a code is written, so none of a code it replaces is left over ('').
    await this.redis.script('gpReplaceHash', this.keys.code(interactionUid), toMs(ttlSeconds), '', ...hashFields(code, codeFields));
  }

  async replaceCode(interactionUid: string, replacing: string, code: StoredCode, ttlSeconds?: number): Promise<boolean> {
    const ttlMs = ttlSeconds === undefined ? 0 : toMs(ttlSeconds);
    return (await this.redis.script('gpReplaceCode', this.keys.code(interactionUid), replacing, ttlMs, ...hashFields(code, codeFields))) === 1;
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    return parseCode(await this.redis.run((client) => client.hgetall(this.keys.code(interactionUid))), interactionUid);
  }

  async countCodeEntry(interactionUid: string, limits: AttemptLimits, now: number): Promise<CodeEntry> {
    if (this.redis.cluster) {
      // Other slots: the entry first, then the code, only when the entry is allowed.
      const attempt = await this.#countEntryAcrossSlots(limits, now);
      return attempt.kind === 'locked' ? attempt : { ...attempt, code: await this.#countCodeAttempt(interactionUid) };
    }
    const { counter, lockout } = limits;
    const reply = await this.redis.script(
      'gpCountCodeEntry',
      this.keys.slot(lockout.key),
      this.keys.counter(counter.key),
      this.keys.code(interactionUid),
      Math.floor(now),
      toMs(counter.windowSeconds),
      toMs(lockout.ttlSeconds),
      lockout.lockAt,
    );
    const parsed = parseStored(entryReply, reply, 'code entry');
    if (parsed[0] === 0) return { kind: 'locked', until: parsed[1], counted: false };
    const [claimed, count, resetAt, lockedUntil, pairs] = parsed;
    const code = parseCode(pairsToRecord(pairs), interactionUid);
    return claimed === 2 ? { kind: 'counted', state: { count, resetAt }, lockedUntil, code } : { kind: 'counted', state: { count, resetAt }, code };
  }

  async consumeCode(interactionUid: string, codeId: string, reset: ConsumedCodeReset = {}): Promise<boolean> {
    const cleared = [...(reset.counters ?? []).map((key) => this.keys.counter(key)), ...(reset.slots ?? []).map((key) => this.keys.slot(key))];
    if (cleared.length > 0 && !this.redis.cluster) {
      return (await this.redis.script('gpConsumeCodeAndClear', 1 + cleared.length, this.keys.code(interactionUid), ...cleared, codeId)) === 1;
    }
    if ((await this.redis.script('gpConsumeCode', this.keys.code(interactionUid), codeId)) !== 1) return false;
    // Other slots: after the code, one key at a time (a crash between keeps counts, never loses the code's single use).
    for (const key of cleared) await this.redis.run((client) => client.del(key));
    return true;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.code(interactionUid)));
  }

  /** gpCountCodeEntry's first half as the calls it stands for; a parallel entry may take the lockout between them. */
  async #countEntryAcrossSlots({ counter, lockout }: AttemptLimits, now: number): Promise<AttemptOutcome> {
    const heldUntil = await this.#counters.peekSlot(lockout.key, now);
    if (heldUntil !== undefined) return { kind: 'locked', until: heldUntil, counted: false };
    const state = await this.#counters.incrementCounter(counter.key, counter.windowSeconds, now);
    if (state.count < lockout.lockAt) return { kind: 'counted', state };
    const claim = await this.#counters.claimSlot(lockout.key, lockout.ttlSeconds, now);
    return claim.claimed ? { kind: 'counted', state, lockedUntil: claim.availableAt } : { kind: 'locked', until: claim.availableAt, counted: true };
  }

  /** gpCountCodeEntry's second half: adds one to the code's attempt count in one atomic step, and returns the code with the new count. */
  async #countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const reply = (await this.redis.script('gpCountCodeAttempt', this.keys.code(interactionUid))) as string[] | null;
    return reply === null ? undefined : parseCode(pairsToRecord(reply), interactionUid);
  }
}

/** An empty hash is no code (HGETALL of a missing key); anything else must be a whole code. */
function parseCode(stored: Record<string, string>, interactionUid: string): StoredCode | undefined {
  if (Object.keys(stored).length === 0) return undefined;
  return parseStored(codeSchema, stored, `code of interaction ${interactionUid}`);
}
