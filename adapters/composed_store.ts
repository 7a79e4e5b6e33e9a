/**
 * A `Store` made of one part per concern. Both stores are built this way — `RedisStore` over one
 * connection, `MemoryStore` over one process's maps — so each concern can be read on its own,
 * and this is the one place that lists which part answers which method. They are methods on the
 * prototype, so a subclass (a library user's store) can still override any one of them.
 */
import type { Store } from './store.ts';
import type { AuditStore } from './store/audit.ts';
import type { ClientIndexStore } from './store/clients.ts';
import type { CodeInspection, CodeStore } from './store/codes.ts';
import type { CounterStore } from './store/counters.ts';
import type { KeyringStore, StoredKeyring } from './store/keyring.ts';
import type { LinkStore } from './store/links.ts';
import type { OidcModelStore } from './store/oidc_models.ts';
import type { OutboxStore } from './store/outbox.ts';
import type { PeopleStore } from './store/people.ts';
import type { RecordNamespace, RecordStore } from './store/records.ts';
import type { SettingsStore, SettingsWatch, StoredSettings } from './store/settings.ts';

export interface StoreParts {
  models: OidcModelStore;
  records: RecordStore;
  codes: CodeStore & CodeInspection;
  counters: CounterStore;
  outbox: OutboxStore;
  people: PeopleStore;
  settings: SettingsStore;
  keyring: KeyringStore;
  audit: AuditStore;
  links: LinkStore;
  clients: ClientIndexStore;
}

export abstract class ComposedStore implements Store, CodeInspection {
  abstract readonly kind: Store['kind'];
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  readonly #parts: StoreParts;

  protected constructor(parts: StoreParts) {
    this.#parts = parts;
  }

  upsertModel(...args: Parameters<OidcModelStore['upsertModel']>): ReturnType<OidcModelStore['upsertModel']> {
    return this.#parts.models.upsertModel(...args);
  }

  upsertModelWithRecord(...args: Parameters<OidcModelStore['upsertModelWithRecord']>): ReturnType<OidcModelStore['upsertModelWithRecord']> {
    return this.#parts.models.upsertModelWithRecord(...args);
  }

  claimSlotAndFindModel(...args: Parameters<OidcModelStore['claimSlotAndFindModel']>): ReturnType<OidcModelStore['claimSlotAndFindModel']> {
    return this.#parts.models.claimSlotAndFindModel(...args);
  }

  findModelWithRecord(...args: Parameters<OidcModelStore['findModelWithRecord']>): ReturnType<OidcModelStore['findModelWithRecord']> {
    return this.#parts.models.findModelWithRecord(...args);
  }

  findModel(...args: Parameters<OidcModelStore['findModel']>): ReturnType<OidcModelStore['findModel']> {
    return this.#parts.models.findModel(...args);
  }

  findModelByUid(...args: Parameters<OidcModelStore['findModelByUid']>): ReturnType<OidcModelStore['findModelByUid']> {
    return this.#parts.models.findModelByUid(...args);
  }

  findModelByUserCode(...args: Parameters<OidcModelStore['findModelByUserCode']>): ReturnType<OidcModelStore['findModelByUserCode']> {
    return this.#parts.models.findModelByUserCode(...args);
  }

  consumeModel(...args: Parameters<OidcModelStore['consumeModel']>): ReturnType<OidcModelStore['consumeModel']> {
    return this.#parts.models.consumeModel(...args);
  }

  destroyModel(...args: Parameters<OidcModelStore['destroyModel']>): ReturnType<OidcModelStore['destroyModel']> {
    return this.#parts.models.destroyModel(...args);
  }

  revokeByGrantId(...args: Parameters<OidcModelStore['revokeByGrantId']>): ReturnType<OidcModelStore['revokeByGrantId']> {
    return this.#parts.models.revokeByGrantId(...args);
  }

  findModelsByAccount(...args: Parameters<OidcModelStore['findModelsByAccount']>): ReturnType<OidcModelStore['findModelsByAccount']> {
    return this.#parts.models.findModelsByAccount(...args);
  }

  indexClient(...args: Parameters<ClientIndexStore['indexClient']>): ReturnType<ClientIndexStore['indexClient']> {
    return this.#parts.clients.indexClient(...args);
  }

  unindexClient(...args: Parameters<ClientIndexStore['unindexClient']>): ReturnType<ClientIndexStore['unindexClient']> {
    return this.#parts.clients.unindexClient(...args);
  }

  listClientIds(...args: Parameters<ClientIndexStore['listClientIds']>): ReturnType<ClientIndexStore['listClientIds']> {
    return this.#parts.clients.listClientIds(...args);
  }

  putRecord<T>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number): Promise<void> {
    return this.#parts.records.putRecord(namespace, id, value, ttlSeconds);
  }

  putRecordIfVersion<T extends { version: number }>(namespace: RecordNamespace, id: string, value: T, ttlSeconds: number, expectedVersion: number | undefined): Promise<boolean> {
    return this.#parts.records.putRecordIfVersion(namespace, id, value, ttlSeconds, expectedVersion);
  }

  getRecord(namespace: RecordNamespace, id: string): Promise<unknown> {
    return this.#parts.records.getRecord(namespace, id);
  }

  deleteRecord(...args: Parameters<RecordStore['deleteRecord']>): ReturnType<RecordStore['deleteRecord']> {
    return this.#parts.records.deleteRecord(...args);
  }

  putCode(...args: Parameters<CodeStore['putCode']>): ReturnType<CodeStore['putCode']> {
    return this.#parts.codes.putCode(...args);
  }

  replaceCode(...args: Parameters<CodeStore['replaceCode']>): ReturnType<CodeStore['replaceCode']> {
    return this.#parts.codes.replaceCode(...args);
  }

  countCodeEntry(...args: Parameters<CodeStore['countCodeEntry']>): ReturnType<CodeStore['countCodeEntry']> {
    return this.#parts.codes.countCodeEntry(...args);
  }

  consumeCode(...args: Parameters<CodeStore['consumeCode']>): ReturnType<CodeStore['consumeCode']> {
    return this.#parts.codes.consumeCode(...args);
  }

  readCode(...args: Parameters<CodeInspection['readCode']>): ReturnType<CodeInspection['readCode']> {
    return this.#parts.codes.readCode(...args);
  }

  deleteCode(...args: Parameters<CodeInspection['deleteCode']>): ReturnType<CodeInspection['deleteCode']> {
    return this.#parts.codes.deleteCode(...args);
  }

  incrementCounter(...args: Parameters<CounterStore['incrementCounter']>): ReturnType<CounterStore['incrementCounter']> {
    return this.#parts.counters.incrementCounter(...args);
  }

  incrementCountersWithin(...args: Parameters<CounterStore['incrementCountersWithin']>): ReturnType<CounterStore['incrementCountersWithin']> {
    return this.#parts.counters.incrementCountersWithin(...args);
  }

  passLimits(...args: Parameters<CounterStore['passLimits']>): ReturnType<CounterStore['passLimits']> {
    return this.#parts.counters.passLimits(...args);
  }

  readCounter(...args: Parameters<CounterStore['readCounter']>): ReturnType<CounterStore['readCounter']> {
    return this.#parts.counters.readCounter(...args);
  }

  deleteCounter(...args: Parameters<CounterStore['deleteCounter']>): ReturnType<CounterStore['deleteCounter']> {
    return this.#parts.counters.deleteCounter(...args);
  }

  claimSlot(...args: Parameters<CounterStore['claimSlot']>): ReturnType<CounterStore['claimSlot']> {
    return this.#parts.counters.claimSlot(...args);
  }

  peekSlot(...args: Parameters<CounterStore['peekSlot']>): ReturnType<CounterStore['peekSlot']> {
    return this.#parts.counters.peekSlot(...args);
  }

  releaseSlot(...args: Parameters<CounterStore['releaseSlot']>): ReturnType<CounterStore['releaseSlot']> {
    return this.#parts.counters.releaseSlot(...args);
  }

  enqueueMail(...args: Parameters<OutboxStore['enqueueMail']>): ReturnType<OutboxStore['enqueueMail']> {
    return this.#parts.outbox.enqueueMail(...args);
  }

  enqueueClaimedMail(...args: Parameters<OutboxStore['enqueueClaimedMail']>): ReturnType<OutboxStore['enqueueClaimedMail']> {
    return this.#parts.outbox.enqueueClaimedMail(...args);
  }

  claimDueMail(...args: Parameters<OutboxStore['claimDueMail']>): ReturnType<OutboxStore['claimDueMail']> {
    return this.#parts.outbox.claimDueMail(...args);
  }

  completeMail(...args: Parameters<OutboxStore['completeMail']>): ReturnType<OutboxStore['completeMail']> {
    return this.#parts.outbox.completeMail(...args);
  }

  getMail(...args: Parameters<OutboxStore['getMail']>): ReturnType<OutboxStore['getMail']> {
    return this.#parts.outbox.getMail(...args);
  }

  outboxBacklog(...args: Parameters<OutboxStore['outboxBacklog']>): ReturnType<OutboxStore['outboxBacklog']> {
    return this.#parts.outbox.outboxBacklog(...args);
  }

  createPersonIfAbsent(...args: Parameters<PeopleStore['createPersonIfAbsent']>): ReturnType<PeopleStore['createPersonIfAbsent']> {
    return this.#parts.people.createPersonIfAbsent(...args);
  }

  getPerson(...args: Parameters<PeopleStore['getPerson']>): ReturnType<PeopleStore['getPerson']> {
    return this.#parts.people.getPerson(...args);
  }

  findPersonByEmail(...args: Parameters<PeopleStore['findPersonByEmail']>): ReturnType<PeopleStore['findPersonByEmail']> {
    return this.#parts.people.findPersonByEmail(...args);
  }

  findPersonByIdentity(...args: Parameters<PeopleStore['findPersonByIdentity']>): ReturnType<PeopleStore['findPersonByIdentity']> {
    return this.#parts.people.findPersonByIdentity(...args);
  }

  savePerson(...args: Parameters<PeopleStore['savePerson']>): ReturnType<PeopleStore['savePerson']> {
    return this.#parts.people.savePerson(...args);
  }

  linkIdentity(...args: Parameters<PeopleStore['linkIdentity']>): ReturnType<PeopleStore['linkIdentity']> {
    return this.#parts.people.linkIdentity(...args);
  }

  deletePerson(...args: Parameters<PeopleStore['deletePerson']>): ReturnType<PeopleStore['deletePerson']> {
    return this.#parts.people.deletePerson(...args);
  }

  isEmailDeleted(...args: Parameters<PeopleStore['isEmailDeleted']>): ReturnType<PeopleStore['isEmailDeleted']> {
    return this.#parts.people.isEmailDeleted(...args);
  }

  lookUpEmail(...args: Parameters<PeopleStore['lookUpEmail']>): ReturnType<PeopleStore['lookUpEmail']> {
    return this.#parts.people.lookUpEmail(...args);
  }

  listPeople(...args: Parameters<PeopleStore['listPeople']>): ReturnType<PeopleStore['listPeople']> {
    return this.#parts.people.listPeople(...args);
  }

  getSettings<T>(): Promise<StoredSettings<T> | undefined> {
    return this.#parts.settings.getSettings<T>();
  }

  saveSettings<T>(value: T, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    return this.#parts.settings.saveSettings(value, updatedAt, expectedVersion);
  }

  settingsWatch(): SettingsWatch | undefined {
    return this.#parts.settings.settingsWatch?.();
  }

  getKeyring(): Promise<StoredKeyring | undefined> {
    return this.#parts.keyring.getKeyring();
  }

  saveKeyring(sealed: string, updatedAt: number, expectedVersion: number | undefined): Promise<boolean> {
    return this.#parts.keyring.saveKeyring(sealed, updatedAt, expectedVersion);
  }

  appendAudit(...args: Parameters<AuditStore['appendAudit']>): ReturnType<AuditStore['appendAudit']> {
    return this.#parts.audit.appendAudit(...args);
  }

  listAudit(...args: Parameters<AuditStore['listAudit']>): ReturnType<AuditStore['listAudit']> {
    return this.#parts.audit.listAudit(...args);
  }

  listAuditNewestFirst(...args: Parameters<AuditStore['listAuditNewestFirst']>): ReturnType<AuditStore['listAuditNewestFirst']> {
    return this.#parts.audit.listAuditNewestFirst(...args);
  }

  trimAudit(...args: Parameters<AuditStore['trimAudit']>): ReturnType<AuditStore['trimAudit']> {
    return this.#parts.audit.trimAudit(...args);
  }

  createLink(...args: Parameters<LinkStore['createLink']>): ReturnType<LinkStore['createLink']> {
    return this.#parts.links.createLink(...args);
  }

  getLink(...args: Parameters<LinkStore['getLink']>): ReturnType<LinkStore['getLink']> {
    return this.#parts.links.getLink(...args);
  }

  saveLink(...args: Parameters<LinkStore['saveLink']>): ReturnType<LinkStore['saveLink']> {
    return this.#parts.links.saveLink(...args);
  }

  deleteLink(...args: Parameters<LinkStore['deleteLink']>): ReturnType<LinkStore['deleteLink']> {
    return this.#parts.links.deleteLink(...args);
  }

  listLinks(...args: Parameters<LinkStore['listLinks']>): ReturnType<LinkStore['listLinks']> {
    return this.#parts.links.listLinks(...args);
  }

  indexLinkGrant(...args: Parameters<LinkStore['indexLinkGrant']>): ReturnType<LinkStore['indexLinkGrant']> {
    return this.#parts.links.indexLinkGrant(...args);
  }

  linkGrants(...args: Parameters<LinkStore['linkGrants']>): ReturnType<LinkStore['linkGrants']> {
    return this.#parts.links.linkGrants(...args);
  }

  unindexLinkGrants(...args: Parameters<LinkStore['unindexLinkGrants']>): ReturnType<LinkStore['unindexLinkGrants']> {
    return this.#parts.links.unindexLinkGrants(...args);
  }

  scheduleLinkCheck(...args: Parameters<LinkStore['scheduleLinkCheck']>): ReturnType<LinkStore['scheduleLinkCheck']> {
    return this.#parts.links.scheduleLinkCheck(...args);
  }

  claimDueLinkChecks(...args: Parameters<LinkStore['claimDueLinkChecks']>): ReturnType<LinkStore['claimDueLinkChecks']> {
    return this.#parts.links.claimDueLinkChecks(...args);
  }

  finishLinkCheck(...args: Parameters<LinkStore['finishLinkCheck']>): ReturnType<LinkStore['finishLinkCheck']> {
    return this.#parts.links.finishLinkCheck(...args);
  }
}
