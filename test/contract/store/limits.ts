/**
 * The contract for the limits of a request form (`passLimits`) and of an attempt at a code (the
 * address's count and lockout in `countCodeEntry`; `codes.ts` has what it does to the code): one
 * step each off a Cluster, separate calls on one, the same answers either way.
 */
import { expect } from 'chai';

import type { AttemptLimits, RequestLimits } from '../../../adapters/store.ts';
import { type ContractStore, times } from './fixtures.ts';

const formLimits = (address: string, addressLimit = 5, ipLimit = 100): RequestLimits => ({
  refusedWhileHeld: `lockout:${address}`,
  claims: { key: `cooldown:${address}`, ttlSeconds: 60 },
  counters: [
    { key: `sent:${address}`, windowSeconds: 3600, limit: addressLimit },
    { key: 'sent-ip:192.0.2.7', windowSeconds: 3600, limit: ipLimit },
  ],
});

const attemptLimits = (address: string, lockAt: number): AttemptLimits => ({
  counter: { key: `failures:${address}`, windowSeconds: 86_400 },
  lockout: { key: `lockout:${address}`, ttlSeconds: 900, lockAt },
});

export function limitsContract(store: ContractStore): void {
  describe('limits of a request form', () => {
    it('passLimits claims the cooldown and counts each counter, as the calls one after another', async () => {
      const now = Date.now();
      expect(await store.passLimits(formLimits('ada@example.com'), now)).to.deep.equal({
        kind: 'counted',
        states: [
          { count: 1, resetAt: now + 3_600_000 },
          { count: 1, resetAt: now + 3_600_000 },
        ],
      });
      expect(await store.peekSlot('cooldown:ada@example.com', now)).to.equal(now + 60_000);
      // Held: refused, nothing counted.
      expect(await store.passLimits(formLimits('ada@example.com'), now + 1000)).to.deep.equal({ kind: 'cooling', availableAt: now + 60_000 });
      expect((await store.readCounter('sent:ada@example.com', now + 1000))?.count).to.equal(1);
      // Past the cooldown, over the address's cap of 1: the IP counter is left alone.
      expect(await store.passLimits(formLimits('ada@example.com', 1), now + 60_000)).to.deep.equal({ kind: 'counted', states: [{ count: 2, resetAt: now + 3_600_000 }] });
      expect((await store.readCounter('sent-ip:192.0.2.7', now + 60_000))?.count).to.equal(1);
      // Over the IP's cap: both counted, the last over its limit.
      const overIp = await store.passLimits(formLimits('bob@example.com', 5, 1), now);
      expect(overIp).to.deep.equal({ kind: 'counted', states: [{ count: 1, resetAt: now + 3_600_000 }, { count: 2, resetAt: now + 3_600_000 }] });
    });

    it('passLimits refuses while the lockout is held, and then claims and counts nothing', async () => {
      const now = Date.now();
      await store.claimSlot('lockout:ada@example.com', 900, now);
      expect(await store.passLimits(formLimits('ada@example.com'), now + 1000)).to.deep.equal({ kind: 'held', until: now + 900_000 });
      expect(await store.peekSlot('cooldown:ada@example.com', now + 1000)).to.equal(undefined);
      expect(await store.readCounter('sent:ada@example.com', now + 1000)).to.equal(undefined);
      expect(await store.readCounter('sent-ip:192.0.2.7', now + 1000)).to.equal(undefined);
      // Once the lockout ends, the form passes again.
      expect((await store.passLimits(formLimits('ada@example.com'), now + 900_000)).kind).to.equal('counted');
    });

    it('passLimits lets one of 20 parallel requests for one address through, and counts only that one', async () => {
      const now = Date.now();
      const outcomes = await Promise.all(times(20, () => store.passLimits(formLimits('ada@example.com'), now)));
      expect(outcomes.filter((outcome) => outcome.kind === 'counted')).to.have.length(1);
      expect(outcomes.filter((outcome) => outcome.kind === 'cooling')).to.have.length(19);
      expect((await store.readCounter('sent:ada@example.com', now))?.count).to.equal(1);
      expect((await store.readCounter('sent-ip:192.0.2.7', now))?.count).to.equal(1);
    });

    it('passLimits counts parallel requests for many addresses as distinct numbers', async () => {
      const now = Date.now();
      const outcomes = await Promise.all(times(10, (index) => store.passLimits(formLimits(`person-${index}@example.com`), now)));
      const ipCounts = outcomes.map((outcome) => (outcome.kind === 'counted' ? outcome.states[1]!.count : 0));
      expect(ipCounts.toSorted((a, b) => a - b)).to.deep.equal(times(10, (index) => index + 1));
    });
  });

  describe('limits of an attempt', () => {
    // No code is stored for these interactions: an entry is counted against the address all the same.
    it('countCodeEntry counts, claims the lockout at its count, then refuses without counting until the lockout ends', async () => {
      const now = Date.now();
      const limits = attemptLimits('ada@example.com', 3);
      const resetAt = now + 86_400_000;
      expect(await store.countCodeEntry('interaction-1', limits, now)).to.deep.equal({ kind: 'counted', state: { count: 1, resetAt }, code: undefined });
      expect(await store.countCodeEntry('interaction-1', limits, now + 1)).to.deep.equal({ kind: 'counted', state: { count: 2, resetAt }, code: undefined });
      expect(await store.countCodeEntry('interaction-1', limits, now + 2)).to.deep.equal({ kind: 'counted', state: { count: 3, resetAt }, lockedUntil: now + 2 + 900_000, code: undefined });
      expect(await store.countCodeEntry('interaction-1', limits, now + 3)).to.deep.equal({ kind: 'locked', until: now + 2 + 900_000, counted: false });
      expect((await store.readCounter('failures:ada@example.com', now + 3))?.count).to.equal(3);
      // Each lockout period allows one attempt, which claims the lockout again.
      const later = now + 2 + 900_000;
      expect(await store.countCodeEntry('interaction-1', limits, later)).to.deep.equal({ kind: 'counted', state: { count: 4, resetAt }, lockedUntil: later + 900_000, code: undefined });
      // Other addresses are not affected.
      expect(await store.countCodeEntry('interaction-2', attemptLimits('bob@example.com', 3), now + 3)).to.deep.equal({
        kind: 'counted',
        state: { count: 1, resetAt: now + 3 + 86_400_000 },
        code: undefined,
      });
    });

    it('countCodeEntry of a held lockout claimed elsewhere refuses and counts nothing', async () => {
      const now = Date.now();
      await store.claimSlot('lockout:ada@example.com', 60, now);
      expect(await store.countCodeEntry('interaction-1', attemptLimits('ada@example.com', 3), now + 1)).to.deep.equal({ kind: 'locked', until: now + 60_000, counted: false });
      expect(await store.readCounter('failures:ada@example.com', now + 1)).to.equal(undefined);
    });

    // Parallel entries, and what they do to the code: `codes.ts`.
  });
}
