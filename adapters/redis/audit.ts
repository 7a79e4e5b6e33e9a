/**
 * The audit log in Redis: one stream, an entry per event (its JSON in the field `event`); stream
 * ids are the event ids, `<event time ms>-<seq>`. Each event is also a member of one sorted set
 * per index term (operation, sharingId, email, clientId; `audit_scripts.ts`), so a filtered page
 * walks the smallest matching index instead of the log, and a time range starts and stops at its
 * ids. Events appended before the indexes existed are found by reading the stream, until
 * retention has trimmed them.
 */
import { z } from 'zod';

import { CorruptRecordError } from '../errors.ts';
import { copyOf } from '../shared/copy.ts';
import { auditIndexTerms, auditMatches, auditQueryTerms, auditTimeMs, auditUntilSlackMs, compareAuditIds, decodeAuditCursor, toAuditPage } from '../shared/audit.ts';
import { auditActorTypes, auditResults, type AuditEvent, type AuditQuery, type AuditStore } from '../store/audit.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { auditIdOfMember, auditIndexMember, auditIndexTime } from './audit_scripts.ts';
import { RedisPart, type RedisConnection } from './connection.ts';
import { pairsToRecord, parseStoredJson } from './stored.ts';

/** An event as appended, without its id (the stream entry's id is the event's); `operations`, when given, the names it may carry. */
function storedEventSchema(operations: readonly string[] | undefined) {
  return z.looseObject({
    time: z.iso.datetime({ offset: true }),
    operation: operations ? z.enum(operations as [string, ...string[]]) : z.string().min(1),
    actor: z.looseObject({ type: z.enum(auditActorTypes), id: z.string() }),
    sharingId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()),
    ip: z.string().optional(),
    userAgent: z.string().optional(),
    result: z.enum(auditResults),
  }) satisfies z.ZodType<Omit<AuditEvent, 'id'>>;
}

/** Entries read per step while paging; a page never holds the whole stream. */
const auditChunk = (limit: number) => Math.min(1000, Math.max(100, limit + 1));
/** Indexes trimmed per script call, so retention never holds Redis for long. */
const trimBatch = 200;

/** The ids a listing may read, both ends as stream ids; `exclusive` where a cursor set the end. */
interface Window {
  low: { id: string; exclusive: boolean } | undefined;
  high: { id: string; exclusive: boolean } | undefined;
}

export class RedisAudit extends RedisPart implements AuditStore {
  readonly #eventSchema: ReturnType<typeof storedEventSchema>;
  /** Once no event from before the indexes is left, none comes back: the indexes alone answer. */
  #indexesComplete = false;
  /** Whether this instance has set the mark of the first indexed event (or seen it set): it never changes after. */
  #startMarked = false;

  constructor(redis: RedisConnection, operations: readonly string[] | undefined) {
    super(redis);
    this.#eventSchema = storedEventSchema(operations);
  }

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    if (events.length === 0) return [];
    const args: (string | number)[] = [this.keys.auditIndex(''), this.#startMarked ? '0' : '1'];
    for (const event of events) {
      const terms = auditIndexTerms(event);
      args.push(auditTimeMs(event), JSON.stringify(event), terms.length, ...terms);
    }
    const ids = (await this.redis.script('gpAppendAudit', this.keys.audit(), this.keys.auditIndexRegistry(), this.keys.auditIndexStart(), ...args)) as string[];
    this.#startMarked = true;
    return events.map((event, index) => ({ id: ids[index]!, ...copyOf(event) }));
  }

  listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    return this.#list(query, page, false);
  }

  listAuditNewestFirst(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    return this.#list(query, page, true);
  }

  async #list(query: AuditQuery, page: PageRequest, newestFirst: boolean): Promise<Page<AuditEvent>> {
    const window = windowOf(query, page, newestFirst);
    const terms = auditQueryTerms(query);
    const index = terms.length > 0 && (await this.#indexesAnswer(window)) ? await this.#smallestIndex(terms) : undefined;
    if (index === null) return toAuditPage([], page.limit);
    const items: AuditEvent[] = [];
    // Only the index's term decides, and no other filter: the page is the next limit + 1 ids.
    const exact = index !== undefined && terms.length === 1 && query.result === undefined && query.since === undefined && query.until === undefined;
    const chunk = exact ? page.limit + 1 : auditChunk(page.limit);
    // One match more than asked tells whether another page exists.
    while (items.length <= page.limit) {
      const events = index === undefined ? await this.#readStream(window, chunk, newestFirst) : await this.#readIndex(index, window, chunk, newestFirst);
      for (const event of events.found) {
        if (auditMatches(event, query)) items.push(event);
        if (items.length > page.limit) break;
      }
      if (events.lastId === undefined || events.read < chunk) break;
      if (newestFirst) window.high = { id: events.lastId, exclusive: true };
      else window.low = { id: events.lastId, exclusive: true };
    }
    return toAuditPage(items, page.limit);
  }

  /** Whether the indexes hold every event the window may hold: none older than the first indexed one is left in it. */
  async #indexesAnswer(window: Window): Promise<boolean> {
    if (this.#indexesComplete) return true;
    const [start, first] = await Promise.all([
      this.redis.run((client) => client.get(this.keys.auditIndexStart())),
      this.redis.run((client) => client.xrange(this.keys.audit(), '-', '+', 'COUNT', 1)),
    ]);
    const firstId = first[0]?.[0];
    if (firstId === undefined || (start !== null && compareAuditIds(firstId, start) >= 0)) {
      this.#indexesComplete = true;
      return true;
    }
    // Older events remain; the indexes still answer a window that starts at or after the first indexed event.
    return start !== null && window.low !== undefined && compareAuditIds(window.low.id, start) >= 0;
  }

  /** The key of the smallest index of the terms, or null when one of them has none (nothing matches). */
  async #smallestIndex(terms: string[]): Promise<string | null> {
    const keys = terms.map((term) => this.keys.auditIndex(term));
    const sizes = await Promise.all(keys.map((key) => this.redis.run((client) => client.zcard(key))));
    let best = 0;
    for (let i = 1; i < keys.length; i += 1) if (sizes[i]! < sizes[best]!) best = i;
    return sizes[best] === 0 ? null : keys[best]!;
  }

  async #readStream(window: Window, chunk: number, newestFirst: boolean): Promise<{ found: AuditEvent[]; read: number; lastId: string | undefined }> {
    const low = window.low === undefined ? '-' : `${window.low.exclusive ? '(' : ''}${window.low.id}`;
    const high = window.high === undefined ? '+' : `${window.high.exclusive ? '(' : ''}${window.high.id}`;
    const key = this.keys.audit();
    const entries = await this.redis.run((client) => (newestFirst ? client.xrevrange(key, high, low, 'COUNT', chunk) : client.xrange(key, low, high, 'COUNT', chunk)));
    const found = entries.map(([id, fields]) => toEvent(id, pairsToRecord(fields).event, this.#eventSchema));
    return { found, read: entries.length, lastId: entries.at(-1)?.[0] };
  }

  async #readIndex(key: string, window: Window, chunk: number, newestFirst: boolean): Promise<{ found: AuditEvent[]; read: number; lastId: string | undefined }> {
    const low = window.low === undefined ? '-' : `${window.low.exclusive ? '(' : '['}${auditIndexMember(window.low.id)}`;
    // An inclusive upper id `<ms>-max` (the end of `until`) is every member before ms + 1.
    const high = window.high === undefined ? '+' : window.high.exclusive ? `(${auditIndexMember(window.high.id)}` : `(${auditIndexTime(Number(window.high.id.split('-')[0]) + 1)}`;
    const members = (await this.redis.run((client) =>
      newestFirst ? client.call('ZRANGE', key, high, low, 'BYLEX', 'REV', 'LIMIT', 0, chunk) : client.call('ZRANGE', key, low, high, 'BYLEX', 'LIMIT', 0, chunk),
    )) as string[];
    if (members.length === 0) return { found: [], read: 0, lastId: undefined };
    const ids = members.map(auditIdOfMember);
    const pairs = (await this.redis.script('gpReadAudit', this.keys.audit(), ...ids)) as string[];
    const found: AuditEvent[] = [];
    for (let i = 0; i < pairs.length; i += 2) found.push(toEvent(pairs[i]!, pairs[i + 1] || undefined, this.#eventSchema));
    return { found, read: members.length, lastId: ids.at(-1) };
  }

  async trimAudit(before: number): Promise<void> {
    const cutoff = Math.max(0, Math.floor(before));
    // Ids start with the event's time (or a later one), so MINID drops the events of before `before`.
    await this.redis.run((client) => client.xtrim(this.keys.audit(), 'MINID', cutoff));
    const bound = `(${auditIndexTime(cutoff)}`;
    for (let rank = 0; ; ) {
      const [read, kept] = (await this.redis.script('gpTrimAuditIndexes', this.keys.auditIndexRegistry(), bound, rank, trimBatch)) as [number, number];
      rank += kept;
      if (read < trimBatch) break;
    }
  }
}

/** The window of ids a listing reads: the cursor's side is exclusive; `since` starts it (ids are never before their event's time), `until` ends it with some slack. */
function windowOf(query: AuditQuery, page: PageRequest, newestFirst: boolean): Window {
  const cursor = page.cursor === undefined ? undefined : { id: decodeAuditCursor(page.cursor), exclusive: true };
  const since = query.since === undefined ? undefined : { id: `${Math.max(0, Math.floor(query.since))}-0`, exclusive: false };
  const until = query.until === undefined ? undefined : { id: `${Math.max(0, Math.floor(query.until) + auditUntilSlackMs)}-18446744073709551615`, exclusive: false };
  const later = (a: Window['low'], b: Window['low']) => (a === undefined ? b : b === undefined ? a : compareAuditIds(a.id, b.id) >= 0 ? a : b);
  const earlier = (a: Window['low'], b: Window['low']) => (a === undefined ? b : b === undefined ? a : compareAuditIds(a.id, b.id) <= 0 ? a : b);
  return newestFirst ? { low: since, high: earlier(cursor, until) } : { low: later(cursor, since), high: until };
}

function toEvent(id: string, json: string | undefined, schema: ReturnType<typeof storedEventSchema>): AuditEvent {
  if (json === undefined) throw new CorruptRecordError(`audit entry ${id}`, 'no event field');
  return { id, ...parseStoredJson(schema, json, `audit entry ${id}`) };
}
