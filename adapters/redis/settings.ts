/** The runtime settings in Redis: one durable string, saved by the same versioned script as records. */
import { z } from 'zod';

import type { SettingsStore, StoredSettings } from '../store/settings.ts';
import { RedisPart } from './connection.ts';
import { parseStoredJson } from './stored.ts';

const settingsSchema = z
  .looseObject({ version: z.int(), value: z.unknown(), updatedAt: z.number() })
  .refine((settings) => settings.value !== undefined, { path: ['value'], message: 'is missing' });

export class RedisSettings extends RedisPart implements SettingsStore {
  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    const stored = await this.redis.run((client) => client.get(this.keys.settings()));
    // The value is the policy's own: its reader parses it (as records' readers will); the envelope is ours.
    return stored === null ? undefined : (parseStoredJson(settingsSchema, stored, 'settings') as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    const settings: StoredSettings<T> = { version: (expectedVersion ?? 0) + 1, value, updatedAt };
    const expected = expectedVersion === undefined ? '' : String(expectedVersion);
    return (await this.redis.script('gpPutRecordIfVersion', this.keys.settings(), expected, JSON.stringify(settings), 0)) === 1;
  }
}
