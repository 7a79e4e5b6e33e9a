/**
 * The runtime settings in Redis: one durable string, saved by a versioned script that announces
 * each save to every instance (`settings_watch.ts`), on the channel `<settings key>:changed`.
 */
import { z } from 'zod';

import type { SettingsStore, SettingsWatch, StoredSettings } from '../store/settings.ts';
import { RedisPart } from './connection.ts';
import { RedisSettingsWatch } from './settings_watch.ts';
import { parseStoredJson } from './stored.ts';

const settingsSchema = z
  .looseObject({ version: z.int(), value: z.unknown(), updatedAt: z.number() })
  .refine((settings) => settings.value !== undefined, { path: ['value'], message: 'is missing' });

export class RedisSettings extends RedisPart implements SettingsStore {
  #watch: RedisSettingsWatch | undefined;

  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    const stored = await this.redis.run((client) => client.get(this.keys.settings()));
    // The value is the policy's own: its reader parses it (as records' readers will); the envelope is ours.
    return stored === null ? undefined : (parseStoredJson(settingsSchema, stored, 'settings') as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    const settings: StoredSettings<T> = { version: (expectedVersion ?? 0) + 1, value, updatedAt };
    const expected = expectedVersion === undefined ? '' : String(expectedVersion);
    try {
      return (await this.redis.script('gpPutSettings', this.keys.settings(), expected, JSON.stringify(settings), this.#channel())) === 1;
    } finally {
      // This process's readers see the save at once, without waiting for its own message.
      this.#watch?.saved();
    }
  }

  settingsWatch(): SettingsWatch {
    this.#watch ??= new RedisSettingsWatch(this.redis, this.#channel());
    return this.#watch;
  }

  close(): void {
    this.#watch?.close();
  }

  #channel(): string {
    return `${this.keys.settings()}:changed`;
  }
}
