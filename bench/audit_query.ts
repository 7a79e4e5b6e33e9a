/**
 * Audit queries over a large log on Redis (a private redis-server on a free port, never one
 * already running): fills `events` events (default 1 M) pipelined, then times one page of
 * `GET /api/v1/audit` per filter — operation, sharingId, email, clientId, a time range, two
 * together — against an unfiltered page, the baseline. Target: a filtered page ≤ 50 ms.
 * `npm run bench:audit -- --events 100000` tries it smaller.
 */
import { parseArgs } from 'node:util';

import { Redis } from 'ioredis';

import { createRedisStore } from '../adapters/redis.ts';
import { auditIndexMember } from '../adapters/redis/audit_scripts.ts';
import { RedisKeys } from '../adapters/redis/keys.ts';
import { auditIndexTerms } from '../adapters/shared/audit.ts';
import type { AuditEvent, AuditQuery } from '../adapters/store.ts';
import { redisSchema } from '../config/schema.ts';
import { auditOperations } from '../src/audit.ts';
import { startRedisServer } from '../test/support/redis_server.ts';
import { asyncRunner, formatCost, formatTable, measureInterleaved } from './measure.ts';

export const auditQueryTargetMs = 50;
const pageLimit = 50;
/** The log spans this much time, newest event now. */
const spanMs = 30 * 24 * 60 * 60 * 1000;
const links = 10_000;
const addresses = 50_000;
const clients = 20;

/** Event `index` of `total`: a mix of operations as sign-ins make them, links and addresses spread evenly, times in order. */
function eventAt(index: number, total: number, start: number): Omit<AuditEvent, 'id'> {
  const common = ['VerificationCodeSent', 'VerificationSucceeded', 'SignedIn', 'VerificationCodeRejected', 'AddedToSecureLink'];
  // One event in 1000 is of a rare operation.
  const operation = index % 1000 === 999 ? 'UserDeleted' : common[index % common.length]!;
  return {
    time: new Date(start + Math.floor((index * spanMs) / total)).toISOString(),
    operation,
    actor: { type: 'person', id: `person-${index % addresses}` },
    sharingId: `link-${index % links}`,
    detail: { email: `guest-${index % addresses}@example.com`, clientId: `client-${index % clients}` },
    ip: '203.0.113.7',
    userAgent: 'bench',
    result: index % 7 === 3 ? 'failure' : 'success',
  };
}

/**
 * Writes the events straight into the stream and its indexes as `appendAudit` lays them out
 * (explicit ids, one ZADD per index and batch), pipelined: the store's own append, one script
 * per call, is measured in store_operations.ts; here only the reading matters.
 */
async function fill(admin: Redis, keys: RedisKeys, total: number, start: number): Promise<number> {
  const started = performance.now();
  const batch = 5000;
  let lastMs = 0;
  const newest = new Map<string, number>();
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let from = 0; from < total; from += batch) {
    const pipeline = admin.pipeline();
    const members = new Map<string, (string | number)[]>();
    for (let index = from; index < Math.min(total, from + batch); index += 1) {
      const event = eventAt(index, total, start);
      lastMs = Math.max(lastMs + 1, Date.parse(event.time));
      const id = `${lastMs}-0`;
      pipeline.xadd(keys.audit(), id, 'event', JSON.stringify(event));
      for (const term of auditIndexTerms(event)) {
        const key = keys.auditIndex(term);
        const list = members.get(key) ?? [];
        list.push(0, auditIndexMember(id));
        members.set(key, list);
        newest.set(key, lastMs);
      }
      if (index === 0) pipeline.set(keys.auditIndexStart(), id);
    }
    for (const [key, list] of members) pipeline.zadd(key, ...list);
    // One batch on the wire while the next is built.
    await inFlight;
    inFlight = pipeline.exec();
  }
  await inFlight;
  const registry = [...newest].flatMap(([key, ms]) => [ms, key]);
  for (let offset = 0; offset < registry.length; offset += 10_000) await admin.zadd(keys.auditIndexRegistry(), ...registry.slice(offset, offset + 10_000));
  return (total * 1000) / (performance.now() - started);
}

export async function benchAuditQuery(events = 1_000_000): Promise<string> {
  const redisServer = await startRedisServer();
  const store = await createRedisStore({ redis: redisSchema.parse({ url: redisServer.url, keyPrefix: 'bench:' }), auditOperations });
  const admin = new Redis(redisServer.url);
  try {
    const start = Date.now() - spanMs;
    const memoryBefore = await usedMemory(admin);
    const fillRate = await fill(admin, new RedisKeys('bench:'), events, start);
    const memoryAfter = await usedMemory(admin);
    const streamBytes = Number(await admin.call('MEMORY', 'USAGE', 'bench:audit', 'SAMPLES', '100'));

    const middle = start + spanMs / 2;
    const secondPage = (await store.listAudit({ sharingId: 'link-42' }, { limit: pageLimit })).nextCursor ?? undefined;
    const queries: [string, AuditQuery, string | undefined][] = [
      ['unfiltered (baseline)', {}, undefined],
      ['operation, common (1 in 5)', { operation: 'SignedIn' }, undefined],
      ['operation, rare (1 in 1000)', { operation: 'UserDeleted' }, undefined],
      [`sharingId (1 in ${links})`, { sharingId: 'link-42' }, undefined],
      ['sharingId, 2nd page', { sharingId: 'link-42' }, secondPage],
      [`email (1 in ${addresses})`, { email: 'guest-4242@example.com' }, undefined],
      [`clientId (1 in ${clients})`, { clientId: 'client-7' }, undefined],
      ['time range, 1 h mid-log', { since: middle, until: middle + 3_600_000 }, undefined],
      ['email + time range, 10 days', { email: 'guest-4242@example.com', since: middle, until: middle + 10 * 86_400_000 }, undefined],
      ['operation + sharingId', { operation: 'VerificationSucceeded', sharingId: 'link-42' }, undefined],
      ['operation + result (not indexed)', { operation: 'SignedIn', result: 'failure' }, undefined],
    ];
    const runners = Object.fromEntries(queries.map(([name, query, cursor]) => [name, asyncRunner(() => store.listAudit(query, { cursor, limit: pageLimit }))]));
    const measured = await measureInterleaved(runners, { warmupMs: 200, roundMs: 400, rounds: 5 });
    const baseline = measured['unfiltered (baseline)']!.opsPerSecond;
    const rows = queries.map(([name]) => {
      const { opsPerSecond } = measured[name]!;
      const ms = 1000 / opsPerSecond;
      return [name, ms.toFixed(2), formatCost(opsPerSecond, baseline), `≤ ${auditQueryTargetMs}`, ms <= auditQueryTargetMs ? 'ok' : 'MISSED'];
    });
    const perEvent = (memoryAfter - memoryBefore) / events;
    return [
      `audit queries on Redis: ${events.toLocaleString('en')} events over 30 days, ${links} links, ${addresses} addresses; one page of ${pageLimit}, oldest first as the API lists`,
      `filled (pipelined, not through appendAudit) at ${Math.round(fillRate).toLocaleString('en')} events/s; Redis memory ${(perEvent).toFixed(0)} B per event (stream ${(streamBytes / events).toFixed(0)} B, indexes ${((memoryAfter - memoryBefore - streamBytes) / events).toFixed(0)} B)`,
      formatTable(['audit filter', 'ms per page', 'vs unfiltered', 'target ms', ''], rows),
    ].join('\n');
  } finally {
    admin.disconnect();
    await store.close();
    await redisServer.stop();
  }
}

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' } } });
  const events = Number(values.events);
  if (!Number.isSafeInteger(events) || events < 1000) throw new RangeError('--events must be a whole number of at least 1000');
  console.log(await benchAuditQuery(events));
}
