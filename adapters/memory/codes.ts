/** One-time codes in memory, one per interaction. */
import type { CodeInspection, CodeStore, StoredCode } from '../store/codes.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryCodes implements CodeStore, CodeInspection {
  readonly #codes: ExpiringMap<StoredCode>;

  constructor(maps: ExpiringMaps) {
    this.#codes = maps.create();
  }

  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    this.#codes.set(interactionUid, clone(code), ttlSeconds);
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    const code = this.#codes.get(interactionUid);
    return code && clone(code);
  }

  async countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const code = this.#codes.get(interactionUid);
    if (!code) return undefined;
    code.attempts += 1;
    return clone(code);
  }

  async consumeCode(interactionUid: string, codeId: string): Promise<boolean> {
    const code = this.#codes.get(interactionUid);
    if (!code || code.codeId !== codeId) return false;
    this.#codes.delete(interactionUid);
    return true;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    this.#codes.delete(interactionUid);
  }
}
