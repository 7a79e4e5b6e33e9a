/** The runtime settings in memory: one value and its version. */
import type { SettingsStore, StoredSettings } from '../store/settings.ts';
import { clone } from './maps.ts';

export class MemorySettings implements SettingsStore {
  #settings: StoredSettings<unknown> | undefined;

  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    return this.#settings && (clone(this.#settings) as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    if (this.#settings?.version !== expectedVersion) return false;
    this.#settings = { version: (expectedVersion ?? 0) + 1, value: clone(value), updatedAt };
    return true;
  }
}
