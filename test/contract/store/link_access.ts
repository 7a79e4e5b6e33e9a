/**
 * The contract for what a link gave out and when it must be checked again: the index of the
 * grants issued for a link, and the queue of link checks every instance takes from with a lease.
 */
import { expect } from 'chai';

import { type ContractStore, times } from './fixtures.ts';

export function linkAccessContract(store: ContractStore): void {
  describe('grants issued for a link', () => {
    it('lists the grants indexed for a link, and only that link\'s', async () => {
      await store.indexLinkGrant('link-1', 'grant-1', 600);
      await store.indexLinkGrant('link-1', 'grant-2', 600);
      await store.indexLinkGrant('link-2', 'grant-3', 600);
      expect((await store.linkGrants('link-1')).toSorted()).to.deep.equal(['grant-1', 'grant-2']);
      expect(await store.linkGrants('link-2')).to.deep.equal(['grant-3']);
      expect(await store.linkGrants('link-unknown')).to.deep.equal([]);
    });

    it('keeps one entry for a grant indexed twice', async () => {
      await store.indexLinkGrant('link-1', 'grant-1', 60);
      await store.indexLinkGrant('link-1', 'grant-1', 600);
      expect(await store.linkGrants('link-1')).to.deep.equal(['grant-1']);
    });

    it('forgets the grants named, and only those', async () => {
      await store.indexLinkGrant('link-1', 'grant-1', 600);
      await store.indexLinkGrant('link-1', 'grant-2', 600);
      await store.indexLinkGrant('link-1', 'grant-3', 600);
      await store.unindexLinkGrants('link-1', ['grant-1', 'grant-3', 'grant-never']);
      expect(await store.linkGrants('link-1')).to.deep.equal(['grant-2']);
      await store.unindexLinkGrants('link-1', ['grant-2']);
      expect(await store.linkGrants('link-1')).to.deep.equal([]);
      await store.unindexLinkGrants('link-1', []);
      await store.unindexLinkGrants('link-unknown', ['grant-1']);
    });
  });

  describe('link checks', () => {
    const lease = 60_000;

    it('hands out the checks due, earliest first, each with when it was due and its lease', async () => {
      await store.scheduleLinkCheck('link-b', 2_000);
      await store.scheduleLinkCheck('link-a', 1_000);
      await store.scheduleLinkCheck('link-c', 5_000);
      expect(await store.claimDueLinkChecks(3_000, lease, 10)).to.deep.equal([
        { id: 'link-a', dueAt: 1_000, leasedUntil: 3_000 + lease },
        { id: 'link-b', dueAt: 2_000, leasedUntil: 3_000 + lease },
      ]);
    });

    it('hands out at most `limit` checks, and none that is leased until its lease ends', async () => {
      await Promise.all(times(5, (index) => store.scheduleLinkCheck(`link-${index}`, 1_000 + index)));
      expect((await store.claimDueLinkChecks(3_000, lease, 2)).map((check) => check.id)).to.deep.equal(['link-0', 'link-1']);
      expect((await store.claimDueLinkChecks(3_000, lease, 10)).map((check) => check.id)).to.deep.equal(['link-2', 'link-3', 'link-4']);
      expect(await store.claimDueLinkChecks(3_000 + lease - 1, lease, 10)).to.deep.equal([]);
      // A taker that never finished (it crashed): once the lease ends, another takes the check again.
      const again = await store.claimDueLinkChecks(3_000 + lease, lease, 10);
      expect(again.map((check) => check.id)).to.have.members(['link-0', 'link-1', 'link-2', 'link-3', 'link-4']);
      expect(again[0]!.dueAt).to.equal(3_000 + lease);
    });

    it('keeps the earlier of two scheduled times', async () => {
      await store.scheduleLinkCheck('link-1', 5_000);
      await store.scheduleLinkCheck('link-1', 9_000);
      await store.scheduleLinkCheck('link-2', 9_000);
      await store.scheduleLinkCheck('link-2', 5_000);
      expect(await store.claimDueLinkChecks(5_000, lease, 10)).to.deep.equal([
        { id: 'link-1', dueAt: 5_000, leasedUntil: 5_000 + lease },
        { id: 'link-2', dueAt: 5_000, leasedUntil: 5_000 + lease },
      ]);
    });

    it('finishes a taken check by scheduling the next one, or none', async () => {
      await store.scheduleLinkCheck('link-1', 1_000);
      await store.scheduleLinkCheck('link-2', 1_000);
      const [first, second] = await store.claimDueLinkChecks(2_000, lease, 10);
      expect(await store.finishLinkCheck('link-1', first!.leasedUntil, 50_000)).to.equal(true);
      expect(await store.finishLinkCheck('link-2', second!.leasedUntil, undefined)).to.equal(true);
      expect(await store.claimDueLinkChecks(49_999, lease, 10)).to.deep.equal([]);
      expect(await store.claimDueLinkChecks(50_000 + lease, lease, 10)).to.deep.equal([{ id: 'link-1', dueAt: 50_000, leasedUntil: 50_000 + 2 * lease }]);
    });

    it('finishes a check the caller scheduled itself, named by the time it scheduled', async () => {
      await store.scheduleLinkCheck('link-1', 7_000);
      expect(await store.finishLinkCheck('link-1', 7_000, 90_000)).to.equal(true);
      expect(await store.claimDueLinkChecks(89_999, lease, 10)).to.deep.equal([]);
      expect((await store.claimDueLinkChecks(90_000, lease, 10)).map((check) => check.id)).to.deep.equal(['link-1']);
    });

    it('leaves a check that was scheduled again while it was taken, and finishes no check it does not know', async () => {
      await store.scheduleLinkCheck('link-1', 1_000);
      const [taken] = await store.claimDueLinkChecks(2_000, lease, 10);
      // Someone lost access while the check ran: the new check stays due.
      await store.scheduleLinkCheck('link-1', 2_500);
      expect(await store.finishLinkCheck('link-1', taken!.leasedUntil, undefined)).to.equal(false);
      expect(await store.claimDueLinkChecks(3_000, lease, 10)).to.deep.equal([{ id: 'link-1', dueAt: 2_500, leasedUntil: 3_000 + lease }]);
      expect(await store.finishLinkCheck('link-unknown', 1_000, undefined)).to.equal(false);
    });

    it('gives each due check to one of 20 parallel takers', async () => {
      await Promise.all(times(30, (index) => store.scheduleLinkCheck(`link-${index}`, 1_000)));
      const claims = await Promise.all(times(20, () => store.claimDueLinkChecks(2_000, lease, 3)));
      const ids = claims.flat().map((check) => check.id);
      expect(ids).to.have.length(30);
      expect(new Set(ids).size).to.equal(30);
    });
  });
}
