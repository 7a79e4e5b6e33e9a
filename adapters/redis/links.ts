/**
 * Secure links in Redis: a link is one durable JSON string, listed through three zset indexes
 * (all links, a client's, a recipient's). Beside them, one zset per link names the grants issued
 * for it, and one zset for all links queues their checks; each step on either is one command or
 * one script on one key.
 *
 * A link and its index entries sit in different slots (no hash tag: every step on links touches
 * one key at a time). Indexes are written before the link and cleaned after it, so an entry may
 * name a link that is gone or no longer matches — every list checks the link itself and skips
 * it — but an index never misses a link. The recipient index scores each entry with the link
 * version that added the address, so removing an address never undoes a later save that added
 * it again, however late the removal runs (see `saveLink`).
 */
import { z } from 'zod';

import {
  assertLinkIdentityKept,
  compareNewestFirst,
  decodeLinkCursor,
  linkMatches,
  type LinkPosition,
  pageOfLinks,
  recipientAddresses,
  toLinkPage,
} from '../shared/links.ts';
import { assertPageLimit } from '../shared/paging.ts';
import type { DueLinkCheck, LinkQuery, LinkRecord, LinkStore } from '../store/links.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { RedisPart, toMs } from './connection.ts';
import { parseStoredJson } from './stored.ts';

const recipientSchema = z.looseObject({
  email: z.string(),
  emailNormalized: z.string().min(1),
  addedAt: z.number(),
  verifiedAt: z.number().optional(),
  lastAccessAt: z.number().optional(),
});

const linkSchema = z.looseObject({
  version: z.int(),
  id: z.string().min(1),
  resource: z.string(),
  clientId: z.string(),
  recipients: z.array(recipientSchema),
  createdAt: z.number(),
  createdBy: z.string(),
  expiresAt: z.number().optional(),
}) satisfies z.ZodType<LinkRecord>;

/** Index entries read at most per round while listing links. */
const linkChunkMax = 1000;

export class RedisLinks extends RedisPart implements LinkStore {
  // The link is one key; its index entries live in other slots and are written with single-key
  // commands, ordered so that an index may name a link that is gone or has changed (every read
  // checks the link itself) but never misses a link it should name.

  async createLink(link: LinkRecord): Promise<boolean> {
    const key = this.keys.link(link.id);
    // A taken id writes no index entry, so the existing link keeps its place in the lists.
    if ((await this.redis.run((client) => client.exists(key))) === 1) return false;
    await Promise.all([
      this.redis.run((client) => client.zadd(this.keys.linksAll(), link.createdAt, link.id)),
      this.redis.run((client) => client.zadd(this.keys.linksOfClient(link.clientId), link.createdAt, link.id)),
      ...[...recipientAddresses(link)].map((address) => this.redis.run((client) => client.zadd(this.keys.linksOfRecipient(address), 'GT', 1, link.id))),
    ]);
    const written = await this.redis.run((client) => client.set(key, JSON.stringify({ ...link, version: 1 }), 'NX'));
    return written === 'OK';
  }

  async getLink(id: string): Promise<LinkRecord | undefined> {
    const stored = await this.redis.run((client) => client.get(this.keys.link(id)));
    return stored === null ? undefined : parseStoredJson(linkSchema, stored, `link ${id}`);
  }

  /**
   * An address added is indexed before the write, under the version being written (ZADD GT,
   * so the score only grows); an address removed is unindexed after it, and only if its entry
   * is older than this version — so a later save that adds it again is never undone by this one.
   */
  async saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean> {
    const stored = await this.getLink(link.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertLinkIdentityKept(stored, link);
    const version = expectedVersion + 1;
    const before = recipientAddresses(stored);
    const after = recipientAddresses(link);
    const added = [...after].filter((address) => !before.has(address));
    await Promise.all(added.map((address) => this.redis.run((client) => client.zadd(this.keys.linksOfRecipient(address), 'GT', version, link.id))));
    const replaced = await this.redis.script('gpSaveIfVersion', this.keys.link(link.id), expectedVersion, link.createdAt, JSON.stringify({ ...link, version }));
    if (typeof replaced !== 'string') return false;
    const removed = [...recipientAddresses(parseStoredJson(linkSchema, replaced, `link ${link.id}`))].filter((address) => !after.has(address));
    await Promise.all(removed.map((address) => this.redis.script('gpUnindexRecipient', this.keys.linksOfRecipient(address), link.id, version)));
    return true;
  }

  async deleteLink(id: string): Promise<LinkRecord | undefined> {
    const stored = await this.redis.run((client) => client.getdel(this.keys.link(id)));
    if (stored === null) return undefined;
    const link = parseStoredJson(linkSchema, stored, `link ${id}`);
    await Promise.all([
      this.redis.run((client) => client.zrem(this.keys.linksAll(), id)),
      this.redis.run((client) => client.zrem(this.keys.linksOfClient(link.clientId), id)),
      ...[...recipientAddresses(link)].map((address) => this.redis.run((client) => client.zrem(this.keys.linksOfRecipient(address), id))),
    ]);
    return link;
  }

  /**
   * The narrowest index answers: one person's links (a bounded set, sorted here), else one
   * client's or all links by creation time, read newest first in chunks. Every entry is checked
   * against its link, so entries left by an interrupted write are skipped.
   */
  async listLinks(query: LinkQuery, page: PageRequest): Promise<Page<LinkRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeLinkCursor(page.cursor);
    if (query.recipient !== undefined) {
      const ids = await this.redis.run((client) => client.zrange(this.keys.linksOfRecipient(query.recipient!), 0, '-1'));
      const links = await this.#getLinks(ids);
      return pageOfLinks(
        links.filter((link) => link !== undefined),
        query,
        after,
        page.limit,
      );
    }
    const index = query.clientId === undefined ? this.keys.linksAll() : this.keys.linksOfClient(query.clientId);
    return this.#listLinksByCreation(index, query, after, page.limit);
  }

  /**
   * Reads the index newest first from the cursor on, `limit + 1` entries at first and twice as
   * many each round after (up to `linkChunkMax`), until one match more than the page is found.
   * Links created in the same ms share a score and may span chunks, so a chunk starts at the
   * last score read, inclusive, past the entries of that score already read (`offset`); an
   * exclusive bound would skip the rest of them.
   */
  async #listLinksByCreation(indexKey: string, query: LinkQuery, after: LinkPosition | undefined, limit: number): Promise<Page<LinkRecord>> {
    const found: { link: LinkRecord; position: LinkPosition }[] = [];
    let last = after;
    let max = after === undefined ? '+inf' : String(after.createdAt);
    let offset = 0;
    let count = Math.min(linkChunkMax, limit + 1);
    while (found.length <= limit) {
      const reply = await this.redis.run((client) => client.zrevrangebyscore(indexKey, max, '-inf', 'WITHSCORES', 'LIMIT', offset, count));
      const entries = scoredMembers(reply);
      // Entries at or before the last one read are those the cursor or an earlier chunk covered.
      const fresh = entries.filter((entry) => last === undefined || compareNewestFirst(last, entry) < 0);
      const links = await this.#getLinks(fresh.map((entry) => entry.id));
      for (const [index, link] of links.entries()) {
        if (link && linkMatches(link, query)) found.push({ link, position: fresh[index]! });
        if (found.length > limit) break;
      }
      if (entries.length < count) break;
      const lastEntry = entries.at(-1)!;
      const atLastScore = entries.filter((entry) => entry.createdAt === lastEntry.createdAt).length;
      offset = String(lastEntry.createdAt) === max ? offset + atLastScore : atLastScore;
      max = String(lastEntry.createdAt);
      // A chunk may end before the cursor (ties of its ms that the cursor had passed).
      if (last === undefined || compareNewestFirst(last, lastEntry) < 0) last = lastEntry;
      count = Math.min(linkChunkMax, count * 2);
    }
    return toLinkPage(found, limit);
  }

  async indexLinkGrant(sharingId: string, grantId: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    const ttlMs = toMs(ttlSeconds);
    await this.redis.script('gpIndexLinkGrant', this.keys.linkGrants(sharingId), grantId, now + ttlMs, now, ttlMs);
  }

  linkGrants(sharingId: string): Promise<string[]> {
    return this.redis.run((client) => client.zrangebyscore(this.keys.linkGrants(sharingId), `(${Date.now()}`, '+inf'));
  }

  async unindexLinkGrants(sharingId: string, grantIds: readonly string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await this.redis.run((client) => client.zrem(this.keys.linkGrants(sharingId), ...grantIds));
  }

  async scheduleLinkCheck(id: string, at: number): Promise<void> {
    // LT: only ever brought forward; a new member is added whatever its time.
    await this.redis.run((client) => client.zadd(this.keys.linkChecks(), 'LT', at, id));
  }

  async claimDueLinkChecks(now: number, leaseMs: number, limit: number): Promise<DueLinkCheck[]> {
    if (limit <= 0) return [];
    const leasedUntil = now + Math.max(1, Math.ceil(leaseMs));
    const reply = (await this.redis.script('gpClaimLinkChecks', this.keys.linkChecks(), now, leasedUntil, limit)) as string[];
    const due: DueLinkCheck[] = [];
    for (let index = 0; index + 1 < reply.length; index += 2) due.push({ id: reply[index]!, dueAt: Number(reply[index + 1]), leasedUntil });
    return due;
  }

  async finishLinkCheck(id: string, taken: number, next: number | undefined): Promise<boolean> {
    return (await this.redis.script('gpFinishLinkCheck', this.keys.linkChecks(), id, taken, next ?? '')) === 1;
  }

  /** One GET per link: the links live in many slots, which one MGET may not span on a Cluster. */
  #getLinks(ids: string[]): Promise<(LinkRecord | undefined)[]> {
    return Promise.all(ids.map((id) => this.getLink(id)));
  }
}

/** A `WITHSCORES` reply of a link index: member (link id) and score (its createdAt) alternate. */
function scoredMembers(reply: string[]): LinkPosition[] {
  const positions: LinkPosition[] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) positions.push({ id: reply[index]!, createdAt: Number(reply[index + 1]) });
  return positions;
}
