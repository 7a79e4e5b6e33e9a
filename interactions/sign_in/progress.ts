/**
 * How a request that lost a race to a parallel request of the same sign-in (a double click on
 * the code form) learns where the winner went, without polling the store on a timer.
 *
 * The winner, when it moves the sign-in on (a commit of its record, the interaction's result),
 * calls `signInMoved(uid)`; a follower of the same process wakes at once and reads the store
 * once. A winner on another instance of guestpass sends no signal here (a signal across instances
 * would cost every sign-in a command for a race that is rare), so the follower also reads the
 * store again after `recheckMs` — a few reads for the rare cross-instance double click instead of
 * one every 20 ms for every follower. A wake-up is only a hint to read again: what the follower
 * does is decided by what it reads, so a stray or missed signal changes nothing but timing.
 */
import type { Clock } from '../../src/clock.ts';

/** Followers waiting in this process, by interaction uid. */
const waiting = new Map<string, Set<() => void>>();

/** Sign-ins whose code a request of this process consumed lately, until its followers are sure to have looked. */
const consumedHere = new Map<string, NodeJS.Timeout>();

/**
 * A request of this process consumed the code of sign-in `uid` and is moving it on: a parallel
 * request that then finds no code (it counted its entry after the consume) follows instead of
 * saying "expired". Remembered for `forMs`, the longest a follower waits.
 */
export function codeConsumed(uid: string, forMs: number): void {
  clearTimeout(consumedHere.get(uid));
  const timer = setTimeout(() => consumedHere.delete(uid), forMs);
  timer.unref();
  consumedHere.set(uid, timer);
}

/** Whether a request of this process consumed the code of sign-in `uid` lately (`codeConsumed`). */
export function wasCodeConsumedHere(uid: string): boolean {
  return consumedHere.has(uid);
}

/** The sign-in of interaction `uid` moved on: followers in this process read the store again now. */
export function signInMoved(uid: string): void {
  const wakes = waiting.get(uid);
  if (!wakes) return;
  waiting.delete(uid);
  for (const wake of wakes) wake();
}

/** A wait for the next `signInMoved(uid)`, or `ms`, whichever comes first; registered at once, so no move is missed. */
function nextMove(uid: string, ms: number): { moved: Promise<void>; cancel: () => void } {
  let wakes = waiting.get(uid);
  if (!wakes) waiting.set(uid, (wakes = new Set()));
  const registered = wakes;
  let wake = () => {};
  const moved = new Promise<void>((resolve) => {
    wake = () => {
      clearTimeout(timer);
      registered.delete(wake);
      if (registered.size === 0 && waiting.get(uid) === registered) waiting.delete(uid);
      resolve();
    };
  });
  const timer = setTimeout(wake, ms);
  registered.add(wake);
  return { moved, cancel: wake };
}

/**
 * Asks `probe` (a read of the store) until it has an answer or `withinMs` have passed on `clock`
 * (undefined then): at once, then at each move of this sign-in in this process and at the latest
 * every `recheckMs`. The deadline is on the injected clock, so a test that moves time moves it too.
 */
export async function followSignIn<T>(clock: Clock, uid: string, probe: () => Promise<T | undefined>, { withinMs, recheckMs }: { withinMs: number; recheckMs: number }): Promise<T | undefined> {
  const deadline = clock.now() + withinMs;
  for (;;) {
    // Listening before reading: a move between the read and the wait still wakes us.
    const next = nextMove(uid, Math.min(recheckMs, Math.max(1, deadline - clock.now())));
    const answer = await probe().catch((error: unknown) => {
      next.cancel();
      throw error;
    });
    if (answer !== undefined || clock.now() >= deadline) {
      next.cancel();
      return answer;
    }
    await next.moved;
  }
}
