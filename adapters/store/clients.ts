/**
 * The index of dynamically registered clients (RFC 7591 and the clients API): oidc-provider keeps
 * each client as a `Client` model entry (`oidc_models.ts`) and has no way to list them, so the
 * adapter adds a client's id here before it stores the client and removes it after the client is
 * gone. A crash between the two leaves an id without a client, which a list skips; never a client
 * a list cannot find. Durable, like the clients themselves.
 */
import type { Page, PageRequest } from './paging.ts';

export interface ClientIndexStore {
  indexClient(clientId: string): Promise<void>;
  unindexClient(clientId: string): Promise<void>;
  /** Indexed client ids in ascending (byte) order, a page at a time. */
  listClientIds(page: PageRequest): Promise<Page<string>>;
}
