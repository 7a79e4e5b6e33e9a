/**
 * The storage interface of guestpass. Two implementations keep it: `MemoryStore` (one process,
 * for development and tests) and `RedisStore` (single node, Sentinel or Cluster, shared by
 * several guestpass instances). `test/contract/` is the one suite both must pass.
 *
 * Data model and threats, in short:
 * - Everything expires: every key has a TTL, so an abandoned sign-in leaves nothing behind.
 * - Steps that must not interleave are one atomic operation in the store (one Lua script on
 *   one key in Redis): counting a code attempt, consuming a code, consuming an authorization
 *   code or refresh token, claiming a slot, creating a person for an address, claiming mail.
 *   Parallel requests therefore cannot both win.
 * - The store never sees a code in clear: sign-in codes are kept as HMACs, and queued mail
 *   (which must carry the code) is sealed with a key the store does not have.
 * - A store that cannot answer throws `StoreUnavailableError`; callers fail closed (503).
 */

// ---------------------------------------------------------------------------------------------
// oidc-provider models (Session, AccessToken, AuthorizationCode, RefreshToken, Grant, Interaction, …)

export interface OidcPayload {
  [key: string]: unknown;
  accountId?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: unknown;
}

/** What `consumeModel` found: it consumed the entry, someone had already, or there was none. */
export type ConsumeOutcome = 'consumed' | 'already_consumed' | 'not_found';

export interface OidcModelStore {
  /** Stores an entry for `expiresInSeconds` (or until deleted), and indexes it by grant, session uid, user code and account. */
  upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void>;
  findModel(model: string, id: string): Promise<OidcPayload | undefined>;
  findModelByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  findModelByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /** Marks an entry consumed in one atomic step; of N parallel calls exactly one sees `consumed`. */
  consumeModel(model: string, id: string): Promise<ConsumeOutcome>;
  destroyModel(model: string, id: string): Promise<void>;
  /** Deletes every token, code and the grant itself that belong to a grant. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Ids of the sessions and grants stored for an account (for "revoke every session"). */
  findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }>;
}

// ---------------------------------------------------------------------------------------------
// Small JSON records with a TTL: sign-in state per interaction, grant context, session verification.

export type RecordNamespace = 'signin' | 'signinNotice' | 'grantContext' | 'sessionVerification' | 'federationState' | 'invitation' | 'invitationTicket';

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
  getRecord<T>(namespace: RecordNamespace, id: string): Promise<T | undefined>;
  deleteRecord(namespace: RecordNamespace, id: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// One-time codes, one current code per interaction.

export interface StoredCode {
  /** Random id of this issuance; consuming names it, so a newer code is never consumed by mistake. */
  codeId: string;
  /** The normalised address the code was issued for. */
  email: string;
  /** HMAC of (interaction, address, code) with the newest secret; the code itself is never stored. */
  digest: string;
  issuedAt: number;
  expiresAt: number;
  /** Entries counted against this code so far. */
  attempts: number;
}

export interface CodeStore {
  /** Stores the interaction's code, replacing (and so invalidating) any previous one. */
  putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void>;
  readCode(interactionUid: string): Promise<StoredCode | undefined>;
  /** Adds one to the code's attempt count in one atomic step and returns the code with the new count. */
  countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined>;
  /** Deletes the code if `codeId` is still the current one; true for exactly one caller. */
  consumeCode(interactionUid: string, codeId: string): Promise<boolean>;
  deleteCode(interactionUid: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Counters for rate limits and lockouts (fixed windows), and single-holder slots (cooldowns,
// lockouts). Windows are measured on the caller's clock (`now`, epoch ms), not the store's, so
// every instance agrees and tests can move time; the store's own expiry only cleans up.

export interface CounterState {
  count: number;
  /** Epoch ms when the window ends and the count starts again from zero. */
  resetAt: number;
}

export interface CounterStore {
  /** Adds `by` (default 1) to a counter; a window starts at the first increment after the last one ended and lasts `windowSeconds`. */
  incrementCounter(key: string, windowSeconds: number, now: number, by?: number): Promise<CounterState>;
  readCounter(key: string, now: number): Promise<CounterState | undefined>;
  deleteCounter(key: string): Promise<void>;
  /** Takes a slot until `now + ttlSeconds` if it is free at `now`; otherwise says when it frees up. One of N parallel callers gets it. */
  claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }>;
  /** When a held slot frees up, or undefined when it is free at `now`. */
  peekSlot(key: string, now: number): Promise<number | undefined>;
  releaseSlot(key: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The durable mail outbox.

export type MailState = 'queued' | 'sending' | 'retrying' | 'sent' | 'failed' | 'expired';

export interface OutboxMail {
  id: string;
  /** Sealed (encrypted) message: recipient, subject, bodies. Removed once the mail is sent or dropped. */
  sealed?: string | undefined;
  /** Short, code-free description for logs and audit: kind of mail and masked recipient. */
  label: string;
  state: MailState;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  /** After this instant the mail is pointless (its code expired) and is dropped unsent. */
  notAfter: number;
  sentAt?: number | undefined;
  lastError?: string | undefined;
}

export type MailOutcome =
  | { state: 'sent'; at: number }
  | { state: 'retrying'; nextAttemptAt: number; error: string }
  | { state: 'failed' | 'expired'; error: string };

export interface OutboxStore {
  enqueueMail(mail: OutboxMail): Promise<void>;
  /** Claims up to `limit` mails due at `now`, leasing each for `leaseMs` so no other instance sends it meanwhile. */
  claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]>;
  /** Records the result of an attempt; a finished mail keeps its status (not its body) for a day. */
  completeMail(id: string, outcome: MailOutcome): Promise<void>;
  getMail(id: string): Promise<OutboxMail | undefined>;
}

// ---------------------------------------------------------------------------------------------
// People.

export type UserType = 'adhoc' | 'guest' | 'member';
export type GuestState = 'PendingAcceptance' | 'Accepted';

export interface FederatedIdentity {
  issuer: string;
  subject: string;
}

export interface PersonRecord {
  /** Grows with every save; saves name the version they read (compare-and-set). */
  version: number;
  /** The stable, opaque `sub`. */
  id: string;
  /** The address as first written, for display. */
  email: string;
  /** Trimmed and lower-cased; unique across people. */
  emailNormalized: string;
  userType: UserType;
  state?: GuestState | undefined;
  displayName?: string | undefined;
  disabled: boolean;
  groups: string[];
  /** Federated identities, each unique across people by (issuer, subject). */
  identities: FederatedIdentity[];
  createdAt: number;
  lastVerifiedAt?: number | undefined;
  /** When an invitation created or re-invited this person (guests). */
  invitedAt?: number | undefined;
}

export interface PeopleQuery {
  userType?: UserType | undefined;
  /** Normalised addresses starting with this (a search box: "ada", "ada@exa", "@contoso.com" does not work, a prefix does). */
  emailPrefix?: string | undefined;
}

export type LinkIdentityOutcome =
  /** The identity now belongs to the person (or already did); `person` is as stored now. */
  | { outcome: 'linked'; person: PersonRecord }
  /** Another person holds that (issuer, subject). */
  | { outcome: 'taken'; personId: string }
  /** The person already has an identity from this issuer with another subject. */
  | { outcome: 'issuer_already_linked' }
  /** The person was changed meanwhile (version), or is gone; read again and decide again. Nothing was claimed. */
  | { outcome: 'stale' };

export interface PeopleStore {
  /**
   * Creates the person (version 1) unless one already has the address; of N parallel calls one
   * creates, all get the same person. Creating clears a deletion mark on the address.
   */
  createPersonIfAbsent(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }>;
  getPerson(id: string): Promise<PersonRecord | undefined>;
  findPersonByEmail(emailNormalized: string): Promise<PersonRecord | undefined>;
  /** The person a federated identity belongs to: by (issuer, subject) only, never by email. */
  findPersonByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined>;
  /**
   * Replaces the person if the stored version is `expectedVersion` (the store writes
   * `expectedVersion + 1`). False when the version changed or the person is gone. `id`,
   * `emailNormalized`, `createdAt` and `identities` cannot change this way (a TypeError).
   */
  savePerson(person: PersonRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Adds a federated identity to a person: claims (issuer, subject) across all people first
   * (one of N parallel claimers for the same identity wins), then saves the person with it if
   * the stored version is `expectedVersion`; a failed save releases the claim. A person holds at
   * most one identity per issuer. Linking an identity the person already has is `linked`.
   */
  linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome>;
  /** Deletes the person, their address and identity indexes, and marks the address deleted; returns who was deleted. */
  deletePerson(id: string): Promise<PersonRecord | undefined>;
  /** Whether the address belonged to a deleted person who has not been re-created (re-invited) since. */
  isEmailDeleted(emailNormalized: string): Promise<boolean>;
  /** Sorted by normalised address. `cursor` is the previous page's `nextCursor`; a bad one is a 400 GuestpassError. */
  listPeople(query: PeopleQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<PersonRecord>>;
}

// ---------------------------------------------------------------------------------------------
// Runtime settings: the sharing policy as changed through the API, shared by every instance.

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

// ---------------------------------------------------------------------------------------------
// The append-only audit log.

export type AuditOperation =
  | 'SecureLinkCreated'
  | 'SecureLinkDeleted'
  | 'AddedToSecureLink'
  | 'RemovedFromSecureLink'
  | 'VerificationCodeSent'
  | 'VerificationCodeRejected'
  | 'VerificationSucceeded'
  | 'RecipientNotOnLink'
  | 'SignedIn'
  | 'GuestInvited'
  | 'GuestRedeemed'
  | 'GuestUpgraded'
  | 'UserDisabled'
  | 'UserDeleted'
  | 'SessionsRevoked'
  | 'SettingsUpdated'
  | 'MailDeliveryFailed'
  /** Not in SPEC §7's list, which is silent on changing an expiry; added so the change is on record. */
  | 'SecureLinkExpiryChanged';

export interface AuditActor {
  type: 'person' | 'client' | 'anonymous' | 'system';
  id: string;
}

export interface AuditEvent {
  id: string;
  /** ISO 8601. */
  time: string;
  operation: AuditOperation;
  actor: AuditActor;
  sharingId?: string | undefined;
  detail: Record<string, unknown>;
  ip?: string | undefined;
  userAgent?: string | undefined;
  result: 'success' | 'failure';
}

export interface AuditQuery {
  operation?: AuditOperation | undefined;
  /** Matches `detail.clientId`: the relying party an event concerns. */
  clientId?: string | undefined;
  sharingId?: string | undefined;
  /** Matches `detail.email` (normalised). */
  email?: string | undefined;
  /** Inclusive bounds, epoch ms. */
  since?: number | undefined;
  until?: number | undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface AuditStore {
  /** Appends events in order; returns them with their ids. Ids sort in append order. */
  appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]>;
  /** Oldest first. `cursor` is the `nextCursor` of the previous page. */
  listAudit(query: AuditQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<AuditEvent>>;
  /** Drops events older than `before` (epoch ms). */
  trimAudit(before: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Secure links. Durable (no TTL): an expired link stays readable, and can be extended, until it
// is deleted.

export interface LinkRecipient {
  /** As first written, for display. */
  email: string;
  /** Trimmed and lower-cased; unique within a link. */
  emailNormalized: string;
  addedAt: number;
  /** First successful verification for this link. */
  verifiedAt?: number | undefined;
  /** Last sign-in for this link (by code or with a live session). */
  lastAccessAt?: number | undefined;
}

export interface LinkRecord {
  /** Grows with every save; saves name the version they read (compare-and-set). */
  version: number;
  /** The UniqueSharingId: opaque, at least 128 random bits. */
  id: string;
  /** What is shared, as the resource server names it. */
  resource: string;
  /** The client that created, and owns, the link. */
  clientId: string;
  recipients: LinkRecipient[];
  createdAt: number;
  createdBy: string;
  expiresAt?: number | undefined;
}

export interface LinkQuery {
  clientId?: string | undefined;
  /** Exact match on `resource`. */
  resource?: string | undefined;
  /** Normalised address: links that have it as a current recipient. */
  recipient?: string | undefined;
}

export interface LinkStore {
  /** Stores a new link as version 1 (whatever `link.version` says) and its indexes; false when the id is taken. */
  createLink(link: LinkRecord): Promise<boolean>;
  getLink(id: string): Promise<LinkRecord | undefined>;
  /**
   * Replaces the link if the stored version is `expectedVersion`, keeping the recipient index
   * right (addresses added and removed). False when the version changed (or the link is gone).
   * The store writes version `expectedVersion + 1` (whatever `link.version` says). `id`,
   * `clientId` and `createdAt` never change: a save that changes them throws a TypeError (a bug
   * in the caller, which retrying cannot fix).
   */
  saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean>;
  /** Deletes the link and its index entries; returns what was deleted. */
  deleteLink(id: string): Promise<LinkRecord | undefined>;
  /**
   * Newest first (`createdAt`, then `id`, descending). `cursor` is the previous page's
   * `nextCursor`; a bad cursor is a 400 GuestpassError, a `limit` below 1 a RangeError. A filter
   * is never ignored: an empty string is compared like any other value.
   */
  listLinks(query: LinkQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<LinkRecord>>;
}

// ---------------------------------------------------------------------------------------------

export interface Store
  extends OidcModelStore,
    LinkStore,
    SettingsStore,
    RecordStore,
    CodeStore,
    CounterStore,
    OutboxStore,
    PeopleStore,
    AuditStore {
  readonly kind: 'memory' | 'redis';
  /** Resolves when the store answers; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
