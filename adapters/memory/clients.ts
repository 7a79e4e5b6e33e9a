/** The index of dynamic client ids in memory. */
import { assertPageLimit, toPage } from '../shared/paging.ts';
import { decodeClientCursor, encodeClientCursor } from '../shared/clients.ts';
import type { ClientIndexStore } from '../store/clients.ts';
import type { Page, PageRequest } from '../store/paging.ts';

export class MemoryClients implements ClientIndexStore {
  readonly #ids = new Set<string>();

  async indexClient(clientId: string): Promise<void> {
    this.#ids.add(clientId);
  }

  async unindexClient(clientId: string): Promise<void> {
    this.#ids.delete(clientId);
  }

  async listClientIds(page: PageRequest): Promise<Page<string>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeClientCursor(page.cursor);
    const sorted = [...this.#ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const found = sorted.filter((id) => after === undefined || Buffer.compare(Buffer.from(id), Buffer.from(after)) > 0).slice(0, page.limit + 1);
    return toPage(found, page.limit, encodeClientCursor);
  }
}
