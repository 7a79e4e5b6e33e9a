/** A clock tests move by hand, so nothing waits for real time to pass. */
import type { Clock } from '../../src/clock.ts';

export class ManualClock implements Clock {
  #offsetMs = 0;
  #frozenAt: number | undefined;

  now(): number {
    return this.#frozenAt ?? Date.now() + this.#offsetMs;
  }

  /**
   * Holds the clock at `at` (epoch ms) until `thaw()`, so several requests see one instant: the
   * clock otherwise runs on in real time, and a moment drawn just after `at` could fall between them.
   */
  freezeAt(at: number): void {
    this.#frozenAt = at;
  }

  /** Lets the clock run on in real time from where it was held. */
  thaw(): void {
    if (this.#frozenAt === undefined) return;
    this.#offsetMs = this.#frozenAt - Date.now();
    this.#frozenAt = undefined;
  }

  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }

  advanceDays(days: number): void {
    this.advance(days * 24 * 60 * 60 * 1000);
  }
}
