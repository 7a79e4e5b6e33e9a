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

/**
 * What lets a process keep the settings in memory between changes instead of reading them on
 * every decision: a copy read while `live`, at the `generation` that is still current, is what
 * the store holds. `generation` moves on every save (through this process or any other instance
 * sharing the store) and every time the reports stop or resume; while `live` is false (not yet
 * or no longer told of every save) nothing may be trusted and every read goes to the store.
 */
export interface SettingsWatch {
  readonly live: boolean;
  readonly generation: number;
}

export interface SettingsStore {
  getSettings<T>(): Promise<StoredSettings<T> | undefined>;
  /** Stores the settings as version `expectedVersion + 1` (expected undefined: only if none are stored). */
  saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean>;
  /**
   * The store's watch on its settings, started on the first call (the same one after it). A store
   * without it (or answering undefined) cannot tell of changes: its readers read it every time.
   */
  settingsWatch?(): SettingsWatch | undefined;
}
