/** The audit log in memory: an array in append order, ids `<ms>-<sequence>` as Redis stream ids are. */
import { auditMatches, compareAuditIds, decodeAuditCursor, isBeforeWindow, toAuditPage } from '../shared/audit.ts';
import type { AuditEvent, AuditQuery, AuditStore } from '../store/audit.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { clone } from './maps.ts';

export class MemoryAudit implements AuditStore {
  #audit: AuditEvent[] = [];
  #auditSequence = 0;

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    const stored = events.map((event) => {
      this.#auditSequence += 1;
      return { id: `${Date.now()}-${this.#auditSequence}`, ...clone(event) };
    });
    this.#audit.push(...stored);
    return clone(stored);
  }

  async listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const afterId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    // Ids grow with each append, so the events after the cursor start where the first larger id is.
    let index = afterId === undefined ? 0 : this.#audit.findIndex((event) => compareAuditIds(event.id, afterId) > 0);
    if (index < 0) index = this.#audit.length;
    const items: AuditEvent[] = [];
    // One match more than asked tells whether another page exists.
    for (; index < this.#audit.length && items.length <= page.limit; index += 1) {
      const event = this.#audit[index]!;
      if (auditMatches(event, query)) items.push(clone(event));
    }
    return toAuditPage(items, page.limit);
  }

  async listAuditNewestFirst(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const beforeId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const items: AuditEvent[] = [];
    for (let index = this.#audit.length - 1; index >= 0 && items.length <= page.limit; index -= 1) {
      const event = this.#audit[index]!;
      if (beforeId !== undefined && compareAuditIds(event.id, beforeId) >= 0) continue;
      if (isBeforeWindow(event, query)) break;
      if (auditMatches(event, query)) items.push(clone(event));
    }
    return toAuditPage(items, page.limit);
  }

  async trimAudit(before: number): Promise<void> {
    this.#audit = this.#audit.filter((event) => Date.parse(event.time) >= before);
  }
}
