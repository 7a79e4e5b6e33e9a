/** A clock tests move by hand, so nothing waits for real time to pass. */
import type { Clock } from '../../src/clock.ts';

export class ManualClock implements Clock {
  #offsetMs = 0;
  #frozenAt: number | undefined;

  now(): number {
    return this.#frozenAt ?? Date.now() + this.#offsetMs;
  }

  /** Stops the clock at `at` (epoch ms) until `unfreeze()`: reads taken meanwhile see one instant. */
  freezeAt(at: number): void {
    this.#frozenAt = at;
  }

  /** Lets the clock run again from where it was frozen. */
  unfreeze(): void {
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
