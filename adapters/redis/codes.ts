/** One-time codes in Redis: one hash per interaction, so a script can count an attempt or consume the code atomically. */
import { z } from 'zod';

import type { CodeInspection, CodeStore, ConsumedCodeReset, StoredCode } from '../store/codes.ts';
import { RedisPart, toMs } from './connection.ts';
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

export class RedisCodes extends RedisPart implements CodeStore, CodeInspection {
  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    await this.redis.script('gpReplaceHash', this.keys.code(interactionUid), toMs(ttlSeconds), ...hashFields(code, codeFields));
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    return parseCode(await this.redis.run((client) => client.hgetall(this.keys.code(interactionUid))), interactionUid);
  }

  async countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const reply = (await this.redis.script('gpCountCodeAttempt', this.keys.code(interactionUid))) as string[] | null;
    return reply === null ? undefined : parseCode(pairsToRecord(reply), interactionUid);
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
}

/** An empty hash is no code (HGETALL of a missing key); anything else must be a whole code. */
function parseCode(stored: Record<string, string>, interactionUid: string): StoredCode | undefined {
  if (Object.keys(stored).length === 0) return undefined;
  return parseStored(codeSchema, stored, `code of interaction ${interactionUid}`);
}
