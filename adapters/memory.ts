/**
 * The in-memory store: one process, nothing survives a restart. It is the embedded default for
 * `npm start` and the reference the Redis store is checked against by the contract suite.
 * Node runs one callback at a time, so each method below is atomic as long as it does not
 * await in the middle — none does.
 */
import type {
  AuditEvent,
  CodeInspection,
  AuditQuery,
  ConsumeOutcome,
  CounterState,
  FederatedIdentity,
  LinkIdentityOutcome,
  LinkQuery,
  LinkRecord,
  MailOutcome,
  OidcPayload,
  OutboxMail,
  Page,
  PeopleQuery,
  PersonRecord,
  RecordNamespace,
  Store,
  StoredCode,
  StoredSettings,
} from './store.ts';
import {
  assertLinkIdentityKept,
  assertPageLimit,
  assertPersonFixedFieldsKept,
  auditMatches,
  compareAuditIds,
  decodeAuditCursor,
  decodeLinkCursor,
  decodePersonCursor,
  encodeAuditCursor,
  finishedMailTtlSeconds,
  grantable,
  holdsIdentity,
  pageOfLinks,
  pageOfPeople,
} from './store_shared.ts';

interface Entry<T> {
  value: T;
  /** Epoch ms, or Infinity. */
  expiresAt: number;
}

/** A map whose entries expire; expired entries are invisible at once and swept now and then. */
class ExpiringMap<T> {
  readonly #entries = new Map<string, Entry<T>>();

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  expiresAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#entries.get(key)?.expiresAt;
  }

  set(key: string, value: T, ttlSeconds: number | undefined): void {
    this.#entries.set(key, { value, expiresAt: ttlSeconds === undefined ? Infinity : Date.now() + ttlSeconds * 1000 });
  }

  /** Replaces the value and keeps the expiry. */
  update(key: string, value: T): void {
    const entry = this.#entries.get(key);
    if (entry) entry.value = value;
  }

  extend(key: string, expiresAt: number): void {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt < expiresAt) entry.expiresAt = expiresAt;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  *values(): IterableIterator<T> {
    for (const [key] of this.#entries) {
      const value = this.get(key);
      if (value !== undefined) yield value;
    }
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryStore implements Store, CodeInspection {
  readonly kind = 'memory' as const;

  readonly #models = new ExpiringMap<OidcPayload>();
  readonly #grantMembers = new ExpiringMap<Set<string>>();
  readonly #accountMembers = new ExpiringMap<Set<string>>();
  readonly #secondary = new ExpiringMap<string>();
  readonly #records = new ExpiringMap<unknown>();
  readonly #codes = new ExpiringMap<StoredCode>();
  readonly #counters = new ExpiringMap<CounterState>();
  readonly #slots = new ExpiringMap<number>();
  readonly #mail = new ExpiringMap<OutboxMail>();
  readonly #people = new Map<string, PersonRecord>();
  readonly #peopleByEmail = new Map<string, string>();
  /** (issuer, subject) → person id. */
  readonly #peopleByIdentity = new Map<string, string>();
  /** Normalised address → id of the person deleted with it. */
  readonly #deletedEmails = new Map<string, string>();
  readonly #links = new Map<string, LinkRecord>();
  #settings: StoredSettings<unknown> | undefined;
  #audit: AuditEvent[] = [];
  #auditSequence = 0;
  readonly #sweeper: NodeJS.Timeout;

  constructor() {
    this.#sweeper = setInterval(() => this.#sweep(), 60_000);
    this.#sweeper.unref();
  }

  // --- oidc-provider models -------------------------------------------------------------------

  async upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
    const key = `${model}:${id}`;
    this.#models.set(key, clone(payload), expiresInSeconds);
    const expiresAt = expiresInSeconds === undefined ? Infinity : Date.now() + expiresInSeconds * 1000;
    if (grantable.has(model) && payload.grantId) this.#addMember(this.#grantMembers, payload.grantId, key, expiresAt);
    if ((model === 'Session' || model === 'Grant') && payload.accountId) {
      this.#addMember(this.#accountMembers, payload.accountId, key, expiresAt);
    }
    if (model === 'Session' && payload.uid) this.#secondary.set(`uid:${payload.uid}`, id, expiresInSeconds);
    if (payload.userCode) this.#secondary.set(`userCode:${payload.userCode}`, id, expiresInSeconds);
  }

  async findModel(model: string, id: string): Promise<OidcPayload | undefined> {
    const payload = this.#models.get(`${model}:${id}`);
    return payload && clone(payload);
  }

  async findModelByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    const id = this.#secondary.get(`uid:${uid}`);
    return id === undefined ? undefined : this.findModel(model, id);
  }

  async findModelByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    const id = this.#secondary.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.findModel(model, id);
  }

  async consumeModel(model: string, id: string): Promise<ConsumeOutcome> {
    const payload = this.#models.get(`${model}:${id}`);
    if (!payload) return 'not_found';
    if (payload.consumed) return 'already_consumed';
    payload.consumed = Math.floor(Date.now() / 1000);
    return 'consumed';
  }

  async destroyModel(model: string, id: string): Promise<void> {
    this.#models.delete(`${model}:${id}`);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.#grantMembers.get(grantId) ?? []) this.#models.delete(key);
    this.#grantMembers.delete(grantId);
    this.#models.delete(`Grant:${grantId}`);
  }

  async findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }> {
    const sessions: string[] = [];
    const grants: string[] = [];
    for (const key of this.#accountMembers.get(accountId) ?? []) {
      const payload = this.#models.get(key);
      if (!payload || payload.accountId !== accountId) continue;
      const [model, id] = splitModelKey(key);
      if (model === 'Session') sessions.push(id);
      else grants.push(id);
    }
    return { sessions, grants };
  }

  #addMember(index: ExpiringMap<Set<string>>, owner: string, member: string, expiresAt: number): void {
    const members = index.get(owner);
    if (members) {
      members.add(member);
      index.extend(owner, expiresAt);
    } else {
      index.set(owner, new Set([member]), Number.isFinite(expiresAt) ? (expiresAt - Date.now()) / 1000 : undefined);
    }
  }

  // --- records ---------------------------------------------------------------------------------

  async putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void> {
    this.#records.set(`${namespace}:${id}`, clone(value), ttlSeconds);
  }

  async putRecordIfVersion<T extends { version: number }>(
    namespace: RecordNamespace,
    id: string,
    value: T,
    ttlSeconds: number,
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    const current = this.#records.get(`${namespace}:${id}`) as { version?: unknown } | undefined;
    const matches = current === undefined ? expectedVersion === undefined : expectedVersion !== undefined && current.version === expectedVersion;
    if (!matches) return false;
    this.#records.set(`${namespace}:${id}`, clone(value), ttlSeconds);
    return true;
  }

  async getRecord<T>(namespace: RecordNamespace, id: string): Promise<T | undefined> {
    const value = this.#records.get(`${namespace}:${id}`);
    return value === undefined ? undefined : (clone(value) as T);
  }

  async deleteRecord(namespace: RecordNamespace, id: string): Promise<void> {
    this.#records.delete(`${namespace}:${id}`);
  }

  // --- codes -----------------------------------------------------------------------------------

  async putCode(interactionUid: string, code: StoredCode, ttlSeconds: number): Promise<void> {
    this.#codes.set(interactionUid, clone(code), ttlSeconds);
  }

  async readCode(interactionUid: string): Promise<StoredCode | undefined> {
    const code = this.#codes.get(interactionUid);
    return code && clone(code);
  }

  async countCodeAttempt(interactionUid: string): Promise<StoredCode | undefined> {
    const code = this.#codes.get(interactionUid);
    if (!code) return undefined;
    code.attempts += 1;
    return clone(code);
  }

  async consumeCode(interactionUid: string, codeId: string): Promise<boolean> {
    const code = this.#codes.get(interactionUid);
    if (!code || code.codeId !== codeId) return false;
    this.#codes.delete(interactionUid);
    return true;
  }

  async deleteCode(interactionUid: string): Promise<void> {
    this.#codes.delete(interactionUid);
  }

  // --- counters and slots ----------------------------------------------------------------------

  async incrementCounter(key: string, windowSeconds: number, now: number, by = 1): Promise<CounterState> {
    const current = this.#counters.get(key);
    if (!current || current.resetAt <= now) {
      const state = { count: by, resetAt: now + windowSeconds * 1000 };
      this.#counters.set(key, state, windowSeconds);
      return { ...state };
    }
    current.count += by;
    return { ...current };
  }

  async readCounter(key: string, now: number): Promise<CounterState | undefined> {
    const current = this.#counters.get(key);
    return current && current.resetAt > now ? { ...current } : undefined;
  }

  async deleteCounter(key: string): Promise<void> {
    this.#counters.delete(key);
  }

  async claimSlot(key: string, ttlSeconds: number, now: number): Promise<{ claimed: boolean; availableAt: number }> {
    const heldUntil = this.#slots.get(key);
    if (heldUntil !== undefined && heldUntil > now) return { claimed: false, availableAt: heldUntil };
    const availableAt = now + ttlSeconds * 1000;
    this.#slots.set(key, availableAt, ttlSeconds);
    return { claimed: true, availableAt };
  }

  async peekSlot(key: string, now: number): Promise<number | undefined> {
    const heldUntil = this.#slots.get(key);
    return heldUntil !== undefined && heldUntil > now ? heldUntil : undefined;
  }

  async releaseSlot(key: string): Promise<void> {
    this.#slots.delete(key);
  }

  // --- outbox ----------------------------------------------------------------------------------

  async enqueueMail(mail: OutboxMail): Promise<void> {
    const ttlSeconds = Math.max(1, Math.ceil((mail.notAfter - Date.now()) / 1000)) + finishedMailTtlSeconds;
    this.#mail.set(mail.id, clone(mail), ttlSeconds);
  }

  async claimDueMail(now: number, leaseMs: number, limit: number): Promise<OutboxMail[]> {
    const claimed: OutboxMail[] = [];
    for (const mail of this.#mail.values()) {
      if (claimed.length >= limit) break;
      if (!isClaimable(mail, now)) continue;
      mail.state = 'sending';
      mail.attempts += 1;
      mail.nextAttemptAt = now + leaseMs;
      claimed.push(clone(mail));
    }
    return claimed;
  }

  async completeMail(id: string, outcome: MailOutcome): Promise<void> {
    const mail = this.#mail.get(id);
    if (!mail) return;
    mail.state = outcome.state;
    if (outcome.state === 'sent') {
      mail.sentAt = outcome.at;
      mail.lastError = undefined;
    } else {
      mail.lastError = outcome.error;
    }
    if (outcome.state === 'retrying') {
      mail.nextAttemptAt = outcome.nextAttemptAt;
      return;
    }
    delete mail.sealed;
    this.#mail.set(id, mail, finishedMailTtlSeconds);
  }

  async getMail(id: string): Promise<OutboxMail | undefined> {
    const mail = this.#mail.get(id);
    return mail && clone(mail);
  }

  // --- people ----------------------------------------------------------------------------------

  async createPersonIfAbsent(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }> {
    const existingId = this.#peopleByEmail.get(person.emailNormalized);
    const existing = existingId === undefined ? undefined : this.#people.get(existingId);
    if (existing) return { person: clone(existing), created: false };
    const created = { ...clone(person), version: 1 };
    this.#people.set(person.id, created);
    this.#peopleByEmail.set(person.emailNormalized, person.id);
    this.#deletedEmails.delete(person.emailNormalized);
    return { person: clone(created), created: true };
  }

  async getPerson(id: string): Promise<PersonRecord | undefined> {
    const person = this.#people.get(id);
    return person && clone(person);
  }

  async findPersonByEmail(emailNormalized: string): Promise<PersonRecord | undefined> {
    const id = this.#peopleByEmail.get(emailNormalized);
    return id === undefined ? undefined : this.getPerson(id);
  }

  async findPersonByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined> {
    const id = this.#peopleByIdentity.get(identityKey({ issuer, subject }));
    return id === undefined ? undefined : this.getPerson(id);
  }

  async savePerson(person: PersonRecord, expectedVersion: number): Promise<boolean> {
    const stored = this.#people.get(person.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertPersonFixedFieldsKept(stored, person);
    this.#people.set(person.id, { ...clone(person), version: expectedVersion + 1 });
    return true;
  }

  /** The same checks in the same order as the Redis store, so both answer alike when several apply. */
  async linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome> {
    const person = this.#people.get(personId);
    if (!person) return { outcome: 'stale' };
    if (holdsIdentity(person, identity)) return { outcome: 'linked', person: clone(person) };
    if (person.version !== expectedVersion) return { outcome: 'stale' };
    if (person.identities.some((held) => held.issuer === identity.issuer)) return { outcome: 'issuer_already_linked' };
    const holderId = this.#peopleByIdentity.get(identityKey(identity));
    if (holderId !== undefined && holderId !== personId && this.#people.has(holderId)) return { outcome: 'taken', personId: holderId };
    const linked = { ...person, identities: [...person.identities, { issuer: identity.issuer, subject: identity.subject }], version: expectedVersion + 1 };
    this.#people.set(personId, linked);
    this.#peopleByIdentity.set(identityKey(identity), personId);
    return { outcome: 'linked', person: clone(linked) };
  }

  async deletePerson(id: string): Promise<PersonRecord | undefined> {
    const person = this.#people.get(id);
    if (!person) return undefined;
    this.#people.delete(id);
    this.#peopleByEmail.delete(person.emailNormalized);
    for (const identity of person.identities) this.#peopleByIdentity.delete(identityKey(identity));
    this.#deletedEmails.set(person.emailNormalized, id);
    return person;
  }

  async isEmailDeleted(emailNormalized: string): Promise<boolean> {
    return this.#deletedEmails.has(emailNormalized);
  }

  /** No index, as for links: every person is filtered and sorted, in the byte order Redis lists them in. */
  async listPeople(query: PeopleQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<PersonRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodePersonCursor(page.cursor);
    const found = pageOfPeople(this.#people.values(), query, after, page.limit);
    return { items: found.items.map(clone), nextCursor: found.nextCursor };
  }

  // --- settings --------------------------------------------------------------------------------

  async getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    return this.#settings && (clone(this.#settings) as StoredSettings<T>);
  }

  async saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    if (this.#settings?.version !== expectedVersion) return false;
    this.#settings = { version: (expectedVersion ?? 0) + 1, value: clone(value), updatedAt };
    return true;
  }

  // --- secure links ----------------------------------------------------------------------------
  // No indexes: a list filters and sorts every link, which is fine for one process in development
  // and keeps this store the plain reference the Redis store's indexes are checked against.

  async createLink(link: LinkRecord): Promise<boolean> {
    if (this.#links.has(link.id)) return false;
    this.#links.set(link.id, { ...clone(link), version: 1 });
    return true;
  }

  async getLink(id: string): Promise<LinkRecord | undefined> {
    const link = this.#links.get(id);
    return link && clone(link);
  }

  async saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean> {
    const stored = this.#links.get(link.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertLinkIdentityKept(stored, link);
    this.#links.set(link.id, { ...clone(link), version: expectedVersion + 1 });
    return true;
  }

  async deleteLink(id: string): Promise<LinkRecord | undefined> {
    const link = this.#links.get(id);
    this.#links.delete(id);
    return link;
  }

  async listLinks(query: LinkQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<LinkRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeLinkCursor(page.cursor);
    const found = pageOfLinks(this.#links.values(), query, after, page.limit);
    return { items: found.items.map(clone), nextCursor: found.nextCursor };
  }

  // --- audit -----------------------------------------------------------------------------------

  async appendAudit(events: Omit<AuditEvent, 'id'>[]): Promise<AuditEvent[]> {
    const stored = events.map((event) => {
      this.#auditSequence += 1;
      return { id: `${Date.now()}-${this.#auditSequence}`, ...clone(event) };
    });
    this.#audit.push(...stored);
    return clone(stored);
  }

  async listAudit(query: AuditQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<AuditEvent>> {
    const afterId = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
    // Ids grow with each append, so the events after the cursor start where the first larger id is.
    let index = afterId === undefined ? 0 : this.#audit.findIndex((event) => compareAuditIds(event.id, afterId) > 0);
    if (index < 0) index = this.#audit.length;
    const items: AuditEvent[] = [];
    // One match more than asked tells whether another page exists.
    for (; index < this.#audit.length && items.length <= page.limit; index += 1) {
      const event = this.#audit[index]!;
      if (auditMatches(event, query)) items.push(clone(event));
    }
    const more = items.length > page.limit;
    if (more) items.pop();
    return { items, nextCursor: more ? encodeAuditCursor(items.at(-1)!.id) : null };
  }

  async trimAudit(before: number): Promise<void> {
    this.#audit = this.#audit.filter((event) => Date.parse(event.time) >= before);
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  #sweep(): void {
    for (const map of [this.#models, this.#grantMembers, this.#accountMembers, this.#secondary, this.#records, this.#codes, this.#counters, this.#slots, this.#mail]) {
      map.sweep();
    }
  }
}

function isClaimable(mail: OutboxMail, now: number): boolean {
  const waiting = mail.state === 'queued' || mail.state === 'retrying' || mail.state === 'sending';
  return waiting && mail.nextAttemptAt <= now && mail.sealed !== undefined;
}

function identityKey(identity: FederatedIdentity): string {
  return JSON.stringify([identity.issuer, identity.subject]);
}

function splitModelKey(key: string): [string, string] {
  const at = key.indexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}

