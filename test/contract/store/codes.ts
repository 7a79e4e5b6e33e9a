/** The contract for one-time codes: one current code per interaction, every attempt counted, consumed once. */
import { expect } from 'chai';

import { type ContractStore, storedCode, times } from './fixtures.ts';

/** Limits no test here reaches, so each entry counts the code. */
const neverLocks = { counter: { key: 'failures:ada@example.com', windowSeconds: 86_400 }, lockout: { key: 'lockout:ada@example.com', ttlSeconds: 900, lockAt: 100 } };

export function codesContract(store: ContractStore): void {
  describe('one-time codes', () => {
    it('reads back the stored code', async () => {
      const code = storedCode('code-a');
      await store.putCode('interaction-1', code, 600);
      expect(await store.readCode('interaction-1')).to.deep.equal(code);
      expect(await store.readCode('interaction-2')).to.equal(undefined);
    });

    it('a new code replaces the previous one', async () => {
      await store.putCode('interaction-1', storedCode('code-a'), 600);
      await store.countCodeEntry('interaction-1', neverLocks, Date.now());
      const newer = storedCode('code-b', { digest: 'another-digest' });
      await store.putCode('interaction-1', newer, 600);

      expect(await store.readCode('interaction-1')).to.deep.equal(newer);
      expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
      expect(await store.consumeCode('interaction-1', 'code-b')).to.equal(true);
    });

    it('replaces a code only while it is the one named: a newer code stays', async () => {
      const [standInB, codeB] = [storedCode('stand-in-b'), storedCode('code-b')];
      await store.putCode('interaction-1', storedCode('stand-in-a'), 600);
      await store.putCode('interaction-1', standInB, 600);
      expect(await store.replaceCode('interaction-1', 'stand-in-a', storedCode('code-a'), 600), 'another replaced it meanwhile').to.equal(false);
      expect(await store.readCode('interaction-1')).to.deep.equal(standInB);
      expect(await store.replaceCode('interaction-1', 'stand-in-b', codeB, 600)).to.equal(true);
      expect(await store.readCode('interaction-1')).to.deep.equal(codeB);
      expect(await store.replaceCode('interaction-2', 'stand-in-b', storedCode('code-c'), 600), 'none to replace').to.equal(false);
      expect(await store.readCode('interaction-2')).to.equal(undefined);
    });

    it('counts 20 parallel code attempts as 20 distinct numbers', async () => {
      await store.putCode('interaction-1', storedCode('code-a'), 600);
      const entries = await Promise.all(times(20, () => store.countCodeEntry('interaction-1', neverLocks, Date.now())));
      const counted = entries.map((entry) => (entry.kind === 'counted' ? entry.code : undefined));
      const attempts = counted.map((code) => code?.attempts).toSorted((a = 0, b = 0) => a - b);
      expect(attempts).to.deep.equal(times(20, (index) => index + 1));
      expect(counted[0]).to.include({ codeId: 'code-a', digest: 'digest-of-code-a' });
      expect((await store.readCode('interaction-1'))?.attempts).to.equal(20);
    });

    it('counts no attempt when there is no code', async () => {
      expect(await store.countCodeEntry('interaction-1', neverLocks, Date.now())).to.include({ kind: 'counted', code: undefined });
      expect(await store.readCode('interaction-1')).to.equal(undefined);
    });

    it('consumes a code exactly once among 20 parallel consumers', async () => {
      await store.putCode('interaction-1', storedCode('code-a'), 600);
      const results = await Promise.all(times(20, () => store.consumeCode('interaction-1', 'code-a')));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.readCode('interaction-1')).to.equal(undefined);
    });

    it('does not consume a code by an id that is not the current one', async () => {
      await store.putCode('interaction-1', storedCode('code-b'), 600);
      expect(await store.consumeCode('interaction-1', 'code-a')).to.equal(false);
      expect((await store.readCode('interaction-1'))?.codeId).to.equal('code-b');
      expect(await store.consumeCode('interaction-2', 'code-b')).to.equal(false);
    });

    it('countCodeEntry counts the entry, then the code, and neither while the lockout is held', async () => {
      const now = Date.now();
      const limits = { counter: { key: 'failures:ada@example.com', windowSeconds: 86_400 }, lockout: { key: 'lockout:ada@example.com', ttlSeconds: 900, lockAt: 2 } };
      const resetAt = now + 86_400_000;
      // No code: the entry is counted all the same.
      expect(await store.countCodeEntry('interaction-1', limits, now)).to.deep.equal({ kind: 'counted', state: { count: 1, resetAt }, code: undefined });
      const code = storedCode('code-a');
      await store.putCode('interaction-1', code, 600);
      expect(await store.countCodeEntry('interaction-1', limits, now + 1)).to.deep.equal({
        kind: 'counted',
        state: { count: 2, resetAt },
        lockedUntil: now + 1 + 900_000,
        code: { ...code, attempts: 1 },
      });
      expect(await store.countCodeEntry('interaction-1', limits, now + 2)).to.deep.equal({ kind: 'locked', until: now + 1 + 900_000, counted: false });
      expect((await store.readCode('interaction-1'))?.attempts).to.equal(1);
      expect((await store.readCounter('failures:ada@example.com', now + 2))?.count).to.equal(2);
    });

    it('countCodeEntry of 12 parallel entries allows `lockAt` of them, and counts the code once for each allowed', async () => {
      const now = Date.now();
      await store.putCode('interaction-1', storedCode('code-a'), 600);
      const limits = { counter: { key: 'failures:ada@example.com', windowSeconds: 86_400 }, lockout: { key: 'lockout:ada@example.com', ttlSeconds: 900, lockAt: 5 } };
      const entries = await Promise.all(times(12, () => store.countCodeEntry('interaction-1', limits, now)));
      const allowed = entries.filter((entry) => entry.kind === 'counted');
      expect(allowed).to.have.length(5);
      expect(allowed.filter((entry) => entry.lockedUntil !== undefined)).to.have.length(1);
      expect(allowed.map((entry) => entry.code?.attempts).toSorted((a = 0, b = 0) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(allowed.map((entry) => entry.state.count).toSorted((a, b) => a - b).slice(0, 4)).to.deep.equal([1, 2, 3, 4]);
      for (const entry of entries) if (entry.kind === 'locked') expect(entry.until).to.equal(now + 900_000);
      expect((await store.readCode('interaction-1'))?.attempts).to.equal(5);
      // Every entry counted was counted before it was judged: at least the five allowed.
      expect((await store.readCounter('failures:ada@example.com', now))?.count).to.be.at.least(5);
    });

    it('consumeCode clears the counters and slots it is given only when it consumes, and for one of 20 parallel consumers', async () => {
      const now = Date.now();
      const reset = { counters: ['failures:ada@example.com'], slots: ['lockout:ada@example.com'] };
      const countAndLock = async () => {
        await store.incrementCounter('failures:ada@example.com', 86_400, now, 4);
        await store.claimSlot('lockout:ada@example.com', 900, now);
      };
      await countAndLock();
      await store.putCode('interaction-1', storedCode('code-b'), 600);
      // Not the current code: nothing consumed, nothing cleared.
      expect(await store.consumeCode('interaction-1', 'code-a', reset)).to.equal(false);
      expect((await store.readCounter('failures:ada@example.com', now))?.count).to.equal(4);
      expect(await store.peekSlot('lockout:ada@example.com', now)).to.equal(now + 900_000);

      const results = await Promise.all(times(20, () => store.consumeCode('interaction-1', 'code-b', reset)));
      expect(results.filter(Boolean)).to.have.length(1);
      expect(await store.readCode('interaction-1')).to.equal(undefined);
      expect(await store.readCounter('failures:ada@example.com', now)).to.equal(undefined);
      expect(await store.peekSlot('lockout:ada@example.com', now)).to.equal(undefined);

      // A code already consumed clears nothing counted since.
      await countAndLock();
      expect(await store.consumeCode('interaction-1', 'code-b', reset)).to.equal(false);
      expect((await store.readCounter('failures:ada@example.com', now))?.count).to.equal(4);
      // Only what it is given: a counter alone leaves the slot held.
      await store.putCode('interaction-1', storedCode('code-c'), 600);
      expect(await store.consumeCode('interaction-1', 'code-c', { counters: ['failures:ada@example.com'] })).to.equal(true);
      expect(await store.readCounter('failures:ada@example.com', now)).to.equal(undefined);
      expect(await store.peekSlot('lockout:ada@example.com', now)).to.equal(now + 900_000);
    });

    it('deleteCode removes the code', async () => {
      await store.putCode('interaction-1', storedCode('code-a'), 600);
      await store.deleteCode('interaction-1');
      expect(await store.readCode('interaction-1')).to.equal(undefined);
    });
  });
}
