/** One-time codes in Redis: one hash per interaction, so a script can count an attempt or consume the code atomically. */
import { z } from 'zod';

import type { CodeInspection, CodeStore, StoredCode } from '../store/codes.ts';
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

  async consumeCode(interactionUid: string, codeId: string): Promise<boolean> {
    return (await this.redis.script('gpConsumeCode', this.keys.code(interactionUid), codeId)) === 1;
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
