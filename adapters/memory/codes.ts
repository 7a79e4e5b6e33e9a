/** One-time codes in memory, one per interaction. */
import type { CodeInspection, CodeStore, ConsumedCodeReset, StoredCode } from '../store/codes.ts';
import type { CounterStore } from '../store/counters.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryCodes implements CodeStore, CodeInspection {
  readonly #codes: ExpiringMap<StoredCode>;
  /** What a consumed code resets; its methods change the maps before they first await. */
  readonly #counters: Pick<CounterStore, 'deleteCounter' | 'releaseSlot'>;

  constructor(maps: ExpiringMaps, counters: Pick<CounterStore, 'deleteCounter' | 'releaseSlot'>) {
    this.#codes = maps.create();
    this.#counters = counters;
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

  async consumeCode(interactionUid: string, codeId: string, reset: ConsumedCodeReset = {}): Promise<boolean> {
    const code = this.#codes.get(interactionUid);
    if (!code || code.codeId !== codeId) return false;
    this.#codes.delete(interactionUid);
    // Called without awaiting in between, so all of it happens before anything else runs.
    await Promise.all([...(reset.counters ?? []).map((key) => this.#counters.deleteCounter(key)), ...(reset.slots ?? []).map((key) => this.#counters.releaseSlot(key))]);
    return true;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    this.#codes.delete(interactionUid);
  }
}
