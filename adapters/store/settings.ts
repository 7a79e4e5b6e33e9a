/**
 * Runtime settings: the sharing policy as changed through the API, shared by every instance.
 * Durable, one value, saved by compare-and-set on `version` so two administrators never
 * overwrite each other unawares.
 */

export interface StoredSettings<T> {
  version: number;
  value: T;
  updatedAt: number;
}

export interface SettingsStore {
  getSettings<T>(): Promise<StoredSettings<T> | undefined>;
  /** Stores the settings as version `expectedVersion + 1` (expected undefined: only if none are stored). */
  saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean>;
}
