/** The contract for the audit log: appended in order, filtered, paged. */
import { expect } from 'chai';

import { InvalidCursorError } from '../../../adapters/errors.ts';
import { auditMatches, compareAuditIds } from '../../../adapters/shared/audit.ts';
import type { Store } from '../../../adapters/store.ts';
import { auditEvent, type ContractStore, delay, rejectionOf, times } from './fixtures.ts';

export function auditContract(store: ContractStore): void {
  describe('audit log', () => {
    it('appendAudit returns the events with ids in append order', async () => {
      const first = await store.appendAudit([auditEvent({ operation: 'VerificationCodeSent' }), auditEvent({ operation: 'VerificationSucceeded' })]);
      const second = await store.appendAudit([auditEvent({ operation: 'SignedIn' })]);
      const ids = [...first, ...second].map((event) => event.id);
      for (const id of ids) expect(id).to.match(/^\d+-\d+$/);
      expect(ids.toSorted(compareAuditIds)).to.deep.equal(ids);
      expect(new Set(ids).size).to.equal(3);
      expect(first[0]).to.deep.include({ operation: 'VerificationCodeSent', actor: { type: 'person', id: 'person-1' } });
    });

    it('lists events oldest first, as stored', async () => {
      const appended = [
        ...(await store.appendAudit([auditEvent({ operation: 'GuestInvited', sharingId: 'link-1', detail: { email: 'ada@example.com' } })])),
        ...(await store.appendAudit([auditEvent({ operation: 'GuestRedeemed', ip: '192.0.2.1', userAgent: 'test' })])),
        ...(await store.appendAudit([auditEvent({ operation: 'SignedIn', result: 'failure' })])),
      ];
      expect(await store.listAudit({}, { limit: 10 })).to.deep.equal({ items: appended, nextCursor: null });
    });

    it('lists nothing from an empty log', async () => {
      expect(await store.listAudit({}, { limit: 10 })).to.deep.equal({ items: [], nextCursor: null });
    });

    it('filters by operation, sharingId and email', async () => {
      await store.appendAudit([
        auditEvent({ operation: 'AddedToSecureLink', sharingId: 'link-1', detail: { email: 'ada@example.com' } }),
        auditEvent({ operation: 'AddedToSecureLink', sharingId: 'link-2', detail: { email: 'bob@example.com' } }),
        auditEvent({ operation: 'VerificationCodeSent', sharingId: 'link-1', detail: { email: 'bob@example.com' } }),
        auditEvent({ operation: 'SignedIn', detail: { email: 'ada@example.com' } }),
      ]);
      const operations = async (query: Parameters<Store['listAudit']>[0]) =>
        (await store.listAudit(query, { limit: 10 })).items.map((event) => [event.operation, event.sharingId ?? null, event.detail.email]);

      expect(await operations({ operation: 'AddedToSecureLink' })).to.deep.equal([
        ['AddedToSecureLink', 'link-1', 'ada@example.com'],
        ['AddedToSecureLink', 'link-2', 'bob@example.com'],
      ]);
      expect(await operations({ sharingId: 'link-1' })).to.deep.equal([
        ['AddedToSecureLink', 'link-1', 'ada@example.com'],
        ['VerificationCodeSent', 'link-1', 'bob@example.com'],
      ]);
      expect(await operations({ email: 'ada@example.com' })).to.deep.equal([
        ['AddedToSecureLink', 'link-1', 'ada@example.com'],
        ['SignedIn', null, 'ada@example.com'],
      ]);
      expect(await operations({ operation: 'AddedToSecureLink', email: 'bob@example.com' })).to.deep.equal([['AddedToSecureLink', 'link-2', 'bob@example.com']]);
      expect(await operations({ operation: 'UserDeleted' })).to.deep.equal([]);
    });

    it('filters by clientId in the detail, alone and with other filters', async () => {
      await store.appendAudit([
        auditEvent({ operation: 'SignedIn', detail: { clientId: 'client-1', email: 'ada@example.com', index: 0 } }),
        auditEvent({ operation: 'SignedIn', detail: { clientId: 'client-2', email: 'ada@example.com', index: 1 } }),
        auditEvent({ operation: 'SecureLinkCreated', actor: { type: 'client', id: 'client-1' }, detail: { index: 2 } }),
        auditEvent({ operation: 'VerificationCodeSent', detail: { clientId: 'client-1', email: 'bob@example.com', index: 3 } }),
      ]);
      const indexes = async (query: Parameters<Store['listAudit']>[0]) => (await store.listAudit(query, { limit: 10 })).items.map((event) => event.detail.index);

      expect(await indexes({ clientId: 'client-1' })).to.deep.equal([0, 3]);
      expect(await indexes({ clientId: 'client-2' })).to.deep.equal([1]);
      expect(await indexes({ clientId: 'client-1', operation: 'SignedIn' })).to.deep.equal([0]);
      expect(await indexes({ clientId: 'client-1', email: 'bob@example.com' })).to.deep.equal([3]);
      expect(await indexes({ clientId: 'client-3' })).to.deep.equal([]);
      expect(await indexes({ clientId: '' })).to.deep.equal([]);
    });

    it('filters by time with inclusive bounds', async () => {
      const start = Date.parse('2026-01-01T00:00:00.000Z');
      await store.appendAudit(times(5, (index) => auditEvent({ time: new Date(start + index * 60_000).toISOString(), detail: { index } })));
      const { items } = await store.listAudit({ since: start + 60_000, until: start + 180_000 }, { limit: 10 });
      expect(items.map((event) => event.detail.index)).to.deep.equal([1, 2, 3]);
      expect((await store.listAudit({ since: start + 240_001 }, { limit: 10 })).items).to.deep.equal([]);
    });

    it('pages with nextCursor and ends with a null cursor on the last page', async () => {
      await store.appendAudit(times(5, (index) => auditEvent({ detail: { index } })));
      const pages: unknown[][] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.listAudit({}, { cursor, limit: 2 });
        pages.push(page.items.map((event) => event.detail.index));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(pages).to.deep.equal([[0, 1], [2, 3], [4]]);
    });

    it('gives a null cursor when the last page is exactly full', async () => {
      await store.appendAudit(times(4, (index) => auditEvent({ detail: { index } })));
      const first = await store.listAudit({}, { limit: 2 });
      expect(first.nextCursor).to.be.a('string');
      const second = await store.listAudit({}, { cursor: first.nextCursor!, limit: 2 });
      expect(second.items.map((event) => event.detail.index)).to.deep.equal([2, 3]);
      expect(second.nextCursor).to.equal(null);
    });

    it('pages through a filter that matches few of many events', async () => {
      await store.appendAudit(times(450, (index) => auditEvent({ operation: index % 90 === 0 ? 'GuestInvited' : 'SignedIn', detail: { index } })));
      const pages: unknown[][] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.listAudit({ operation: 'GuestInvited' }, { cursor, limit: 2 });
        pages.push(page.items.map((event) => event.detail.index));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(pages).to.deep.equal([[0, 90], [180, 270], [360]]);
    });

    it('rejects a bad cursor with an InvalidCursorError', async () => {
      for (const cursor of ['not a cursor', Buffer.from('12-x').toString('base64url'), '']) {
        const error = await rejectionOf(store.listAudit({}, { cursor, limit: 10 }));
        expect(error).to.be.instanceOf(InvalidCursorError);
        expect(error).to.include({ code: 'invalid_cursor' });
      }
    });

    it('trimAudit drops the events older than the given time', async () => {
      await store.appendAudit([auditEvent({ detail: { index: 0 } })]);
      await delay(5);
      const before = Date.now();
      await delay(5);
      await store.appendAudit([auditEvent({ detail: { index: 1 } }), auditEvent({ detail: { index: 2 } })]);

      await store.trimAudit(before);

      const { items } = await store.listAudit({}, { limit: 10 });
      expect(items.map((event) => event.detail.index)).to.deep.equal([1, 2]);
    });

    it('lists newest first, pages, and stops at the first event older than since', async () => {
      const start = Date.parse('2026-01-01T00:00:00.000Z');
      await store.appendAudit(times(7, (index) => auditEvent({ time: new Date(start + index * 60_000).toISOString(), operation: index % 2 ? 'SignedIn' : 'VerificationCodeSent', detail: { index } })));
      const pages: unknown[][] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await store.listAuditNewestFirst({}, { cursor, limit: 3 });
        pages.push(page.items.map((event) => event.detail.index));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(pages).to.deep.equal([[6, 5, 4], [3, 2, 1], [0]]);
      const recent = await store.listAuditNewestFirst({ since: start + 3 * 60_000, operation: 'SignedIn' }, { limit: 10 });
      expect(recent.items.map((event) => event.detail.index)).to.deep.equal([5, 3]);
      expect(recent.nextCursor).to.equal(null);
    });

    it('pages an indexed filter both ways, across other filters, and agrees with reading the whole log', async () => {
      const start = Date.now() - 60_000;
      const events = times(300, (index) =>
        auditEvent({
          time: new Date(start + index * 100).toISOString(),
          operation: index % 3 === 0 ? 'GuestInvited' : 'SignedIn',
          sharingId: `link-${index % 5}`,
          result: index % 7 === 0 ? 'failure' : 'success',
          detail: { index, email: `user-${index % 4}@example.com`, clientId: `client-${index % 2}` },
        }),
      );
      await store.appendAudit(events.slice(0, 150));
      await store.appendAudit(events.slice(150));
      const queries: Parameters<Store['listAudit']>[0][] = [
        { operation: 'GuestInvited' },
        { sharingId: 'link-2' },
        { email: 'user-3@example.com' },
        { clientId: 'client-1' },
        { operation: 'SignedIn', sharingId: 'link-1', email: 'user-1@example.com' },
        { sharingId: 'link-4', result: 'failure' },
        { email: 'user-0@example.com', since: start + 5_000, until: start + 20_000 },
        { since: start + 10_000, until: start + 12_000 },
        { operation: 'UserDeleted' },
        { email: 'nobody@example.com', sharingId: 'link-1' },
      ];
      const all = events.map((event, index) => ({ ...event, index }));
      for (const query of queries) {
        const expected = all.filter((event) => auditMatches({ ...event, id: '0-0' }, query)).map((event) => event.index);
        const pageThrough = async (newestFirst: boolean) => {
          const seen: unknown[] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = newestFirst ? await store.listAuditNewestFirst(query, { cursor, limit: 7 }) : await store.listAudit(query, { cursor, limit: 7 });
            seen.push(...page.items.map((event) => event.detail.index));
            if (page.nextCursor === null) return seen;
            cursor = page.nextCursor;
          }
        };
        expect(await pageThrough(false), JSON.stringify(query)).to.deep.equal(expected);
        expect(await pageThrough(true), JSON.stringify(query)).to.deep.equal(expected.toReversed());
      }
    });

    it('keeps a cursor valid while events are appended after it', async () => {
      await store.appendAudit(times(5, (index) => auditEvent({ sharingId: 'link-1', detail: { index } })));
      const first = await store.listAudit({ sharingId: 'link-1' }, { limit: 3 });
      await store.appendAudit(times(2, (index) => auditEvent({ sharingId: 'link-1', detail: { index: 5 + index } })));
      const second = await store.listAudit({ sharingId: 'link-1' }, { cursor: first.nextCursor!, limit: 10 });
      expect([...first.items, ...second.items].map((event) => event.detail.index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    });

    it('trimAudit drops trimmed events from the indexed filters too', async () => {
      await store.appendAudit([auditEvent({ operation: 'GuestInvited', sharingId: 'link-1', detail: { index: 0, email: 'ada@example.com', clientId: 'client-1' } })]);
      await delay(5);
      const before = Date.now();
      await delay(5);
      await store.appendAudit([auditEvent({ operation: 'SignedIn', sharingId: 'link-1', detail: { index: 1, email: 'ada@example.com', clientId: 'client-1' } })]);

      await store.trimAudit(before);

      for (const query of [{ operation: 'GuestInvited' }, { sharingId: 'link-1' }, { email: 'ada@example.com' }, { clientId: 'client-1' }]) {
        expect((await store.listAudit(query, { limit: 10 })).items.map((event) => event.detail.index), JSON.stringify(query)).to.deep.equal(query.operation ? [] : [1]);
        expect((await store.listAuditNewestFirst(query, { limit: 10 })).items.map((event) => event.detail.index), JSON.stringify(query)).to.deep.equal(query.operation ? [] : [1]);
      }
    });

    it('gives ids after the last one to an event timed before it, and finds it by its own time', async () => {
      const now = Date.now();
      const [late] = await store.appendAudit([auditEvent({ time: new Date(now).toISOString(), detail: { index: 0 } })]);
      const [early] = await store.appendAudit([auditEvent({ time: new Date(now - 1_000).toISOString(), detail: { index: 1 } })]);
      expect(compareAuditIds(early!.id, late!.id)).to.be.greaterThan(0);
      const { items } = await store.listAudit({ until: now - 500 }, { limit: 10 });
      expect(items.map((event) => event.detail.index)).to.deep.equal([1]);
    });

    it('indexes a large batch of events with many distinct values', async () => {
      await store.appendAudit(times(3000, (index) => auditEvent({ sharingId: `link-${index}`, detail: { index, email: `guest-${index}@example.com` } })));
      expect((await store.listAudit({ sharingId: 'link-2999' }, { limit: 10 })).items.map((event) => event.detail.index)).to.deep.equal([2999]);
      expect((await store.listAuditNewestFirst({ email: 'guest-7@example.com' }, { limit: 10 })).items.map((event) => event.detail.index)).to.deep.equal([7]);
    });

    it('keeps every event in its indexes when appends race', async () => {
      await Promise.all(times(20, (index) => store.appendAudit([auditEvent({ sharingId: 'link-1', detail: { index, email: 'ada@example.com' } }), auditEvent({ operation: 'GuestInvited', sharingId: 'link-1', detail: { index: 100 + index } })])));
      const all = (await store.listAudit({}, { limit: 100 })).items;
      expect(all).to.have.length(40);
      expect(new Set(all.map((event) => event.id)).size).to.equal(40);
      expect((await store.listAudit({ sharingId: 'link-1' }, { limit: 100 })).items).to.deep.equal(all);
      expect((await store.listAudit({ email: 'ada@example.com' }, { limit: 100 })).items).to.deep.equal(all.filter((event) => event.detail.email));
      expect((await store.listAuditNewestFirst({ operation: 'GuestInvited' }, { limit: 100 })).items).to.deep.equal(all.filter((event) => event.operation === 'GuestInvited').toReversed());
    });

    it('does not let a value spelled like another filter, or with braces and colons, reach another index', async () => {
      await store.appendAudit([
        auditEvent({ operation: 'SignedIn', sharingId: 'operation:GuestInvited', detail: { index: 0, email: 'x}{y:z@example.com' } }),
        auditEvent({ operation: 'GuestInvited', detail: { index: 1, email: 'sharingId:link-1' } }),
        auditEvent({ operation: 'SignedIn', sharingId: 'link-1', detail: { index: 2 } }),
      ]);
      const indexes = async (query: Parameters<Store['listAudit']>[0]) => (await store.listAudit(query, { limit: 10 })).items.map((event) => event.detail.index);
      expect(await indexes({ operation: 'GuestInvited' })).to.deep.equal([1]);
      expect(await indexes({ sharingId: 'operation:GuestInvited' })).to.deep.equal([0]);
      expect(await indexes({ sharingId: 'link-1' })).to.deep.equal([2]);
      expect(await indexes({ email: 'x}{y:z@example.com' })).to.deep.equal([0]);
      expect(await indexes({ email: 'sharingId:link-1' })).to.deep.equal([1]);
      expect(await indexes({ email: 'link-1' })).to.deep.equal([]);
    });

    it('filters by result', async () => {
      await store.appendAudit([auditEvent({ detail: { index: 0 } }), auditEvent({ result: 'failure', detail: { index: 1 } }), auditEvent({ detail: { index: 2 } })]);
      expect((await store.listAudit({ result: 'failure' }, { limit: 10 })).items.map((event) => event.detail.index)).to.deep.equal([1]);
      expect((await store.listAuditNewestFirst({ result: 'success' }, { limit: 10 })).items.map((event) => event.detail.index)).to.deep.equal([2, 0]);
    });
  });
}
