/** oidc-provider's models in memory: the entries, and the indexes that find them by grant, account, session uid and user code. */
import { grantable, isAccountModel, modelMember, sessionsAndGrants } from '../shared/oidc_models.ts';
import type { CounterStore } from '../store/counters.ts';
import type { ConsumeOutcome, OidcModelStore, OidcPayload, SlotClaimWithModel } from '../store/oidc_models.ts';
import type { RecordNamespace, RecordStore, RecordWrite } from '../store/records.ts';
import { clone, type ExpiringMap, type ExpiringMaps } from './maps.ts';

export class MemoryOidcModels implements OidcModelStore {
  readonly #models: ExpiringMap<OidcPayload>;
  readonly #grantMembers: ExpiringMap<Set<string>>;
  readonly #accountMembers: ExpiringMap<Set<string>>;
  /** `uid:<uid>` and `userCode:<code>` → entry id. */
  readonly #secondary: ExpiringMap<string>;

  readonly #records: Pick<RecordStore, 'putRecord' | 'getRecord' | 'deleteRecord'>;
  readonly #slots: Pick<CounterStore, 'claimSlot'>;

  constructor(maps: ExpiringMaps, records: Pick<RecordStore, 'putRecord' | 'getRecord' | 'deleteRecord'>, slots: Pick<CounterStore, 'claimSlot'>) {
    this.#records = records;
    this.#slots = slots;
    this.#models = maps.create();
    this.#grantMembers = maps.create();
    this.#accountMembers = maps.create();
    this.#secondary = maps.create();
  }

  async upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
    const key = modelMember(model, id);
    this.#models.set(key, clone(payload), expiresInSeconds);
    const expiresAt = expiresInSeconds === undefined ? Infinity : Date.now() + expiresInSeconds * 1000;
    if (grantable.has(model) && payload.grantId) this.#addMember(this.#grantMembers, payload.grantId, key, expiresAt);
    if (isAccountModel(model) && payload.accountId) {
      this.#addMember(this.#accountMembers, payload.accountId, key, expiresAt);
    }
    if (model === 'Session' && payload.uid) this.#secondary.set(`uid:${payload.uid}`, id, expiresInSeconds);
    if (payload.userCode) this.#secondary.set(`userCode:${payload.userCode}`, id, expiresInSeconds);
  }

  async upsertModelWithRecord(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined, record: RecordWrite): Promise<void> {
    await this.upsertModel(model, id, payload, expiresInSeconds);
    await this.#records.putRecord(record.namespace, record.id, record.value, record.ttlSeconds);
  }

  async claimSlotAndFindModel(slot: { key: string; ttlSeconds: number; now: number }, model: string, id: string): Promise<SlotClaimWithModel> {
    const claim = await this.#slots.claimSlot(slot.key, slot.ttlSeconds, slot.now);
    return { ...claim, payload: claim.claimed ? await this.findModel(model, id) : undefined };
  }

  async findModel(model: string, id: string): Promise<OidcPayload | undefined> {
    const payload = this.#models.get(modelMember(model, id));
    return payload && clone(payload);
  }

  async findModelWithRecord(model: string, id: string, record: { namespace: RecordNamespace; id: string }): Promise<{ payload: OidcPayload | undefined; record: unknown }> {
    return { payload: await this.findModel(model, id), record: await this.#records.getRecord(record.namespace, record.id) };
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
    const payload = this.#models.get(modelMember(model, id));
    if (!payload) return 'not_found';
    if (payload.consumed) return 'already_consumed';
    payload.consumed = Math.floor(Date.now() / 1000);
    return 'consumed';
  }

  async destroyModel(model: string, id: string, record?: { namespace: RecordNamespace; id: string }): Promise<void> {
    this.#models.delete(modelMember(model, id));
    if (record) await this.#records.deleteRecord(record.namespace, record.id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.#grantMembers.get(grantId) ?? []) this.#models.delete(key);
    this.#grantMembers.delete(grantId);
    this.#models.delete(modelMember('Grant', grantId));
  }

  async findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }> {
    const members = [...(this.#accountMembers.get(accountId) ?? [])];
    return sessionsAndGrants(members, (member) => this.#models.get(member)?.accountId === accountId);
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
}
