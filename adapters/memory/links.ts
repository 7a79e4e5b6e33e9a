/**
 * Secure links in memory. No indexes: a list filters and sorts every link, which is fine for one
 * process in development and keeps this store the plain reference the Redis store's indexes are
 * checked against.
 */
import { assertLinkIdentityKept, decodeLinkCursor, pageOfLinks } from '../shared/links.ts';
import { assertPageLimit } from '../shared/paging.ts';
import type { LinkQuery, LinkRecord, LinkStore } from '../store/links.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { clone, saveIfVersion } from './maps.ts';

export class MemoryLinks implements LinkStore {
  readonly #links = new Map<string, LinkRecord>();

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
}
