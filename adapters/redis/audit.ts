/** The audit log in Redis: one stream, an entry per event (its JSON in the field `event`); stream ids are the event ids. */
import { z } from 'zod';

import { CorruptRecordError } from '../errors.ts';
import { auditMatches, decodeAuditCursor, isBeforeWindow, toAuditPage } from '../shared/audit.ts';
import { auditActorTypes, auditResults, type AuditEvent, type AuditQuery, type AuditStore } from '../store/audit.ts';
import type { Page, PageRequest } from '../store/paging.ts';
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

/** Audit entries read per XRANGE while paging; a page never holds the whole stream. */
const auditChunk = (limit: number) => Math.min(1000, Math.max(100, limit + 1));

export class RedisAudit extends RedisPart implements AuditStore {
  readonly #eventSchema: ReturnType<typeof storedEventSchema>;

  constructor(redis: RedisConnection, operations: readonly string[] | undefined) {
    super(redis);
    this.#eventSchema = storedEventSchema(operations);
  }

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    if (events.length === 0) return [];
    const ids = (await this.redis.script('gpAppendAudit', this.keys.audit(), ...events.map((event) => JSON.stringify(event)))) as string[];
    return events.map((event, index) => ({ id: ids[index]!, ...structuredClone(event) }));
  }

  async listAudit(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const afterId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const key = this.keys.audit();
    const chunk = auditChunk(page.limit);
    const items: AuditEvent[] = [];
    let start = afterId === undefined ? '-' : `(${afterId}`;
    // One match more than asked tells whether another page exists.
    while (items.length <= page.limit) {
      const entries = await this.redis.run((client) => client.xrange(key, start, '+', 'COUNT', chunk));
      for (const [id, fields] of entries) {
        const event = parseAuditEntry(id, fields, this.#eventSchema);
        if (auditMatches(event, query)) items.push(event);
        if (items.length > page.limit) break;
      }
      if (entries.length < chunk) break;
      start = `(${entries.at(-1)![0]}`;
    }
    return toAuditPage(items, page.limit);
  }

  async listAuditNewestFirst(query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    const beforeId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    const key = this.keys.audit();
    const chunk = auditChunk(page.limit);
    const items: AuditEvent[] = [];
    let end = beforeId === undefined ? '+' : `(${beforeId}`;
    scan: while (items.length <= page.limit) {
      const entries = await this.redis.run((client) => client.xrevrange(key, end, '-', 'COUNT', chunk));
      for (const [id, fields] of entries) {
        const event = parseAuditEntry(id, fields, this.#eventSchema);
        if (isBeforeWindow(event, query)) break scan;
        if (auditMatches(event, query)) items.push(event);
        if (items.length > page.limit) break;
      }
      if (entries.length < chunk) break;
      end = `(${entries.at(-1)![0]}`;
    }
    return toAuditPage(items, page.limit);
  }

  async trimAudit(before: number): Promise<void> {
    // Stream ids start with the append time, so MINID drops exactly the entries appended before `before`.
    await this.redis.run((client) => client.xtrim(this.keys.audit(), 'MINID', Math.max(0, Math.floor(before))));
  }
}

function parseAuditEntry(id: string, fields: string[], schema: ReturnType<typeof storedEventSchema>): AuditEvent {
  const json = pairsToRecord(fields).event;
  if (json === undefined) throw new CorruptRecordError(`audit entry ${id}`, 'no event field');
  return { id, ...parseStoredJson(schema, json, `audit entry ${id}`) };
}
