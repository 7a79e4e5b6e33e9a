/**
 * The storage interface of guestpass, one file per concern under `store/`; `Store` is all of
 * them. Two implementations keep it: `MemoryStore` (one process, for development and tests) and
 * `RedisStore` (single node, Sentinel or Cluster, shared by several guestpass instances).
 * `test/contract/` is the one suite both must pass.
 *
 * Data model and threats, in short:
 * - Everything expires: every key has a TTL, so an abandoned sign-in leaves nothing behind.
 *   Only the directory, links, settings, the keyring and the audit log are durable (see their files).
 * - Steps that must not interleave are one atomic operation in the store (one Lua script on
 *   one key in Redis): counting a code attempt, consuming a code, consuming an authorization
 *   code or refresh token, claiming a slot, creating a person for an address, claiming mail.
 *   Parallel requests therefore cannot both win.
 * - The store never sees a code in clear: sign-in codes are kept as HMACs, and queued mail
 *   (which must carry the code) is sealed with a key the store does not have.
 * - A store that cannot answer throws `StoreUnavailableError`; callers fail closed (503).
 */
import type { AuditStore } from './store/audit.ts';
import type { ClientIndexStore } from './store/clients.ts';
import type { CodeStore } from './store/codes.ts';
import type { CounterStore } from './store/counters.ts';
import type { KeyringStore } from './store/keyring.ts';
import type { LinkStore } from './store/links.ts';
import type { OidcModelStore } from './store/oidc_models.ts';
import type { OutboxStore } from './store/outbox.ts';
import type { PeopleStore } from './store/people.ts';
import type { RecordStore } from './store/records.ts';
import type { SettingsStore } from './store/settings.ts';

export { mailStates } from './store/outbox.ts';
export { guestStates, userTypes } from './store/people.ts';
export type { AuditActor, AuditEvent, AuditQuery, AuditStore } from './store/audit.ts';
export type { ClientIndexStore } from './store/clients.ts';
export type { CodeEntry, CodeInspection, CodeStore, ConsumedCodeReset, StoredCode } from './store/codes.ts';
export type { AttemptLimits, AttemptOutcome, CounterState, CounterStore, LimitsOutcome, RequestLimits } from './store/counters.ts';
export type { KeyringStore, StoredKeyring } from './store/keyring.ts';
export type { DueLinkCheck, LinkQuery, LinkRecipient, LinkRecord, LinkStore } from './store/links.ts';
export type { ConsumeOutcome, OidcModelStore, OidcPayload } from './store/oidc_models.ts';
export type { MailOutcome, MailState, OutboxBacklog, OutboxMail, OutboxStore } from './store/outbox.ts';
export type { Page, PageRequest } from './store/paging.ts';
export type { FederatedIdentity, GuestState, LinkIdentityOutcome, PeopleQuery, PeopleStore, PersonRecord, UserType } from './store/people.ts';
export type { RecordNamespace, RecordStore } from './store/records.ts';
export type { SettingsStore, SettingsWatch, StoredSettings } from './store/settings.ts';

export interface Store
  extends OidcModelStore,
    LinkStore,
    SettingsStore,
    KeyringStore,
    RecordStore,
    CodeStore,
    CounterStore,
    OutboxStore,
    PeopleStore,
    AuditStore,
    ClientIndexStore {
  readonly kind: 'memory' | 'redis';
  /** Resolves when the store answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
