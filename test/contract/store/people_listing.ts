/** The contract for the directory list: address order as UTF-8 bytes, filters, cursors. */
import { expect } from 'chai';

import type { PeopleQuery } from '../../../adapters/store.ts';
import { type ContractStore, everyPage, expectEachCursorRejected, pad, person, rejectionOf, times } from './fixtures.ts';

export function peopleListingContract(store: ContractStore): void {
  describe('listing', () => {
    /** Every page of a list, as addresses; checks that only the last page has a null cursor. */
    const pagesOf = (query: PeopleQuery, limit: number) =>
      everyPage(query, limit, (cursor) => store.listPeople(query, { cursor, limit }), (entry) => entry.emailNormalized);

    it('lists people in address order, compared as UTF-8 bytes', async () => {
      const addresses = ['bob@example.com', 'ünal@example.com', 'ada@example.com', 'zoe@example.com', 'ada.lovelace@example.com', 'ada@example.co', 'adam@example.com'];
      await Promise.all(addresses.map((address, index) => store.createPersonIfAbsent(person(`person-${index}`, address))));

      const { items, nextCursor } = await store.listPeople({}, { limit: 10 });

      expect(items.map((entry) => entry.emailNormalized)).to.deep.equal([
        'ada.lovelace@example.com',
        'ada@example.co',
        'ada@example.com',
        'adam@example.com',
        'bob@example.com',
        'zoe@example.com',
        'ünal@example.com',
      ]);
      expect(items[2]).to.deep.equal(person('person-2', 'ada@example.com'));
      expect(nextCursor).to.equal(null);
    });

    it('lists nothing when there is no one', async () => {
      for (const query of [{}, { emailPrefix: 'ada' }, { userType: 'guest' as const }]) {
        expect(await store.listPeople(query, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
      }
    });

    it('pages through 25 people 10 at a time and ends with a null cursor', async () => {
      const addresses = times(25, (index) => `p${pad(index)}@example.com`);
      await Promise.all(addresses.toReversed().map((address, index) => store.createPersonIfAbsent(person(`person-${index}`, address))));
      expect(await pagesOf({}, 10)).to.deep.equal([addresses.slice(0, 10), addresses.slice(10, 20), addresses.slice(20)]);
    });

    it('filters by address prefix and by user type, alone and together, across pages', async () => {
      const userTypes = ['member', 'guest', 'adhoc'] as const;
      await Promise.all(
        times(25, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${pad(index)}@example.com`, { userType: userTypes[index % 3]! }))),
      );
      const addresses = (indexes: number[]) => indexes.map((index) => `p${pad(index)}@example.com`);

      expect(await pagesOf({ emailPrefix: 'p1' }, 4)).to.deep.equal([addresses([10, 11, 12, 13]), addresses([14, 15, 16, 17]), addresses([18, 19])]);
      // The last page is exactly full, so the one before it already ends the list.
      expect(await pagesOf({ userType: 'member' }, 3)).to.deep.equal([addresses([0, 3, 6]), addresses([9, 12, 15]), addresses([18, 21, 24])]);
      expect(await pagesOf({ userType: 'guest', emailPrefix: 'p1' }, 2)).to.deep.equal([addresses([10, 13]), addresses([16, 19])]);
      expect(await pagesOf({ userType: 'adhoc', emailPrefix: 'p2' }, 10)).to.deep.equal([addresses([20, 23])]);
      expect(await pagesOf({ emailPrefix: 'p07@example.com' }, 10)).to.deep.equal([addresses([7])]);
      expect(await pagesOf({ emailPrefix: '' }, 10)).to.deep.equal([addresses(times(10, (index) => index)), addresses(times(10, (index) => index + 10)), addresses([20, 21, 22, 23, 24])]);
      expect(await pagesOf({ emailPrefix: 'P1' }, 10)).to.deep.equal([[]]);
      expect(await pagesOf({ emailPrefix: 'q' }, 10)).to.deep.equal([[]]);
      expect(await pagesOf({ emailPrefix: 'p07@example.com.' }, 10)).to.deep.equal([[]]);
    });

    it('pages through a type filter that matches few of many people', async () => {
      await Promise.all(
        times(300, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${pad(index, 3)}@example.com`, { userType: index % 60 === 0 ? 'member' : 'adhoc' }))),
      );
      expect(await pagesOf({ userType: 'member' }, 2)).to.deep.equal([
        ['p000@example.com', 'p060@example.com'],
        ['p120@example.com', 'p180@example.com'],
        ['p240@example.com'],
      ]);
    });

    it('goes on after the cursor even when the person it names was deleted meanwhile', async () => {
      await Promise.all(times(5, (index) => store.createPersonIfAbsent(person(`person-${index}`, `p${index}@example.com`))));
      const first = await store.listPeople({}, { limit: 2 });
      expect(first.items.map((entry) => entry.emailNormalized)).to.deep.equal(['p0@example.com', 'p1@example.com']);
      await store.deletePerson('person-1');
      await store.deletePerson('person-2');
      const second = await store.listPeople({}, { cursor: first.nextCursor!, limit: 2 });
      expect(second).to.deep.equal({ items: [person('person-3', 'p3@example.com'), person('person-4', 'p4@example.com')], nextCursor: null });
    });

    it('rejects a bad cursor with an InvalidCursorError', async () => {
      await store.createPersonIfAbsent(person('person-1', 'ada@example.com'));
      const encode = (text: string) => Buffer.from(text).toString('base64url');
      const cursors = [
        'not a cursor',
        '',
        encode('ada@example.com'),
        encode('\u0000person-1'),
        encode('ada@example.com\u0000'),
        encode('ada@example.com\u0000person-1\u0000x'),
        encode('1700000000000:link-1'),
        encode('12-3'),
      ];
      await expectEachCursorRejected((query, page) => store.listPeople(query, page), [{}, { emailPrefix: 'ada' }, { userType: 'guest' as const }], cursors);
    });

    it('rejects a page limit below 1 with a RangeError', async () => {
      expect(await rejectionOf(store.listPeople({}, { limit: 0 }))).to.be.instanceOf(RangeError);
    });
  });

}
