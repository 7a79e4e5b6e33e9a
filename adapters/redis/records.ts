/** Small JSON records in Redis: one string per record, with its TTL; versioned saves are one script. */
import type { RecordNamespace, RecordStore } from '../store/records.ts';
import { RedisPart, toMs } from './connection.ts';
import { anyJson, parseStoredJson } from './stored.ts';

export class RedisRecords extends RedisPart implements RecordStore {
  async putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void> {
    await this.redis.setString(this.keys.record(namespace, id), JSON.stringify(value), toMs(ttlSeconds));
  }

  async putRecordIfVersion<T extends { version: number }>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number, expectedVersion: number | undefined): Promise<boolean> {
    const key = this.keys.record(namespace, id);
    if (expectedVersion === undefined) {
      // "No record" is the key being absent, which SET NX checks by itself: no script, no GET.
      return (await this.redis.run((client) => client.set(key, JSON.stringify(value), 'PX', toMs(ttlSeconds), 'NX'))) === 'OK';
    }
    const written = await this.redis.script('gpPutRecordIfVersion', key, String(expectedVersion), JSON.stringify(value), toMs(ttlSeconds));
    return written === 1;
  }

  async getRecord(namespace: RecordNamespace, id: string): Promise<unknown> {
    const value = await this.redis.run((client) => client.get(this.keys.record(namespace, id)));
    return value === null ? undefined : parseStoredJson(anyJson, value, `${namespace} record`);
  }

  async deleteRecord(namespace: RecordNamespace, id: string): Promise<void> {
    await this.redis.run((client) => client.del(this.keys.record(namespace, id)));
  }
}
