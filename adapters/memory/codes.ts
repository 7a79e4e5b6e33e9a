/** One-time codes in memory, one per interaction. */
import type { CodeEntry, CodeInspection, CodeStore, ConsumedCodeReset, StoredCode } from '../store/codes.ts';
import type { AttemptLimits } from '../store/counters.ts';
import type { MemoryCounters } from './counters.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryCodes implements CodeStore, CodeInspection {
  readonly #codes: ExpiringMap<StoredCode>;
  /** The counters an entry is counted on and a consumed code clears, in the same step. */
  readonly #counters: Pick<MemoryCounters, 'countAttemptNow' | 'clearNow'>;

  constructor(maps: ExpiringMaps, counters: Pick<MemoryCounters, 'countAttemptNow' | 'clearNow'>) {
    this.#codes = maps.create();
    this.#counters = counters;
  }

  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    this.#codes.set(interactionUid, clone(code), ttlSeconds);
  }

  async replaceCode(interactionUid: string, replacing: string, code: StoredCode, ttlSeconds?: number): Promise<boolean> {
    if (this.#codes.get(interactionUid)?.codeId !== replacing) return false;
    if (ttlSeconds === undefined) this.#codes.update(interactionUid, clone(code));
    else this.#codes.set(interactionUid, clone(code), ttlSeconds);
    return true;
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    const code = this.#codes.get(interactionUid);
    return code && clone(code);
  }

  async countCodeEntry(interactionUid: string, limits: AttemptLimits, now: number): Promise<CodeEntry> {
    const attempt = this.#counters.countAttemptNow(limits, now);
    return attempt.kind === 'locked' ? attempt : { ...attempt, code: this.#countNow(interactionUid) };
  }

  async consumeCode(interactionUid: string, codeId: string, reset: ConsumedCodeReset = {}): Promise<boolean> {
    const code = this.#codes.get(interactionUid);
    if (!code || code.codeId !== codeId) return false;
    this.#codes.delete(interactionUid);
    this.#counters.clearNow(reset.counters ?? [], reset.slots ?? []);
    return true;
  }

  #countNow(interactionUid: string): StoredCode | undefined {
    const code = this.#codes.get(interactionUid);
    if (!code) return undefined;
    code.attempts += 1;
    return clone(code);
  }

  async deleteCode(interactionUid: string): Promise<void> {
    this.#codes.delete(interactionUid);
  }
}
