/** Small records in memory, kept as copies with their TTL. */
import type { RecordNamespace, RecordStore } from '../store/records.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryRecords implements RecordStore {
  readonly #records: ExpiringMap<unknown>;

  constructor(maps: ExpiringMaps) {
    this.#records = maps.create();
  }

  async putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void> {
    this.#records.set(`${namespace}:${id}`, clone(value), ttlSeconds);
  }

  async putRecordIfVersion<T extends { version: number }>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number, expectedVersion: number | undefined): Promise<boolean> {
    const current = this.#records.get(`${namespace}:${id}`) as { version?: unknown } | undefined;
    const matches = current === undefined ? expectedVersion === undefined : expectedVersion !== undefined && current.version === expectedVersion;
    if (!matches) return false;
    this.#records.set(`${namespace}:${id}`, clone(value), ttlSeconds);
    return true;
  }

  async getRecord<T>(namespace: RecordNamespace, id: string): Promise<T | undefined> {
    const value = this.#records.get(`${namespace}:${id}`);
    return value === undefined ? undefined : (clone(value) as T);
  }

  async deleteRecord(namespace: RecordNamespace, id: string): Promise<void> {
    this.#records.delete(`${namespace}:${id}`);
  }
}
