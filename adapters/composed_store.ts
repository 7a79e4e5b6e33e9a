/**
 * A `Store` made of one part per concern. Both stores are built this way — `RedisStore` over one
 * connection, `MemoryStore` over one process's maps — so each concern can be read on its own,
 * and this is the one place that lists which part answers which method.
 */
import type { Store } from './store.ts';
import type { AuditStore } from './store/audit.ts';
import type { CodeInspection, CodeStore } from './store/codes.ts';
import type { CounterStore } from './store/counters.ts';
import type { LinkStore } from './store/links.ts';
import type { OidcModelStore } from './store/oidc_models.ts';
import type { OutboxStore } from './store/outbox.ts';
import type { PeopleStore } from './store/people.ts';
import type { RecordStore } from './store/records.ts';
import type { SettingsStore } from './store/settings.ts';

export interface StoreParts {
  models: OidcModelStore;
  records: RecordStore;
  codes: CodeStore & CodeInspection;
  counters: CounterStore;
  outbox: OutboxStore;
  people: PeopleStore;
  settings: SettingsStore;
  audit: AuditStore;
  links: LinkStore;
}

export abstract class ComposedStore implements Store, CodeInspection {
  abstract readonly kind: Store['kind'];
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;

  readonly #parts: StoreParts;

  protected constructor(parts: StoreParts) {
    this.#parts = parts;
  }

  upsertModel: OidcModelStore['upsertModel'] = (...args) => this.#parts.models.upsertModel(...args);
  findModel: OidcModelStore['findModel'] = (...args) => this.#parts.models.findModel(...args);
  findModelByUid: OidcModelStore['findModelByUid'] = (...args) => this.#parts.models.findModelByUid(...args);
  findModelByUserCode: OidcModelStore['findModelByUserCode'] = (...args) => this.#parts.models.findModelByUserCode(...args);
  consumeModel: OidcModelStore['consumeModel'] = (...args) => this.#parts.models.consumeModel(...args);
  destroyModel: OidcModelStore['destroyModel'] = (...args) => this.#parts.models.destroyModel(...args);
  revokeByGrantId: OidcModelStore['revokeByGrantId'] = (...args) => this.#parts.models.revokeByGrantId(...args);
  findModelsByAccount: OidcModelStore['findModelsByAccount'] = (...args) => this.#parts.models.findModelsByAccount(...args);

  putRecord: RecordStore['putRecord'] = (...args) => this.#parts.records.putRecord(...args);
  putRecordIfVersion: RecordStore['putRecordIfVersion'] = (...args) => this.#parts.records.putRecordIfVersion(...args);
  getRecord: RecordStore['getRecord'] = (...args) => this.#parts.records.getRecord(...args);
  deleteRecord: RecordStore['deleteRecord'] = (...args) => this.#parts.records.deleteRecord(...args);

  putCode: CodeStore['putCode'] = (...args) => this.#parts.codes.putCode(...args);
  countCodeAttempt: CodeStore['countCodeAttempt'] = (...args) => this.#parts.codes.countCodeAttempt(...args);
  consumeCode: CodeStore['consumeCode'] = (...args) => this.#parts.codes.consumeCode(...args);
  readCode: CodeInspection['readCode'] = (...args) => this.#parts.codes.readCode(...args);
  deleteCode: CodeInspection['deleteCode'] = (...args) => this.#parts.codes.deleteCode(...args);

  incrementCounter: CounterStore['incrementCounter'] = (...args) => this.#parts.counters.incrementCounter(...args);
  readCounter: CounterStore['readCounter'] = (...args) => this.#parts.counters.readCounter(...args);
  deleteCounter: CounterStore['deleteCounter'] = (...args) => this.#parts.counters.deleteCounter(...args);
  claimSlot: CounterStore['claimSlot'] = (...args) => this.#parts.counters.claimSlot(...args);
  peekSlot: CounterStore['peekSlot'] = (...args) => this.#parts.counters.peekSlot(...args);
  releaseSlot: CounterStore['releaseSlot'] = (...args) => this.#parts.counters.releaseSlot(...args);

  enqueueMail: OutboxStore['enqueueMail'] = (...args) => this.#parts.outbox.enqueueMail(...args);
  claimDueMail: OutboxStore['claimDueMail'] = (...args) => this.#parts.outbox.claimDueMail(...args);
  completeMail: OutboxStore['completeMail'] = (...args) => this.#parts.outbox.completeMail(...args);
  getMail: OutboxStore['getMail'] = (...args) => this.#parts.outbox.getMail(...args);

  createPersonIfAbsent: PeopleStore['createPersonIfAbsent'] = (...args) => this.#parts.people.createPersonIfAbsent(...args);
  getPerson: PeopleStore['getPerson'] = (...args) => this.#parts.people.getPerson(...args);
  findPersonByEmail: PeopleStore['findPersonByEmail'] = (...args) => this.#parts.people.findPersonByEmail(...args);
  findPersonByIdentity: PeopleStore['findPersonByIdentity'] = (...args) => this.#parts.people.findPersonByIdentity(...args);
  savePerson: PeopleStore['savePerson'] = (...args) => this.#parts.people.savePerson(...args);
  linkIdentity: PeopleStore['linkIdentity'] = (...args) => this.#parts.people.linkIdentity(...args);
  deletePerson: PeopleStore['deletePerson'] = (...args) => this.#parts.people.deletePerson(...args);
  isEmailDeleted: PeopleStore['isEmailDeleted'] = (...args) => this.#parts.people.isEmailDeleted(...args);
  listPeople: PeopleStore['listPeople'] = (...args) => this.#parts.people.listPeople(...args);

  getSettings: SettingsStore['getSettings'] = (...args) => this.#parts.settings.getSettings(...args);
  saveSettings: SettingsStore['saveSettings'] = (...args) => this.#parts.settings.saveSettings(...args);

  appendAudit: AuditStore['appendAudit'] = (...args) => this.#parts.audit.appendAudit(...args);
  listAudit: AuditStore['listAudit'] = (...args) => this.#parts.audit.listAudit(...args);
  trimAudit: AuditStore['trimAudit'] = (...args) => this.#parts.audit.trimAudit(...args);

  createLink: LinkStore['createLink'] = (...args) => this.#parts.links.createLink(...args);
  getLink: LinkStore['getLink'] = (...args) => this.#parts.links.getLink(...args);
  saveLink: LinkStore['saveLink'] = (...args) => this.#parts.links.saveLink(...args);
  deleteLink: LinkStore['deleteLink'] = (...args) => this.#parts.links.deleteLink(...args);
  listLinks: LinkStore['listLinks'] = (...args) => this.#parts.links.listLinks(...args);
}
