/** The contract for people: one person per address, versioned saves, deletion marks; identities and the list in their own files. */
import { expect } from 'chai';

import type { PeopleQuery, PersonRecord } from '../../../adapters/store.ts';
import { type ContractStore, otherIssuer, person, rejectionOf, times, work, workIssuer } from './fixtures.ts';
import { peopleIdentitiesContract } from './people_identities.ts';
import { peopleListingContract } from './people_listing.ts';

export function peopleContract(store: ContractStore): void {
  describe('directory', () => {
    const emailsOf = async (query: PeopleQuery, limit = 100) => (await store.listPeople(query, { limit })).items.map((entry) => entry.emailNormalized);

    describe('creating and saving', () => {
      it('creates a person as version 1 and finds them by id and by address', async () => {
        const ada = person('person-1', 'ada@example.com', { displayName: 'Ada', version: 7 });
        const stored = { ...ada, version: 1 };
        expect(await store.createPersonIfAbsent(ada)).to.deep.equal({ person: stored, created: true });
        expect(await store.getPerson('person-1')).to.deep.equal(stored);
        expect(await store.findPersonByEmail('ada@example.com')).to.deep.equal(stored);
        expect(await store.getPerson('person-2')).to.equal(undefined);
        expect(await store.findPersonByEmail('bob@example.com')).to.equal(undefined);
      });

      it('returns the existing person when the address is taken', async () => {
        const ada = person('person-1', 'ada@example.com');
        await store.createPersonIfAbsent(ada);
        const second = await store.createPersonIfAbsent(person('person-2', 'ada@example.com', { userType: 'adhoc' }));
        expect(second).to.deep.equal({ person: ada, created: false });
        expect(await store.getPerson('person-2')).to.equal(undefined);
        expect(await emailsOf({})).to.deep.equal(['ada@example.com']);
      });

      it('createPersonIfAbsent creates one person among 20 parallel calls for the same address', async () => {
        const results = await Promise.all(times(20, (index) => store.createPersonIfAbsent(person(`person-${index}`, 'ada@example.com'))));
        expect(results.filter((result) => result.created)).to.have.length(1);
        const ids = new Set(results.map((result) => result.person.id));
        expect(ids.size).to.equal(1);
        const [id] = ids;
        expect(await store.findPersonByEmail('ada@example.com')).to.deep.include({ id, version: 1 });
        expect((await store.getPerson(id!))?.emailNormalized).to.equal('ada@example.com');
        expect((await store.listPeople({}, { limit: 100 })).items.map((entry) => entry.id)).to.deep.equal([id]);
      });

      it('createPersonIfAbsent creates one person among 20 parallel calls for a deleted address, under a new id, and clears the mark', async () => {
        await store.createPersonIfAbsent(person('person-old', 'ada@example.com'));
        await store.deletePerson('person-old');
        const results = await Promise.all(times(20, (index) => store.createPersonIfAbsent(person(`person-${index}`, 'ada@example.com'))));
        const created = results.filter((result) => result.created);
        expect(created).to.have.length(1);
        const id = created[0]!.person.id;
        expect(id).to.not.equal('person-old');
        for (const result of results) expect(result.person).to.deep.equal(created[0]!.person);
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
        expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: created[0]!.person, deleted: false });
        expect((await store.listPeople({}, { limit: 100 })).items.map((entry) => entry.id)).to.deep.equal([id]);
      });

      it('createPersonIfAbsent keeps one person per address when many addresses are created in parallel', async () => {
        const results = await Promise.all(times(20, (index) => store.createPersonIfAbsent(person(`person-${index}`, `user-${index % 5}@example.com`))));
        expect(results.filter((result) => result.created)).to.have.length(5);
        for (const result of results) expect(result.person.emailNormalized).to.equal(`user-${Number(result.person.id.slice('person-'.length)) % 5}@example.com`);
        expect(await emailsOf({})).to.deep.equal(times(5, (index) => `user-${index}@example.com`));
      });

      it('savePerson writes the next version only over the version the caller read', async () => {
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        const accepted = person('person-1', 'ada@example.com', {
          version: 9,
          email: 'Ada@Example.com',
          state: 'Accepted',
          displayName: 'Ada Lovelace',
          groups: ['readers'],
          lastVerifiedAt: 1_700_000_100_000,
          invitedAt: 1_700_000_050_000,
        });

        expect(await store.savePerson(accepted, 1)).to.equal(true);
        const saved = { ...accepted, version: 2 };
        expect(await store.getPerson('person-1')).to.deep.equal(saved);
        expect(await store.findPersonByEmail('ada@example.com')).to.deep.equal(saved);

        expect(await store.savePerson({ ...accepted, displayName: 'stale' }, 1)).to.equal(false);
        expect(await store.savePerson({ ...accepted, displayName: 'from the future' }, 3)).to.equal(false);
        expect(await store.getPerson('person-1')).to.deep.equal(saved);

        expect(await store.savePerson({ ...saved, userType: 'member', disabled: true }, 2)).to.equal(true);
        expect(await store.getPerson('person-1')).to.deep.include({ version: 3, userType: 'member', disabled: true });
      });

      it('savePerson lets exactly one of 20 parallel savers of the same version win', async () => {
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        const results = await Promise.all(times(20, (index) => store.savePerson(person('person-1', 'ada@example.com', { displayName: `writer-${index}` }), 1)));
        expect(results.filter(Boolean)).to.have.length(1);
        expect(await store.getPerson('person-1')).to.deep.include({ version: 2, displayName: `writer-${results.indexOf(true)}` });
      });

      it('savePerson of a person who is not there stores nothing', async () => {
        expect(await store.savePerson(person('person-1', 'ada@example.com'), 1)).to.equal(false);
        expect(await store.getPerson('person-1')).to.equal(undefined);
        expect(await store.findPersonByEmail('ada@example.com')).to.equal(undefined);
        expect(await emailsOf({})).to.deep.equal([]);
      });

      it('savePerson throws a TypeError for a change of address, creation time or identities, and stores nothing', async () => {
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        await store.linkIdentity('person-1', work('ada'), 1);
        const current = (await store.getPerson('person-1'))!;
        const changes: Partial<PersonRecord>[] = [
          { emailNormalized: 'ada@lovelace.example' },
          { createdAt: current.createdAt + 1 },
          { identities: [] },
          { identities: [work('eve')] },
          { identities: [work('ada'), { issuer: otherIssuer, subject: 'ada' }] },
        ];
        for (const change of changes) {
          const error = await rejectionOf(store.savePerson({ ...current, ...change, displayName: 'changed' }, current.version));
          expect(error, JSON.stringify(change)).to.be.instanceOf(TypeError);
        }
        expect(await store.getPerson('person-1')).to.deep.equal(current);
        expect(await store.findPersonByEmail('ada@lovelace.example')).to.equal(undefined);
        expect(await store.findPersonByIdentity(workIssuer, 'eve')).to.equal(undefined);
        expect(await store.findPersonByIdentity(otherIssuer, 'ada')).to.equal(undefined);
        expect(await emailsOf({})).to.deep.equal(['ada@example.com']);
      });
    });


    peopleIdentitiesContract(store);

    describe('deleting', () => {
      it('deletePerson returns the person and removes them from every lookup and from the list', async () => {
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
        await store.linkIdentity('person-1', work('ada'), 1);
        await store.linkIdentity('person-1', { issuer: otherIssuer, subject: 'ada' }, 2);
        const ada = await store.getPerson('person-1');

        expect(await store.deletePerson('person-1')).to.deep.equal(ada);

        expect(await store.getPerson('person-1')).to.equal(undefined);
        expect(await store.findPersonByEmail('ada@example.com')).to.equal(undefined);
        expect(await store.findPersonByIdentity(workIssuer, 'ada')).to.equal(undefined);
        expect(await store.findPersonByIdentity(otherIssuer, 'ada')).to.equal(undefined);
        expect(await emailsOf({})).to.deep.equal(['bob@example.com']);
        expect(await emailsOf({ emailPrefix: 'ada' })).to.deep.equal([]);
        expect(await store.deletePerson('person-1')).to.equal(undefined);
        expect(await store.savePerson(ada!, 3)).to.equal(false);
        expect(await store.linkIdentity('person-1', { issuer: 'https://third.example', subject: 'ada' }, 3)).to.deep.equal({ outcome: 'stale' });
        expect(await store.getPerson('person-1')).to.equal(undefined);

        // The deleted person's identities are free again.
        expect(await store.linkIdentity('person-2', work('ada'), 1)).to.deep.include({ outcome: 'linked' });
        expect((await store.findPersonByIdentity(workIssuer, 'ada'))?.id).to.equal('person-2');
      });

      it('lookUpEmail finds the person with the address and says whether it is marked deleted, as findPersonByEmail and isEmailDeleted', async () => {
        expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: undefined, deleted: false });
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        const ada = await store.getPerson('person-1');
        expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: ada, deleted: false });
        await store.deletePerson('person-1');
        expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: undefined, deleted: true });
        expect(await store.lookUpEmail('ADA@example.com')).to.deep.equal({ person: undefined, deleted: false });
        await store.createPersonIfAbsent(person('person-2', 'ada@example.com'));
        expect(await store.lookUpEmail('ada@example.com')).to.deep.equal({ person: await store.getPerson('person-2'), deleted: false });
      });

      it('deletePerson of a person who is not there deletes and marks nothing', async () => {
        expect(await store.deletePerson('person-unknown')).to.equal(undefined);
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
      });

      it('marks a deleted address until a person is created for it again', async () => {
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
        await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
        await store.createPersonIfAbsent(person('person-2', 'bob@example.com'));
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);

        await store.deletePerson('person-1');
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
        expect(await store.isEmailDeleted('bob@example.com')).to.equal(false);
        expect(await store.isEmailDeleted('ADA@example.com')).to.equal(false);

        // A person created for another address leaves the mark alone.
        await store.createPersonIfAbsent(person('person-3', 'carol@example.com'));
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);

        const again = await store.createPersonIfAbsent(person('person-4', 'ada@example.com', { userType: 'guest', invitedAt: 1_700_000_300_000 }));
        expect(again).to.deep.equal({ person: person('person-4', 'ada@example.com', { invitedAt: 1_700_000_300_000 }), created: true });
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(false);
        expect((await store.findPersonByEmail('ada@example.com'))?.id).to.equal('person-4');
        expect(await store.getPerson('person-1')).to.equal(undefined);

        await store.deletePerson('person-4');
        expect(await store.isEmailDeleted('ada@example.com')).to.equal(true);
      });
    });


    peopleListingContract(store);

    it('returns copies: changing what it returned or was given changes nothing stored', async () => {
      const given = person('person-1', 'ada@example.com', { groups: ['readers'] });
      await store.createPersonIfAbsent(given);
      given.groups.push('given');
      (await store.getPerson('person-1'))!.groups.push('got');
      (await store.findPersonByEmail('ada@example.com'))!.groups.push('found');
      (await store.listPeople({}, { limit: 1 })).items[0]!.groups.push('listed');
      const linked = await store.linkIdentity('person-1', work('ada'), 1);
      if (linked.outcome !== 'linked') throw new Error(`expected linked, not ${linked.outcome}`);
      linked.person.identities.push(work('eve'));
      linked.person.groups.push('linked');
      (await store.findPersonByIdentity(workIssuer, 'ada'))!.identities.push(work('mallory'));

      const saved = { ...person('person-1', 'ada@example.com', { groups: ['readers'] }), identities: [work('ada')] };
      expect(await store.getPerson('person-1')).to.deep.equal({ ...saved, version: 2 });
      await store.savePerson(saved, 2);
      saved.groups.push('saved');
      expect(await store.getPerson('person-1')).to.deep.equal({ ...person('person-1', 'ada@example.com', { groups: ['readers'] }), identities: [work('ada')], version: 3 });
      expect(await store.findPersonByIdentity(workIssuer, 'eve')).to.equal(undefined);
    });
  });
}
