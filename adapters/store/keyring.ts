/**
 * The keyring of managed keys (src/keyring/): signing keys, cookie keys and secrets, shared by
 * every instance. Durable, one value, saved by compare-and-set on `version` so two instances
 * never both rotate. The store keeps it sealed: `sealed` is encrypted with a key-encryption key
 * the store does not have, so a copy of the store (a backup, a replica) holds no usable key.
 */

export interface StoredKeyring {
  version: number;
  /** The key sets, encrypted and authenticated by the caller (opaque to the store). */
  sealed: string;
  updatedAt: number;
}

export interface KeyringStore {
  getKeyring(): Promise<StoredKeyring | undefined>;
  /** Stores the keyring as version `expectedVersion + 1` (expected undefined: only if none is stored). */
  saveKeyring(sealed: string, updatedAt: number, expectedVersion: number | undefined): Promise<boolean>;
}
