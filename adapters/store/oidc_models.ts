/**
 * oidc-provider's models (Session, AccessToken, AuthorizationCode, RefreshToken, Grant,
 * Interaction, …), kept for `oidc_adapter.ts`. An entry lives for its `expiresIn`; consuming is
 * one atomic step, so of two parallel token requests with one code only one wins (the loser
 * revokes the grant, see `oidc_adapter.ts`). Indexes by grant and by account are written before
 * the entry, so a revocation always finds every token a grant or an account holds.
 */
import type { RecordNamespace, RecordWrite } from './records.ts';

export interface OidcPayload {
  [key: string]: unknown;
  accountId?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: unknown;
}

/** What `claimSlotAndFindModel` answers: the claim as `claimSlot` answers it, and the entry when claimed. */
export interface SlotClaimWithModel {
  claimed: boolean;
  availableAt: number;
  /** The entry, read with the claim (undefined when the slot was not claimed, or there is none). */
  payload: OidcPayload | undefined;
}

/** What `consumeModel` found: it consumed the entry, someone had already, or there was none. */
export type ConsumeOutcome = 'consumed' | 'already_consumed' | 'not_found';

export interface OidcModelStore {
  /** Stores an entry for `expiresInSeconds` (or until deleted), and indexes it by grant, session uid, user code and account. */
  upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void>;
  /**
   * `upsertModel`, and `record` (as `putRecord` writes it) with it: a grant and the context it was
   * made in. On one server (or behind Sentinel) one step, so no reader finds the entry without the
   * record; on a Cluster, where they live in other slots, the entry and then the record.
   */
  upsertModelWithRecord(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined, record: RecordWrite): Promise<void>;
  /**
   * `claimSlot(slot.key, …)` (CounterStore), and when it is claimed, `findModel(model, id)`: a gate
   * and the entry it lets through, read in the same step on one server or behind Sentinel (the
   * slot is the same one `claimSlot` and `releaseSlot` name); on a Cluster the read, then the
   * claim. A read that fails claims nothing, so what the slot gates can be tried again.
   */
  claimSlotAndFindModel(slot: { key: string; ttlSeconds: number; now: number }, model: string, id: string): Promise<SlotClaimWithModel>;
  findModel(model: string, id: string): Promise<OidcPayload | undefined>;
  /**
   * `findModel(model, id)` and `getRecord(record.namespace, record.id)` (RecordStore): an entry and
   * the record kept beside it (a grant and its context), read in one step on one server or behind
   * Sentinel; on a Cluster, where they live in other slots, two reads.
   */
  findModelWithRecord(model: string, id: string, record: { namespace: RecordNamespace; id: string }): Promise<{ payload: OidcPayload | undefined; record: unknown }>;
  findModelByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  findModelByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /** Marks an entry consumed in one atomic step; of N parallel calls exactly one sees `consumed`. */
  consumeModel(model: string, id: string): Promise<ConsumeOutcome>;
  /**
   * Deletes an entry and, given `record`, the record kept beside it (`deleteRecord`, RecordStore):
   * in one step on one server or behind Sentinel; on a Cluster the entry first, so a crash between
   * leaves the record to its expiry, never the entry without its record.
   */
  destroyModel(model: string, id: string, record?: { namespace: RecordNamespace; id: string }): Promise<void>;
  /** Deletes every token, code and the grant itself that belong to a grant. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Ids of the sessions and grants stored for an account (for "revoke every session"). */
  findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }>;
}
