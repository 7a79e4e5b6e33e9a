import { expect } from 'chai';

import { followSignIn, signInMoved } from '../../interactions/sign_in/progress.ts';
import { systemClock } from '../../src/clock.ts';

/**
 * The follower of a double click is woken by the winner's move in this process, not by a timer:
 * with a recheck an hour away, only the signal can make these finish within the test's timeout.
 */
describe('following a parallel request of the same sign-in', () => {
  const hour = 60 * 60 * 1000;

  it('reads again when the sign-in moves in this process, and not before', async () => {
    let probes = 0;
    let moved = false;
    const following = followSignIn(
      systemClock,
      'uid-moved',
      async () => {
        probes += 1;
        return moved ? 'callback' : undefined;
      },
      { withinMs: hour, recheckMs: hour },
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes).to.equal(1);
    signInMoved('uid-other');
    await new Promise((resolve) => setImmediate(resolve));
    expect(probes, 'another sign-in moving wakes nobody here').to.equal(1);
    moved = true;
    signInMoved('uid-moved');
    expect(await following).to.equal('callback');
    expect(probes).to.equal(2);
  });

  it('misses no move made between its read and its wait', async () => {
    let moved = false;
    const answer = await followSignIn(
      systemClock,
      'uid-early',
      async () => {
        if (moved) return 'callback';
        // The winner moves while the follower's read is still on its way.
        moved = true;
        signInMoved('uid-early');
        return undefined;
      },
      { withinMs: hour, recheckMs: hour },
    );
    expect(answer).to.equal('callback');
  });

  it('gives up with nothing once its time is over', async () => {
    let now = 0;
    const clock = { now: () => now };
    const answer = await followSignIn(
      clock,
      'uid-never',
      async () => {
        now += 10_000;
        return undefined;
      },
      { withinMs: 5000, recheckMs: hour },
    );
    expect(answer).to.equal(undefined);
  });
});
