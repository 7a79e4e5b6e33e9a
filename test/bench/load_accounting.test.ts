/**
 * The sign-in bench's rate over a round's steady window (bench/signin/load.ts `windowRate`), on
 * timelines made up here, whose true rate is known. Nothing here is timed.
 */
import { expect } from 'chai';

import { windowRate } from '../../bench/signin/load.ts';

/** `concurrency` workers whose sign-ins each take `latencyMs`, all started at 0: they end in waves, every `latencyMs`. */
function lockstep(concurrency: number, latencyMs: number, untilMs: number): { at: number; totalMs: number }[] {
  const completed: { at: number; totalMs: number }[] = [];
  for (let at = latencyMs; at <= untilMs + latencyMs; at += latencyMs) {
    for (let worker = 0; worker < concurrency; worker += 1) completed.push({ at, totalMs: latencyMs });
  }
  return completed;
}

describe('the sign-in bench\'s rate over a steady window', () => {
  it('is the rate in flight over latency, whatever share of a wave its edges cut (256 in flight, 2.1 s each, an 8 s round)', () => {
    // 256 / 2.1 s ≈ 121.9 a second. The window, a quarter in to the deadline (2 s to 8 s), holds the
    // waves ending at 2.1, 4.2 and 6.3 s: counting them gives 768 / 6 s = 128 a second, 5% more, and
    // a window from 2.2 s would give 512 / 5.8 s ≈ 88 a second, 28% less.
    const completed = lockstep(256, 2100, 8000);
    for (const from of [2000, 2200]) {
      expect(windowRate(256, completed, [], { from, to: 8000 }), `from ${from} ms`).to.be.closeTo(256 / 2.1, 1e-9);
    }
  });

  it('counts a failed sign-in in the window as a worker\'s time that completed none, and a window with none as 0', () => {
    const completed = lockstep(4, 1000, 6000);
    expect(windowRate(4, completed, [2500, 3500], { from: 1500, to: 6000 })).to.be.closeTo(4 * (20 / 22), 1e-9);
    expect(windowRate(4, completed, [], { from: 1100, to: 1900 })).to.equal(0);
  });
});
