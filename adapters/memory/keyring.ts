/** The keyring in memory: one sealed value and its version. */
import type { KeyringStore, StoredKeyring } from '../store/keyring.ts';

export class MemoryKeyring implements KeyringStore {
  #keyring: StoredKeyring | undefined;

  async getKeyring(): Promise<StoredKeyring | undefined> {
    return this.#keyring && { ...this.#keyring };
  }

  async saveKeyring(sealed: string, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    if (this.#keyring?.version !== expectedVersion) return false;
    this.#keyring = { version: (expectedVersion ?? 0) + 1, sealed, updatedAt };
    return true;
  }
}
