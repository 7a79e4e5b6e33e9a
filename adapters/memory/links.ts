/**
 * Secure links in memory. No indexes: a list filters and sorts every link, which is fine for one
 * process in development and keeps this store the plain reference the Redis store's indexes are
 * checked against. The grants issued for a link and the queue of link checks are plain maps.
 */
import { assertLinkIdentityKept, decodeLinkCursor, pageOfLinks } from '../shared/links.ts';
import { assertPageLimit } from '../shared/paging.ts';
import type { DueLinkCheck, LinkQuery, LinkRecord, LinkStore } from '../store/links.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { clone, saveIfVersion } from './maps.ts';

export class MemoryLinks implements LinkStore {
  readonly #links = new Map<string, LinkRecord>();
  /** Link id → grant id → when the entry expires (epoch ms, this process's clock, as every TTL here). */
  readonly #grants = new Map<string, Map<string, number>>();
  /** Link id → when it must be checked, or its lease ends (epoch ms, the caller's clock). */
  readonly #checks = new Map<string, number>();

  async createLink(link: LinkRecord): Promise<boolean> {
    if (this.#links.has(link.id)) return false;
    this.#links.set(link.id, { ...clone(link), version: 1 });
    return true;
  }

  async getLink(id: string): Promise<LinkRecord | undefined> {
    const link = this.#links.get(id);
    return link && clone(link);
  }

  async saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean> {
    return saveIfVersion(this.#links, link, expectedVersion, assertLinkIdentityKept);
  }

  async deleteLink(id: string): Promise<LinkRecord | undefined> {
    const link = this.#links.get(id);
    this.#links.delete(id);
    return link;
  }

  async listLinks(query: LinkQuery, page: PageRequest): Promise<Page<LinkRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeLinkCursor(page.cursor);
    const found = pageOfLinks(this.#links.values(), query, after, page.limit);
    return { items: found.items.map(clone), nextCursor: found.nextCursor };
  }

  async indexLinkGrant(sharingId: string, grantId: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    const grants = this.#grants.get(sharingId) ?? new Map<string, number>();
    for (const [id, expiresAt] of grants) if (expiresAt <= now) grants.delete(id);
    grants.set(grantId, Math.max(grants.get(grantId) ?? 0, now + ttlSeconds * 1000));
    this.#grants.set(sharingId, grants);
  }

  async linkGrants(sharingId: string): Promise<string[]> {
    const now = Date.now();
    return [...(this.#grants.get(sharingId) ?? [])].filter(([, expiresAt]) => expiresAt > now).map(([grantId]) => grantId);
  }

  async unindexLinkGrants(sharingId: string, grantIds: readonly string[]): Promise<void> {
    const grants = this.#grants.get(sharingId);
    if (!grants) return;
    for (const grantId of grantIds) grants.delete(grantId);
    if (grants.size === 0) this.#grants.delete(sharingId);
  }

  async scheduleLinkCheck(id: string, at: number): Promise<void> {
    const current = this.#checks.get(id);
    if (current === undefined || at < current) this.#checks.set(id, at);
  }

  async claimDueLinkChecks(now: number, leaseMs: number, limit: number): Promise<DueLinkCheck[]> {
    const leasedUntil = now + Math.max(1, Math.ceil(leaseMs));
    // Due first, then by id: the order Redis keeps a sorted set in.
    const due = [...this.#checks]
      .filter(([, at]) => at <= now)
      .toSorted(([idA, atA], [idB, atB]) => atA - atB || Buffer.compare(Buffer.from(idA), Buffer.from(idB)))
      .slice(0, Math.max(0, limit));
    for (const [id] of due) this.#checks.set(id, leasedUntil);
    return due.map(([id, dueAt]) => ({ id, dueAt, leasedUntil }));
  }

  async finishLinkCheck(id: string, taken: number, next: number | undefined): Promise<boolean> {
    if (this.#checks.get(id) !== taken) return false;
    if (next === undefined) this.#checks.delete(id);
    else this.#checks.set(id, next);
    return true;
  }
}
