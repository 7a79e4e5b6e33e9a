/** One-time codes in Redis: one hash per interaction, so a script can count an attempt or consume the code atomically. */
import type { CodeInspection, CodeStore, StoredCode } from '../store/codes.ts';
import { pairsToRecord, RedisPart, toMs } from './connection.ts';

export class RedisCodes extends RedisPart implements CodeStore, CodeInspection {
  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    const fields = [
      ['codeId', code.codeId],
      ['email', code.email],
      ['digest', code.digest],
      ['issuedAt', code.issuedAt],
      ['expiresAt', code.expiresAt],
      ['attempts', code.attempts],
    ].flat();
    await this.redis.script('gpReplaceHash', this.keys.code(interactionUid), toMs(ttlSeconds), ...fields);
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    return parseCode(await this.redis.run((client) => client.hgetall(this.keys.code(interactionUid))));
  }

  async countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const reply = (await this.redis.script('gpCountCodeAttempt', this.keys.code(interactionUid))) as string[] | null;
    return reply === null ? undefined : parseCode(pairsToRecord(reply));
  }

  async consumeCode(interactionUid: string, codeId: string): Promise<boolean> {
    return (await this.redis.script('gpConsumeCode', this.keys.code(interactionUid), codeId)) === 1;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.code(interactionUid)));
  }
}

function parseCode(stored: Record<string, string>): StoredCode | undefined {
  if (stored.codeId === undefined) return undefined;
  return {
    codeId: stored.codeId,
    email: stored.email ?? '',
    digest: stored.digest ?? '',
    issuedAt: Number(stored.issuedAt),
    expiresAt: Number(stored.expiresAt),
    attempts: Number(stored.attempts),
  };
}
