/** The contract for federated identities: each (issuer, subject) belongs to one person, one per issuer. */
import { expect } from 'chai';

import { type ContractStore, otherIssuer, pad, person, times, work, workIssuer } from './fixtures.ts';

export function peopleIdentitiesContract(store: ContractStore): void {
  describe('federated identities', () => {
    it('linkIdentity adds the identity as the next version, and findPersonByIdentity finds the person by it', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      const linked = { ...person('person-1', 'ada@example.com'), version: 2, identities: [work('ada-sub')] };

      expect(await store.linkIdentity('person-1', work('ada-sub'), 1)).to.deep.equal({ outcome: 'linked', person: linked });
      expect(await store.getPerson('person-1')).to.deep.equal(linked);
      expect(await store.findPersonByIdentity(workIssuer, 'ada-sub')).to.deep.equal(linked);

      // By (issuer, subject) only: never by the subject of another issuer, never by email.
      expect(await store.findPersonByIdentity(otherIssuer, 'ada-sub')).to.equal(undefined);
      expect(await store.findPersonByIdentity(workIssuer, 'ada@example.com')).to.equal(undefined);
      expect(await store.findPersonByIdentity(workIssuer, 'ADA-SUB')).to.equal(undefined);

      // A later save keeps the identity, and the person is still found by it.
      expect(await store.savePerson({ ...linked, displayName: 'Ada' }, 2)).to.equal(true);
      expect(await store.findPersonByIdentity(workIssuer, 'ada-sub')).to.deep.include({ version: 3, displayName: 'Ada' });
    });

    it('linkIdentity of an identity the person already holds is linked and changes nothing, whatever the version', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      const first = await store.linkIdentity('person-1', work('ada'), 1);
      expect(first.outcome).to.equal('linked');
      const stored = await store.getPerson('person-1');
      expect(stored).to.deep.include({ version: 2 });

      expect(await store.linkIdentity('person-1', work('ada'), 2)).to.deep.equal({ outcome: 'linked', person: stored });
      expect(await store.linkIdentity('person-1', work('ada'), 1)).to.deep.equal({ outcome: 'linked', person: stored });
      expect(await store.getPerson('person-1')).to.deep.equal(stored);
    });

    it('linkIdentity keeps one identity per issuer, beside identities of other issuers', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      await store.linkIdentity('person-1', work('ada'), 1);

      expect(await store.linkIdentity('person-1', work('ada-again'), 2)).to.deep.equal({ outcome: 'issuer_already_linked' });
      expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [work('ada')] });
      expect(await store.findPersonByIdentity(workIssuer, 'ada-again')).to.equal(undefined);

      const other = { issuer: otherIssuer, subject: 'ada' };
      const linked = await store.linkIdentity('person-1', other, 2);
      expect(linked).to.deep.include({ outcome: 'linked' });
      expect(await store.getPerson('person-1')).to.deep.include({ version: 3, identities: [work('ada'), other] });
      expect((await store.findPersonByIdentity(otherIssuer, 'ada'))?.id).to.equal('person-1');
      expect((await store.findPersonByIdentity(workIssuer, 'ada'))?.id).to.equal('person-1');

      // The refused identity was never claimed: someone else can link it.
      expect(await store.linkIdentity('person-2', work('ada-again'), 1)).to.deep.include({ outcome: 'linked' });
    });

    it('linkIdentity refuses an identity another person holds, naming them, and changes neither person', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      await store.linkIdentity('person-1', work('shared'), 1);
      const holder = await store.getPerson('person-1');

      expect(await store.linkIdentity('person-2', work('shared'), 1)).to.deep.equal({ outcome: 'taken', personId: 'person-1' });

      expect(await store.getPerson('person-1')).to.deep.equal(holder);
      expect(await store.getPerson('person-2')).to.deep.include({ version: 1, identities: [] });
      expect(await store.findPersonByIdentity(workIssuer, 'shared')).to.deep.equal(holder);
    });

    it('linkIdentity with a stale version, or for a person who is gone, is stale and claims nothing', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      await store.savePerson(person('person-1', 'ada@example.com', { displayName: 'Ada' }), 1);

      expect(await store.linkIdentity('person-1', work('ada'), 1)).to.deep.equal({ outcome: 'stale' });
      expect(await store.linkIdentity('person-1', work('ada'), 3)).to.deep.equal({ outcome: 'stale' });
      expect(await store.linkIdentity('person-unknown', work('ada'), 1)).to.deep.equal({ outcome: 'stale' });
      expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [] });
      expect(await store.findPersonByIdentity(workIssuer, 'ada')).to.equal(undefined);
      expect(await store.getPerson('person-unknown')).to.equal(undefined);

      expect(await store.linkIdentity('person-2', work('ada'), 1)).to.deep.include({ outcome: 'linked' });
    });

    it('linkIdentity lets exactly one of 20 people link one identity in parallel', async () => {
      const ids = times(20, (index) => `person-${pad(index)}`);
      await Promise.all(ids.map((id) => store.createPersonIfAbsent(person(id, `${id}@example.com`))));

      const outcomes = await Promise.all(ids.map((id) => store.linkIdentity(id, work('shared'), 1)));

      const winners = outcomes.flatMap((outcome, index) => (outcome.outcome === 'linked' ? [ids[index]!] : []));
      expect(winners).to.have.length(1);
      const [winner] = winners;
      // The others lost to a claim of the winner, or to the winner's saved link: either way it is taken by the winner.
      for (const outcome of outcomes) if (outcome.outcome !== 'linked') expect(outcome).to.deep.equal({ outcome: 'taken', personId: winner });
      expect((await store.findPersonByIdentity(workIssuer, 'shared'))?.id).to.equal(winner);
      for (const id of ids) {
        expect(await store.getPerson(id), id).to.deep.include(id === winner ? { version: 2, identities: [work('shared')] } : { version: 1, identities: [] });
      }
    });

    it('linkIdentity saves one of 20 parallel links to one person and leaves the identities of the others free', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
      const identities = times(20, (index) => ({ issuer: `https://idp-${pad(index)}.example`, subject: 'ada' }));

      const outcomes = await Promise.all(identities.map((identity) => store.linkIdentity('person-1', identity, 1)));

      expect(outcomes.filter((outcome) => outcome.outcome === 'linked')).to.have.length(1);
      expect(outcomes.filter((outcome) => outcome.outcome === 'stale')).to.have.length(19);
      const winner = identities[outcomes.findIndex((outcome) => outcome.outcome === 'linked')]!;
      expect(await store.getPerson('person-1')).to.deep.include({ version: 2, identities: [winner] });
      let version = 1;
      for (const identity of identities) {
        if (identity === winner) continue;
        expect(await store.findPersonByIdentity(identity.issuer, identity.subject), identity.issuer).to.equal(undefined);
        expect(await store.linkIdentity('person-2', identity, version), identity.issuer).to.deep.include({ outcome: 'linked' });
        version += 1;
      }
    });
  });

}
