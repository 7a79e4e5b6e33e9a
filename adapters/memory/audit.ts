/**
 * The audit log in memory: an array in append order, ids `<ms>-<sequence>` as the Redis store's
 * are (the event's time, or the last id's when that is later). Each index term (`auditIndexTerms`)
 * keeps its own array of the events that carry it, so a filtered page reads the smallest one.
 */
import { auditIndexTerms, auditMatches, auditQueryTerms, auditTimeMs, compareAuditIds, decodeAuditCursor, isBeforeWindow, toAuditPage } from '../shared/audit.ts';
import type { AuditEvent, AuditQuery, AuditStore } from '../store/audit.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { clone } from './maps.ts';

export class MemoryAudit implements AuditStore {
  #audit: AuditEvent[] = [];
  #indexes = new Map<string, AuditEvent[]>();
  #auditSequence = 0;
  #lastMs = 0;

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    const stored = events.map((event) => {
      this.#auditSequence += 1;
      this.#lastMs = Math.max(this.#lastMs, auditTimeMs(event));
      return { id: `${this.#lastMs}-${this.#auditSequence}`, ...clone(event) };
    });
    for (const event of stored) {
      this.#audit.push(event);
      for (const term of auditIndexTerms(event)) {
        const index = this.#indexes.get(term);
        if (index) index.push(event);
        else this.#indexes.set(term, [event]);
      }
    }
    return clone(stored);
  }

  /** The events a query reads: the smallest index of its terms, or the whole log. */
  #source(query: AuditQuery): AuditEvent[] {
    let source = this.#audit;
    for (const term of auditQueryTerms(query)) {
      const index = this.#indexes.get(term) ?? [];
      if (index.length < source.length || source === this.#audit) source = index;
    }
    return source;
  }

  async listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const afterId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const source = this.#source(query);
    // Ids grow with each append, so the events after the cursor start where the first larger id is.
    let index = afterId === undefined ? 0 : firstAfter(source, afterId);
    const items: AuditEvent[] = [];
    // One match more than asked tells whether another page exists.
    for (; index < source.length && items.length <= page.limit; index += 1) {
      const event = source[index]!;
      if (auditMatches(event, query)) items.push(clone(event));
    }
    return toAuditPage(items, page.limit);
  }

  async listAuditNewestFirst(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const beforeId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const source = this.#source(query);
    const items: AuditEvent[] = [];
    let index = beforeId === undefined ? source.length - 1 : firstAfter(source, beforeId) - 1;
    for (; index >= 0 && items.length <= page.limit; index -= 1) {
      const event = source[index]!;
      if (beforeId !== undefined && compareAuditIds(event.id, beforeId) >= 0) continue;
      if (isBeforeWindow(event, query) && Number(event.id.split('-')[0]) < query.since!) break;
      if (auditMatches(event, query)) items.push(clone(event));
    }
    return toAuditPage(items, page.limit);
  }

  async trimAudit(before: number): Promise<void> {
    const kept = (event: AuditEvent) => Number(event.id.split('-')[0]) >= before;
    this.#audit = this.#audit.filter(kept);
    for (const [term, index] of this.#indexes) {
      const left = index.filter(kept);
      if (left.length === 0) this.#indexes.delete(term);
      else this.#indexes.set(term, left);
    }
  }
}

/** The position of the first event with an id after `id` (binary search: ids sort in append order). */
function firstAfter(events: AuditEvent[], id: string): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareAuditIds(events[middle]!.id, id) > 0) high = middle;
    else low = middle + 1;
  }
  return low;
}
