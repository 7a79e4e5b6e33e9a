/** oidc-provider's models in Redis: one hash per entry, and the indexes that find it by grant, account, session uid and user code. */
import { grantable, isAccountModel, modelMember, sessionsAndGrants } from '../shared/oidc_models.ts';
import { z } from 'zod';

import type { ConsumeOutcome, OidcModelStore, OidcPayload, SlotClaimWithModel } from '../store/oidc_models.ts';
import type { RecordNamespace, RecordWrite } from '../store/records.ts';
import { RedisPart, toMs } from './connection.ts';
import { anyJson, pairsToRecord, parseStored, parseStoredJson } from './stored.ts';

/** What gpClaimSlot answers: { 1 if claimed else 0, held until }; gpClaimSlotAndFindModel adds the hash's field, value, …. */
const claimReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.number()]);
const claimWithModelReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.number(), z.array(z.string())]);
/** What gpFindModelWithRecord answers: the hash's field, value, …, then 1 and the record, or 0 and ''. */
const modelWithRecordReply = z.tuple([z.array(z.string()), z.union([z.literal(0), z.literal(1)]), z.string()]);

export class RedisOidcModels extends RedisPart implements OidcModelStore {
  upsertModel(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
    return this.#upsert(model, id, payload, expiresInSeconds, undefined);
  }

  upsertModelWithRecord(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined, record: RecordWrite): Promise<void> {
    return this.#upsert(model, id, payload, expiresInSeconds, record);
  }

  async #upsert(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined, record: RecordWrite | undefined): Promise<void> {
    const ttlMs = expiresInSeconds === undefined ? 0 : toMs(expiresInSeconds);
    const member = modelMember(model, id);
    // 'm': a set of members (grant, account); 's': a string naming the id (session uid, user code).
    const indexes: { key: string; kind: 'm' | 's' }[] = [];
    if (grantable.has(model) && payload.grantId) indexes.push({ key: this.keys.grant(payload.grantId), kind: 'm' });
    if (isAccountModel(model) && payload.accountId) indexes.push({ key: this.keys.account(payload.accountId), kind: 'm' });
    if (model === 'Session' && payload.uid) indexes.push({ key: this.keys.uid(payload.uid), kind: 's' });
    if (payload.userCode) indexes.push({ key: this.keys.userCode(payload.userCode), kind: 's' });
    const fields: (string | number)[] = ['payload', JSON.stringify(payload)];
    if (payload.consumed) fields.push('consumed', String(payload.consumed));
    // The one field an entry it replaces may hold beyond these (see gpReplaceHash).
    const stale = payload.consumed ? '' : 'consumed';
    const entryKey = this.keys.model(model, id);
    const recordKey = record && this.keys.record(record.namespace, record.id);
    const recordArgs = record ? [JSON.stringify(record.value), toMs(record.ttlSeconds)] : [];
    if (!this.redis.cluster) {
      // One server: the entry, its indexes and its record in one script, one round trip instead of up to five.
      const keys = [...indexes.map((index) => index.key), ...(recordKey ? [recordKey] : [])];
      const kinds = indexes.map((index) => index.kind).join('') + (recordKey ? 'r' : '');
      await this.redis.script('gpUpsertModel', 1 + keys.length, entryKey, ...keys, ttlMs, member, id, kinds, ...recordArgs, stale, ...fields);
      return;
    }
    // A Cluster: the indexes first, each in its own slot. If we stop half-way, an index names a
    // missing entry (harmless), never a token that revokeByGrantId or "revoke every session"
    // cannot find. The record last, as it was written after the entry before it came with it.
    await Promise.all(
      indexes.map((index) => (index.kind === 'm' ? this.redis.script('gpAddMember', index.key, member, ttlMs) : this.redis.setString(index.key, id, ttlMs))),
    );
    await this.redis.script('gpReplaceHash', entryKey, ttlMs, stale, ...fields);
    if (recordKey) await this.redis.setString(recordKey, recordArgs[0] as string, recordArgs[1] as number);
  }

  async claimSlotAndFindModel(slot: { key: string; ttlSeconds: number; now: number }, model: string, id: string): Promise<SlotClaimWithModel> {
    const slotArgs = [this.keys.slot(slot.key), toMs(slot.ttlSeconds), Math.floor(slot.now)] as const;
    if (this.redis.cluster) {
      // The slot and the entry live in other slots of the Cluster: the read, then the claim, so a
      // read that fails (its master away, the connection lost) leaves the slot free for a retry.
      const payload = await this.findModel(model, id);
      const [claimed, availableAt] = parseStored(claimReply, await this.redis.script('gpClaimSlot', ...slotArgs), 'slot');
      return { claimed: claimed === 1, availableAt, payload: claimed === 1 ? payload : undefined };
    }
    const reply = await this.redis.script('gpClaimSlotAndFindModel', slotArgs[0], this.keys.model(model, id), slotArgs[1], slotArgs[2]);
    const [claimed, availableAt, fields] = parseStored(claimWithModelReply, reply, 'slot');
    return { claimed: claimed === 1, availableAt, payload: payloadOf(pairsToRecord(fields)) };
  }

  async findModel(model: string, id: string): Promise<OidcPayload | undefined> {
    return payloadOf(await this.redis.run((client) => client.hgetall(this.keys.model(model, id))));
  }

  async findModelWithRecord(model: string, id: string, record: { namespace: RecordNamespace; id: string }): Promise<{ payload: OidcPayload | undefined; record: unknown }> {
    const recordKey = this.keys.record(record.namespace, record.id);
    const label = `${record.namespace} record`;
    if (this.redis.cluster) {
      const [payload, value] = await Promise.all([this.findModel(model, id), this.redis.run((client) => client.get(recordKey))]);
      return { payload, record: value === null ? undefined : parseStoredJson(anyJson, value, label) };
    }
    const reply = await this.redis.script('gpFindModelWithRecord', this.keys.model(model, id), recordKey);
    const [fields, found, value] = parseStored(modelWithRecordReply, reply, `${model} entry`);
    return { payload: payloadOf(pairsToRecord(fields)), record: found === 1 ? parseStoredJson(anyJson, value, label) : undefined };
  }

  async findModelByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    const id = await this.redis.run((client) => client.get(this.keys.uid(uid)));
    return id === null ? undefined : this.findModel(model, id);
  }

  async findModelByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    const id = await this.redis.run((client) => client.get(this.keys.userCode(userCode)));
    return id === null ? undefined : this.findModel(model, id);
  }

  async consumeModel(model: string, id: string): Promise<ConsumeOutcome> {
    return (await this.redis.script('gpConsumeModel', this.keys.model(model, id), Math.floor(Date.now() / 1000))) as ConsumeOutcome;
  }

  async destroyModel(model: string, id: string, record?: { namespace: RecordNamespace; id: string }): Promise<void> {
    const entryKey = this.keys.model(model, id);
    const recordKey = record && this.keys.record(record.namespace, record.id);
    if (!recordKey) {
      await this.redis.run((client) => client.del(entryKey));
    } else if (!this.redis.cluster) {
      await this.redis.run((client) => client.del(entryKey, recordKey));
    } else {
      await this.redis.run((client) => client.del(entryKey));
      await this.redis.run((client) => client.del(recordKey));
    }
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const indexKey = this.keys.grant(grantId);
    const members = await this.redis.run((client) => client.smembers(indexKey));
    // Members live in other slots, so one DEL each; the index goes last, so a retry after a
    // failure still finds what is left.
    await Promise.all(members.map((member) => this.redis.run((client) => client.del(this.keys.modelOfMember(member)))));
    await this.redis.run((client) => client.del(this.keys.model('Grant', grantId)));
    await this.redis.run((client) => client.del(indexKey));
  }

  async findModelsByAccount(accountId: string): Promise<{ sessions: string[]; grants: string[] }> {
    const members = await this.redis.run((client) => client.smembers(this.keys.account(accountId)));
    const payloads = await Promise.all(members.map((member) => this.redis.run((client) => client.hget(this.keys.modelOfMember(member), 'payload'))));
    return sessionsAndGrants(members, (_member, index) => {
      const payload = payloads[index];
      return payload !== null && payload !== undefined && (JSON.parse(payload) as OidcPayload).accountId === accountId;
    });
  }
}

/** An entry as its hash holds it (`payload` JSON, and `consumed` once consumed); undefined for no hash. */
function payloadOf(stored: Record<string, string>): OidcPayload | undefined {
  if (stored.payload === undefined) return undefined;
  const payload = JSON.parse(stored.payload) as OidcPayload;
  if (stored.consumed !== undefined) payload.consumed = Number(stored.consumed) || stored.consumed;
  return payload;
}
