/** The runtime settings in memory: one value and its version. Every save is made here, so its watch is always live. */
import type { SettingsStore, SettingsWatch, StoredSettings } from '../store/settings.ts';
import { clone } from './maps.ts';

export class MemorySettings implements SettingsStore, SettingsWatch {
  #settings: StoredSettings<unknown> | undefined;
  #generation = 0;

  get live(): boolean {
    return true;
  }

  get generation(): number {
    return this.#generation;
  }

  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    return this.#settings && (clone(this.#settings) as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    if (this.#settings?.version !== expectedVersion) return false;
    this.#settings = { version: (expectedVersion ?? 0) + 1, value: clone(value), updatedAt };
    this.#generation += 1;
    return true;
  }

  settingsWatch(): SettingsWatch {
    return this;
  }
}
