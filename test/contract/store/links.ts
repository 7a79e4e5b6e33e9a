/** The contract for secure links: versioned saves, recipient lists, and lists that are scopes. */
import { expect } from 'chai';

import type { LinkQuery } from '../../../adapters/store.ts';
import { type ContractStore, everyPage, expectEachCursorRejected, recipient, rejectionOf, secureLink, times } from './fixtures.ts';

export function linksContract(store: ContractStore): void {
  describe('secure links', () => {
    const idsOf = async (query: LinkQuery, limit = 100) => (await store.listLinks(query, { limit })).items.map((link) => link.id);

    /** Every page of a list, as ids; checks that only the last page has a null cursor. */
    const pagesOf = (query: LinkQuery, limit: number) => everyPage(query, limit, (cursor) => store.listLinks(query, { cursor, limit }), (link) => link.id);

    it('creates a link and reads it back as version 1', async () => {
      const link = secureLink('link-1', {
        version: 7,
        recipients: [recipient('ada@example.com', { verifiedAt: 1_700_000_100_000, lastAccessAt: 1_700_000_200_000 }), recipient('bob@example.com')],
        expiresAt: 1_800_000_000_000,
      });
      expect(await store.createLink(link)).to.equal(true);
      expect(await store.getLink('link-1')).to.deep.equal({ ...link, version: 1 });
      expect(await store.getLink('link-unknown')).to.equal(undefined);
    });

    it('createLink refuses a taken id and leaves the existing link and its place in every list alone', async () => {
      const first = secureLink('link-1');
      await store.createLink(first);
      await store.createLink(secureLink('link-2', { createdAt: first.createdAt + 1000 }));
      const intruder = secureLink('link-1', { clientId: 'client-2', resource: 'other', createdAt: first.createdAt + 5000, recipients: [recipient('eve@example.com')] });

      expect(await store.createLink(intruder)).to.equal(false);

      expect(await store.getLink('link-1')).to.deep.equal(first);
      expect(await idsOf({})).to.deep.equal(['link-2', 'link-1']);
      expect(await idsOf({ clientId: 'client-2' })).to.deep.equal([]);
      expect(await idsOf({ recipient: 'eve@example.com' })).to.deep.equal([]);
      expect(await idsOf({ resource: 'other' })).to.deep.equal([]);
    });

    it('createLink lets exactly one of 20 parallel creators of one id win', async () => {
      const results = await Promise.all(times(20, (index) => store.createLink(secureLink('link-1', { resource: `resource-${index}` }))));
      expect(results.filter(Boolean)).to.have.length(1);
      expect((await store.getLink('link-1'))?.resource).to.equal(`resource-${results.indexOf(true)}`);
    });

    it('saveLink writes the next version only over the version the caller read', async () => {
      await store.createLink(secureLink('link-1'));
      const extended = { ...secureLink('link-1'), expiresAt: 1_900_000_000_000 };

      expect(await store.saveLink(extended, 1)).to.equal(true);
      expect(await store.getLink('link-1')).to.deep.equal({ ...extended, version: 2 });

      expect(await store.saveLink({ ...extended, resource: 'stale' }, 1)).to.equal(false);
      expect(await store.saveLink({ ...extended, resource: 'from the future' }, 3)).to.equal(false);
      expect(await store.getLink('link-1')).to.deep.equal({ ...extended, version: 2 });

      expect(await store.saveLink({ ...extended, version: 3, resource: 'renamed' }, 2)).to.equal(true);
      expect(await store.getLink('link-1')).to.deep.include({ version: 3, resource: 'renamed' });
    });

    it('saveLink lets exactly one of 20 parallel savers of the same version win, and lists the link only under its recipients', async () => {
      await store.createLink(secureLink('link-1'));
      const saves = times(20, (index) =>
        store.saveLink(secureLink('link-1', { version: 2, recipients: [recipient('ada@example.com'), recipient(`reader-${index}@example.com`)] }), 1),
      );
      const results = await Promise.all(saves);
      expect(results.filter(Boolean)).to.have.length(1);
      const winner = results.indexOf(true);
      const stored = await store.getLink('link-1');
      expect(stored?.version).to.equal(2);
      expect(stored?.recipients.map((entry) => entry.emailNormalized)).to.deep.equal(['ada@example.com', `reader-${winner}@example.com`]);
      for (const index of times(20, (index) => index)) {
        expect(await idsOf({ recipient: `reader-${index}@example.com` }), `reader-${index}`).to.deep.equal(index === winner ? ['link-1'] : []);
      }
    });

    it('saveLink of a link that is gone stores nothing', async () => {
      expect(await store.saveLink(secureLink('link-1'), 1)).to.equal(false);
      expect(await store.getLink('link-1')).to.equal(undefined);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal([]);
    });

    it('saveLink throws a TypeError for a change of clientId or createdAt and stores nothing', async () => {
      const link = secureLink('link-1');
      await store.createLink(link);
      for (const change of [{ clientId: 'client-2' }, { createdAt: link.createdAt + 1 }]) {
        expect(await rejectionOf(store.saveLink({ ...link, ...change, resource: 'changed' }, 1))).to.be.instanceOf(TypeError);
      }
      expect(await store.getLink('link-1')).to.deep.equal(link);
      expect(await idsOf({ clientId: 'client-2' })).to.deep.equal([]);
    });

    it('lists a link under a recipient once added, and no longer once removed, also when added again', async () => {
      const link = secureLink('link-1', { recipients: [recipient('ada@example.com')] });
      await store.createLink(link);
      const ada = recipient('ada@example.com');
      const bob = recipient('bob@example.com');

      await store.saveLink({ ...link, recipients: [ada, bob] }, 1);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-1']);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-1']);

      await store.saveLink({ ...link, recipients: [bob] }, 2);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal([]);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-1']);

      await store.saveLink({ ...link, recipients: [] }, 3);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);

      await store.saveLink({ ...link, recipients: [ada] }, 4);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-1']);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);
    });

    it('deleteLink returns the link and removes it from every list', async () => {
      const doomed = secureLink('link-1', { recipients: [recipient('ada@example.com'), recipient('bob@example.com')] });
      await store.createLink(doomed);
      await store.saveLink({ ...doomed, expiresAt: 1_900_000_000_000 }, 1);
      await store.createLink(secureLink('link-2', { createdAt: doomed.createdAt - 1000 }));

      expect(await store.deleteLink('link-1')).to.deep.equal({ ...doomed, expiresAt: 1_900_000_000_000, version: 2 });

      expect(await store.getLink('link-1')).to.equal(undefined);
      expect(await idsOf({})).to.deep.equal(['link-2']);
      expect(await idsOf({ clientId: 'client-1' })).to.deep.equal(['link-2']);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-2']);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal([]);
      expect(await idsOf({ resource: doomed.resource })).to.deep.equal([]);
      expect(await store.deleteLink('link-1')).to.equal(undefined);
      expect(await store.saveLink(doomed, 2)).to.equal(false);
    });

    it('lists links newest first, and links of the same ms by id, descending', async () => {
      const base = 1_700_000_000_000;
      const created = [
        secureLink('link-b', { createdAt: base + 2000 }),
        secureLink('link-old', { createdAt: base }),
        secureLink('link-new', { createdAt: base + 5000 }),
        secureLink('link-a', { createdAt: base + 2000 }),
        secureLink('link-c', { createdAt: base + 2000 }),
      ];
      for (const link of created) await store.createLink(link);
      const { items, nextCursor } = await store.listLinks({}, { limit: 10 });
      expect(items.map((link) => link.id)).to.deep.equal(['link-new', 'link-c', 'link-b', 'link-a', 'link-old']);
      expect(items[0]).to.deep.equal(created[2]);
      expect(nextCursor).to.equal(null);
    });

    it('lists nothing when there are no links', async () => {
      expect(await store.listLinks({}, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
      expect(await store.listLinks({ recipient: 'ada@example.com' }, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
      expect(await store.listLinks({ clientId: 'client-1' }, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
    });

    it('filters by clientId, resource and recipient, alone and together', async () => {
      const base = 1_700_000_000_000;
      const ada = recipient('ada@example.com');
      const bob = recipient('bob@example.com');
      await store.createLink(secureLink('link-1', { createdAt: base + 1, clientId: 'client-1', resource: 'report.pdf', recipients: [ada] }));
      await store.createLink(secureLink('link-2', { createdAt: base + 2, clientId: 'client-1', resource: 'budget.xlsx', recipients: [ada, bob] }));
      await store.createLink(secureLink('link-3', { createdAt: base + 3, clientId: 'client-2', resource: 'report.pdf', recipients: [bob] }));
      await store.createLink(secureLink('link-4', { createdAt: base + 4, clientId: 'client-2', resource: 'report.pdf', recipients: [] }));

      expect(await idsOf({ clientId: 'client-1' })).to.deep.equal(['link-2', 'link-1']);
      expect(await idsOf({ clientId: 'client-2' })).to.deep.equal(['link-4', 'link-3']);
      expect(await idsOf({ resource: 'report.pdf' })).to.deep.equal(['link-4', 'link-3', 'link-1']);
      expect(await idsOf({ resource: 'report' })).to.deep.equal([]);
      expect(await idsOf({ recipient: 'ada@example.com' })).to.deep.equal(['link-2', 'link-1']);
      expect(await idsOf({ recipient: 'bob@example.com' })).to.deep.equal(['link-3', 'link-2']);
      expect(await idsOf({ recipient: 'ADA@example.com' })).to.deep.equal([]);
      expect(await idsOf({ clientId: 'client-2', resource: 'report.pdf' })).to.deep.equal(['link-4', 'link-3']);
      expect(await idsOf({ clientId: 'client-1', recipient: 'bob@example.com' })).to.deep.equal(['link-2']);
      expect(await idsOf({ clientId: 'client-2', resource: 'report.pdf', recipient: 'bob@example.com' })).to.deep.equal(['link-3']);
      expect(await idsOf({ clientId: 'client-3' })).to.deep.equal([]);
      expect(await idsOf({ clientId: '' })).to.deep.equal([]);
    });

    it('pages through 25 links 10 at a time and ends with a null cursor', async () => {
      const base = 1_700_000_000_000;
      const ids = times(25, (index) => `link-${String(index).padStart(2, '0')}`);
      await Promise.all(ids.map((id, index) => store.createLink(secureLink(id, { createdAt: base + index * 1000 }))));
      const newestFirst = ids.toReversed();

      for (const query of [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }]) {
        expect(await pagesOf(query, 10), JSON.stringify(query)).to.deep.equal([newestFirst.slice(0, 10), newestFirst.slice(10, 20), newestFirst.slice(20)]);
      }
    });

    it('gives a null cursor when the last page is exactly full', async () => {
      await Promise.all(times(4, (index) => store.createLink(secureLink(`link-${index}`, { createdAt: 1_700_000_000_000 + index }))));
      for (const query of [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }]) {
        expect(await pagesOf(query, 2), JSON.stringify(query)).to.deep.equal([['link-3', 'link-2'], ['link-1', 'link-0']]);
      }
    });

    it('pages through a filter that matches few of many links', async () => {
      const base = 1_700_000_000_000;
      await Promise.all(
        times(300, (index) =>
          store.createLink(
            secureLink(`link-${String(index).padStart(3, '0')}`, {
              createdAt: base + index,
              resource: index % 60 === 0 ? 'shared.pdf' : `file-${index}.pdf`,
              clientId: index % 2 === 0 ? 'client-even' : 'client-odd',
              recipients: index % 60 === 0 ? [recipient('ada@example.com')] : [recipient('bob@example.com')],
            }),
          ),
        ),
      );
      const expected = [['link-240', 'link-180'], ['link-120', 'link-060'], ['link-000']];
      expect(await pagesOf({ resource: 'shared.pdf' }, 2)).to.deep.equal(expected);
      expect(await pagesOf({ clientId: 'client-even', resource: 'shared.pdf' }, 2)).to.deep.equal(expected);
      expect(await pagesOf({ recipient: 'ada@example.com' }, 2)).to.deep.equal(expected);
      expect(await pagesOf({ clientId: 'client-odd', resource: 'shared.pdf' }, 2)).to.deep.equal([[]]);
    });

    it('pages through many links created in the same ms without losing or repeating one', async () => {
      const createdAt = 1_700_000_000_000;
      const ids = times(130, (index) => `link-${String(index).padStart(3, '0')}`);
      await Promise.all(
        ids.map((id, index) => store.createLink(secureLink(id, { createdAt, resource: index % 10 === 0 ? 'shared.pdf' : `file-${index}.pdf` }))),
      );
      const newestFirst = ids.toReversed();

      const pages = await pagesOf({}, 50);
      expect(pages.map((page) => page.length)).to.deep.equal([50, 50, 30]);
      expect(pages.flat()).to.deep.equal(newestFirst);

      const shared = newestFirst.filter((id) => Number(id.slice(5)) % 10 === 0);
      const sharedPages = await pagesOf({ resource: 'shared.pdf' }, 4);
      expect(sharedPages.map((page) => page.length)).to.deep.equal([4, 4, 4, 1]);
      expect(sharedPages.flat()).to.deep.equal(shared);
    });

    it('rejects a bad cursor with an InvalidCursorError', async () => {
      await store.createLink(secureLink('link-1'));
      const encode = (text: string) => Buffer.from(text).toString('base64url');
      const cursors = ['not a cursor', '', encode('1700000000000'), encode('1700000000000:'), encode('soon:link-1'), encode('01700000000000:link-1'), encode('12-3')];
      await expectEachCursorRejected((query, page) => store.listLinks(query, page), [{}, { clientId: 'client-1' }, { recipient: 'ada@example.com' }], cursors);
    });

    it('rejects a page limit below 1 with a RangeError', async () => {
      expect(await rejectionOf(store.listLinks({}, { limit: 0 }))).to.be.instanceOf(RangeError);
    });

    it('returns copies: changing what it returned or was given changes nothing stored', async () => {
      const link = secureLink('link-1');
      await store.createLink(link);
      link.recipients.push(recipient('eve@example.com'));
      (await store.getLink('link-1'))!.recipients[0]!.verifiedAt = 1;
      (await store.listLinks({}, { limit: 1 })).items[0]!.resource = 'changed';
      expect(await store.getLink('link-1')).to.deep.equal(secureLink('link-1'));
      expect(await idsOf({ recipient: 'eve@example.com' })).to.deep.equal([]);

      const saved = secureLink('link-1', { expiresAt: 1_900_000_000_000 });
      await store.saveLink(saved, 1);
      saved.expiresAt = 1;
      expect(await store.getLink('link-1')).to.deep.equal({ ...secureLink('link-1', { expiresAt: 1_900_000_000_000 }), version: 2 });
    });
  });
}
