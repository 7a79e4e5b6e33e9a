/** The index of dynamic client ids in Redis: one sorted set, every score 0, read in byte order (ZRANGEBYLEX). */
import { assertPageLimit, toPage } from '../shared/paging.ts';
import { decodeClientCursor, encodeClientCursor } from '../shared/clients.ts';
import type { ClientIndexStore } from '../store/clients.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { RedisPart } from './connection.ts';

export class RedisClients extends RedisPart implements ClientIndexStore {
  async indexClient(clientId: string): Promise<void> {
    await this.redis.run((client) => client.zadd(this.keys.clientsAll(), 0, clientId));
  }

  async unindexClient(clientId: string): Promise<void> {
    await this.redis.run((client) => client.zrem(this.keys.clientsAll(), clientId));
  }

  async listClientIds(page: PageRequest): Promise<Page<string>> {
    assertPageLimit(page.limit);
    const start = page.cursor === undefined ? '-' : `(${decodeClientCursor(page.cursor)}`;
    const found = await this.redis.run((client) => client.zrangebylex(this.keys.clientsAll(), start, '+', 'LIMIT', 0, page.limit + 1));
    return toPage(found, page.limit, encodeClientCursor);
  }
}
