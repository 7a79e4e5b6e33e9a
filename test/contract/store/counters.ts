/** The contract for counters (fixed windows on the caller's clock) and single-holder slots. */
import { expect } from 'chai';

import { type ContractStore, times } from './fixtures.ts';
import { limitsContract } from './limits.ts';

export function countersContract(store: ContractStore): void {
  describe('counters', () => {
    it('counts 20 parallel increments as 20 distinct numbers in one window', async () => {
      const now = Date.now();
      const states = await Promise.all(times(20, () => store.incrementCounter('codes:ada@example.com', 3600, now)));
      expect(states.map((state) => state.count).toSorted((a, b) => a - b)).to.deep.equal(times(20, (index) => index + 1));
      for (const state of states) expect(state.resetAt).to.equal(now + 3_600_000);
    });

    it('adds `by` to the counter', async () => {
      const now = Date.now();
      expect((await store.incrementCounter('failures:ada@example.com', 900, now, 3)).count).to.equal(3);
      expect((await store.incrementCounter('failures:ada@example.com', 900, now, 2)).count).to.equal(5);
      expect((await store.readCounter('failures:ada@example.com', now))?.count).to.equal(5);
    });

    it('keeps the window that the first increment started', async () => {
      const now = Date.now();
      const first = await store.incrementCounter('codes:ada@example.com', 3600, now);
      const second = await store.incrementCounter('codes:ada@example.com', 60, now + 20_000);
      expect(second.count).to.equal(2);
      expect(second.resetAt).to.equal(first.resetAt);
    });

    it('starts a new window once the caller\'s clock passes the end of the last one', async () => {
      const now = Date.now();
      await store.incrementCounter('codes:ada@example.com', 3600, now, 4);
      const later = now + 3_600_000;
      expect(await store.readCounter('codes:ada@example.com', later)).to.equal(undefined);
      const restarted = await store.incrementCounter('codes:ada@example.com', 3600, later);
      expect(restarted).to.deep.equal({ count: 1, resetAt: later + 3_600_000 });
    });

    it('incrementCountersWithin adds 1 to each in order and stops after the first over its limit', async () => {
      const now = Date.now();
      const pair = (addressLimit: number) => [
        { key: 'sent:ada@example.com', windowSeconds: 3600, limit: addressLimit },
        { key: 'sent-ip:192.0.2.7', windowSeconds: 60, limit: 2 },
      ];
      expect(await store.incrementCountersWithin(pair(5), now)).to.deep.equal([
        { count: 1, resetAt: now + 3_600_000 },
        { count: 1, resetAt: now + 60_000 },
      ]);
      // The first over its limit: the second is left as it was.
      expect(await store.incrementCountersWithin(pair(1), now + 1000)).to.deep.equal([{ count: 2, resetAt: now + 3_600_000 }]);
      expect((await store.readCounter('sent-ip:192.0.2.7', now + 1000))?.count).to.equal(1);
      await store.incrementCountersWithin(pair(5), now + 2000);
      const over = await store.incrementCountersWithin(pair(5), now + 3000);
      expect(over.map((state) => state.count), 'the last one over its limit of 2').to.deep.equal([4, 3]);
      // A window that ended starts again, each on its own length.
      expect(await store.incrementCountersWithin(pair(5), now + 61_000)).to.deep.equal([
        { count: 5, resetAt: now + 3_600_000 },
        { count: 1, resetAt: now + 121_000 },
      ]);
    });

    it('incrementCountersWithin counts parallel calls as distinct numbers', async () => {
      const now = Date.now();
      const counters = [
        { key: 'sent:bob@example.com', windowSeconds: 3600, limit: 100 },
        { key: 'sent-ip:192.0.2.8', windowSeconds: 3600, limit: 100 },
      ];
      const states = await Promise.all(times(10, () => store.incrementCountersWithin(counters, now)));
      for (const index of [0, 1]) expect(states.map((pair) => pair[index]!.count).toSorted((a, b) => a - b)).to.deep.equal(times(10, (n) => n + 1));
    });

    it('readCounter tells the count and when the window ends', async () => {
      const now = Date.now();
      const incremented = await store.incrementCounter('codes:ada@example.com', 3600, now);
      const read = await store.readCounter('codes:ada@example.com', now + 1000);
      expect(read).to.deep.equal({ count: 1, resetAt: incremented.resetAt });
      expect(await store.readCounter('codes:bob@example.com', now)).to.equal(undefined);
    });

    it('deleteCounter lets the next increment start a new window', async () => {
      const now = Date.now();
      await store.incrementCounter('codes:ada@example.com', 3600, now, 4);
      await store.deleteCounter('codes:ada@example.com');
      expect(await store.readCounter('codes:ada@example.com', now)).to.equal(undefined);
      const restarted = await store.incrementCounter('codes:ada@example.com', 60, now + 5);
      expect(restarted).to.deep.equal({ count: 1, resetAt: now + 5 + 60_000 });
    });
  });

  describe('slots', () => {
    it('lets exactly one of 20 parallel claimers take a free slot', async () => {
      const now = Date.now();
      const claims = await Promise.all(times(20, () => store.claimSlot('cooldown:ada@example.com', 60, now)));
      expect(claims.filter((claim) => claim.claimed)).to.have.length(1);
      for (const claim of claims) expect(claim.availableAt).to.equal(now + 60_000);
    });

    it('a held slot tells when it frees up', async () => {
      const now = Date.now();
      const first = await store.claimSlot('cooldown:ada@example.com', 60, now);
      const second = await store.claimSlot('cooldown:ada@example.com', 60, now + 10_000);
      expect(first.claimed).to.equal(true);
      expect(second).to.deep.equal({ claimed: false, availableAt: first.availableAt });
      expect(await store.peekSlot('cooldown:ada@example.com', now + 10_000)).to.equal(first.availableAt);
    });

    it('frees the slot once the caller\'s clock passes its end', async () => {
      const now = Date.now();
      await store.claimSlot('cooldown:ada@example.com', 60, now);
      expect(await store.peekSlot('cooldown:ada@example.com', now + 60_000)).to.equal(undefined);
      expect(await store.claimSlot('cooldown:ada@example.com', 60, now + 60_000)).to.deep.equal({ claimed: true, availableAt: now + 120_000 });
    });

    it('peekSlot reports a free slot as undefined and does not take it', async () => {
      const now = Date.now();
      expect(await store.peekSlot('lockout:ada@example.com', now)).to.equal(undefined);
      expect((await store.claimSlot('lockout:ada@example.com', 60, now)).claimed).to.equal(true);
    });

    it('releaseSlot frees the slot', async () => {
      const now = Date.now();
      await store.claimSlot('cooldown:ada@example.com', 60, now);
      await store.releaseSlot('cooldown:ada@example.com');
      expect((await store.claimSlot('cooldown:ada@example.com', 60, now)).claimed).to.equal(true);
    });
  });

  limitsContract(store);
}
