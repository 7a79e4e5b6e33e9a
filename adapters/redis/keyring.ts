/** The keyring in Redis: one durable string, saved by the same versioned script as records and the settings. */
import { z } from 'zod';

import type { KeyringStore, StoredKeyring } from '../store/keyring.ts';
import { RedisPart } from './connection.ts';
import { parseStoredJson } from './stored.ts';

const keyringSchema = z.looseObject({ version: z.int().min(1), sealed: z.string().min(1), updatedAt: z.number() });

export class RedisKeyring extends RedisPart implements KeyringStore {
  async getKeyring(): Promise<StoredKeyring | undefined> {
    const stored = await this.redis.run((client) => client.get(this.keys.keyring()));
    if (stored === null) return undefined;
    const { version, sealed, updatedAt } = parseStoredJson(keyringSchema, stored, 'keyring');
    return { version, sealed, updatedAt };
  }

  async saveKeyring(sealed: string, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    const keyring: StoredKeyring = { version: (expectedVersion ?? 0) + 1, sealed, updatedAt };
    const expected = expectedVersion === undefined ? '' : String(expectedVersion);
    return (await this.redis.script('gpPutRecordIfVersion', this.keys.keyring(), expected, JSON.stringify(keyring), 0)) === 1;
  }
}
