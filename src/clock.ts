/** Time as the domain sees it. Injected everywhere so tests can move it instead of sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Asks `probe` again every `everyMs` until it has an answer, or until `withinMs` have passed on
 * `clock` (undefined then). The one wait a request may do: following a parallel request of the
 * same sign-in that is a few store round trips ahead (a double click). The deadline is on the
 * injected clock, never the wall clock, so a test that moves time moves it too.
 */
export async function waitFor<T>(clock: Clock, probe: () => Promise<T | undefined>, { withinMs, everyMs }: { withinMs: number; everyMs: number }): Promise<T | undefined> {
  const deadline = clock.now() + withinMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined || clock.now() >= deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
