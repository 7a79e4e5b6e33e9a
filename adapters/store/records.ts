/**
 * Small JSON records with a TTL: the sign-in state per interaction (with its notice), grant
 * context, session verification, federation state, invitations. The store keeps them as given and never looks
 * inside, but for the `version` a compare-and-set names; their callers own their shape, so a
 * record comes back `unknown` and its reader parses it (`src/records.ts`).
 */

export type RecordNamespace = 'signin' | 'grantContext' | 'sessionVerification' | 'federationState' | 'invitation' | 'invitationTicket' | 'clientSecretGrace';

/** A record to be written in the same step as something else (`OidcModelStore.upsertModelWithRecord`). */
export interface RecordWrite {
  namespace: RecordNamespace;
  id: string;
  value: unknown;
  ttlSeconds: number;
}

export interface RecordStore {
  putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void>;
  /**
   * Stores `value` only if the stored record's `version` equals `expectedVersion` (undefined:
   * only if there is no record). Of N parallel callers expecting the same version, one wins;
   * a state machine saves this way so a stale request never overwrites a newer step.
   */
  putRecordIfVersion<T extends { version: number }>(
    namespace: RecordNamespace,
    id: string,
    value: T,
    ttlSeconds: number,
    expectedVersion: number | undefined,
  ): Promise<boolean>;
  getRecord(namespace: RecordNamespace, id: string): Promise<unknown>;
  deleteRecord(namespace: RecordNamespace, id: string): Promise<void>;
}
