/** The contract for the index of dynamic client ids: idempotent, ordered, paged with an opaque cursor. */
import { expect } from 'chai';

import { InvalidCursorError } from '../../../adapters/errors.ts';
import type { ContractStore } from './fixtures.ts';

export function clientsContract(store: ContractStore): void {
  describe('client index', () => {
    it('lists nothing until a client is indexed', async () => {
      expect(await store.listClientIds({ limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
    });

    it('indexes an id once however often it is added, and forgets it when removed', async () => {
      await store.indexClient('b-client');
      await store.indexClient('b-client');
      await store.indexClient('a-client');
      expect((await store.listClientIds({ limit: 10 })).items).to.deep.equal(['a-client', 'b-client']);
      await store.unindexClient('b-client');
      await store.unindexClient('never-indexed');
      expect((await store.listClientIds({ limit: 10 })).items).to.deep.equal(['a-client']);
    });

    it('pages through every id in byte order, each exactly once', async () => {
      const ids = Array.from({ length: 7 }, (_, index) => `client-${index}`).concat(['Z', 'a:b', 'é']);
      await Promise.all(ids.map((id) => store.indexClient(id)));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listClientIds({ cursor, limit: 3 });
        expect(page.items.length).to.be.at.most(3);
        seen.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).to.deep.equal([...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    });

    it('refuses a cursor it did not hand out', async () => {
      for (const cursor of ['', '!!', 'not base64 at all']) {
        await store.listClientIds({ cursor, limit: 3 }).then(
          () => expect.fail(`cursor ${JSON.stringify(cursor)} was accepted`),
          (error: unknown) => expect(error).to.be.instanceOf(InvalidCursorError),
        );
      }
    });
  });
}
