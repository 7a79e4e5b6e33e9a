/**
 * oidc-provider's `Adapter`, for every model, over a guestpass `Store`. One class serves both
 * stores; what differs lives in the store.
 *
 * Why `consume` can throw: oidc-provider reads a code, checks it is unconsumed, then consumes
 * it. Two parallel token requests with one authorization code (or one refresh token) could both
 * pass the read. Here consuming is atomic in the store, and the loser is treated exactly like a
 * sequential replay: the whole grant is revoked and the request fails with `invalid_grant`.
 *
 * Dynamically registered clients (model `Client`) are also kept in the store's client index, so
 * they can be listed: the id is indexed before the client is stored and unindexed after it is
 * destroyed (a store without the index, a library user's, simply cannot list them).
 */
import { errors, type Adapter, type AdapterConstructor, type AdapterPayload } from 'oidc-provider';

import { CorruptRecordError, isStoreUnavailable } from './errors.ts';
import { forget, forgetAll, readOnce, remember } from './request_cache.ts';
import type { ClientIndexStore } from './store/clients.ts';
import type { OidcModelStore, OidcPayload } from './store/oidc_models.ts';
import type { RecordNamespace, RecordWrite } from './store/records.ts';

/** oidc-provider's error for a store outage: 503 `temporarily_unavailable`, never a 500. */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause?: unknown) {
    super(503, 'temporarily_unavailable', { cause } as never);
    Object.assign(this, { error_description: 'the service is temporarily unavailable, try again shortly', expose: true });
  }
}

const consumableLabels: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  PreAuthorizedCode: 'pre-authorized code',
};

/** A store outage as oidc-provider's 503; with one promise, not an async function's two (bench/README.md, round 8). */
function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return operation().then(undefined, asProviderError);
  } catch (error) {
    return asProviderError(error);
  }
}

function asProviderError(error: unknown): Promise<never> {
  return Promise.reject(isStoreUnavailable(error) ? new TemporarilyUnavailable(error) : error);
}

/**
 * Entries read once per request (adapters/request_cache.ts): oidc-provider loads an interaction
 * again to finish it. Codes and tokens are always read from the store: whether one is consumed
 * must be the store's answer at that moment.
 */
const readOncePerRequest = new Set(['Interaction', 'Session', 'Grant']);

/** The keys of an entry and of a record in the request cache (adapters/request_cache.ts). */
const cacheKey = (model: string, id: string) => `model:${model}:${id}`;
const recordCacheKey = (namespace: RecordNamespace, id: string) => `record:${namespace}:${id}`;

/**
 * This request has just read entry `model` `id` (undefined: there is none) in a step of its own
 * (`claimSlotAndFindModel`): oidc-provider's next find of it in this request takes that instead
 * of reading it again. Only for the models read once per request.
 */
export function rememberModel(model: string, id: string, payload: OidcPayload | undefined): void {
  if (readOncePerRequest.has(model)) remember(cacheKey(model, id), payload);
}

/**
 * `read()` of record `namespace` `id` once per request (adapters/request_cache.ts), shared with the
 * adapter's reads of the entry it is kept beside (`recordsBeside`), which read it in the same step.
 */
export function readRecordOnce(namespace: RecordNamespace, id: string, read: () => Promise<unknown>): Promise<unknown> {
  return readOnce(recordCacheKey(namespace, id), read);
}

/**
 * `read()` of record `namespace` `id`, unless the adapter has just read it beside its entry in this
 * request (`recordsBeside`) and nobody took that yet: then that, once. Every later call reads
 * the store again, so a record that other requests change (a sign-in's) is read afresh each time
 * but the first.
 */
export async function takeRecordReadBeside(namespace: RecordNamespace, id: string, read: () => Promise<unknown>): Promise<unknown> {
  try {
    return await readRecordOnce(namespace, id, read);
  } finally {
    forget(recordCacheKey(namespace, id));
  }
}

/** Records to write in the same store step as the oidc entry named by the key (`saveWithRecord`). */
const recordsAlongside = new Map<string, { record: RecordWrite; written: boolean }>();

/**
 * Runs `save` (oidc-provider saving entry `model` `id`, e.g. `grant.save()`) so that this
 * adapter writes `record` in the same store step as the entry (`upsertModelWithRecord`).
 * Returns whether it did: false when the entry went through another adapter (a host
 * application's, in the plugin), and the caller then writes the record itself.
 */
export async function saveWithRecord(model: string, id: string, record: RecordWrite, save: () => Promise<unknown>): Promise<boolean> {
  const key = `${model}:${id}`;
  const pending = { record, written: false };
  recordsAlongside.set(key, pending);
  try {
    await save();
  } finally {
    recordsAlongside.delete(key);
  }
  return pending.written;
}

/**
 * `recordsBeside`: per model, the namespace of a record kept under the same id beside each entry
 * (a grant's context): a read of the entry reads the record in the same store step and keeps it
 * for this request's `readRecordOnce`, so a request that reads both reads once.
 * `destroyedWithEntry`: the models whose record beside goes when the entry is destroyed (a
 * sign-in's record, which nothing reads once its interaction is gone), in the same store step.
 */
export function oidcAdapterFor(
  store: OidcModelStore & Partial<ClientIndexStore>,
  { recordsBeside = {}, destroyedWithEntry = [] }: { recordsBeside?: Partial<Record<string, RecordNamespace>>; destroyedWithEntry?: readonly string[] } = {},
): AdapterConstructor {
  return class GuestpassOidcAdapter implements Adapter {
    readonly #model: string;
    readonly #cached: boolean;
    readonly #beside: RecordNamespace | undefined;
    readonly #destroysBeside: boolean;

    constructor(model: string) {
      this.#model = model;
      this.#cached = readOncePerRequest.has(model);
      this.#beside = recordsBeside[model];
      this.#destroysBeside = destroyedWithEntry.includes(model);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.#model === 'Client' && store.indexClient) await guarded(() => store.indexClient!(id));
      if (this.#cached) forget(this.#key(id));
      const alongside = recordsAlongside.get(`${this.#model}:${id}`);
      if (alongside && !alongside.written) {
        await guarded(() => store.upsertModelWithRecord(this.#model, id, payload as OidcPayload, expiresIn, alongside.record));
        alongside.written = true;
        remember(recordCacheKey(alongside.record.namespace, alongside.record.id), alongside.record.value);
      } else {
        await guarded(() => store.upsertModel(this.#model, id, payload as OidcPayload, expiresIn));
      }
      if (this.#cached) remember(this.#key(id), payload);
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      const read = async () => {
        const namespace = this.#beside;
        if (!namespace) return (await guarded(() => store.findModel(this.#model, id))) as AdapterPayload | undefined;
        const both = await guarded(() => store.findModelWithRecord(this.#model, id, { namespace, id })).catch((error: unknown) => {
          // A record that cannot be read is its own reader's error to report (src/records.ts), not the entry's.
          if (error instanceof CorruptRecordError) return undefined;
          throw error;
        });
        if (!both) return (await guarded(() => store.findModel(this.#model, id))) as AdapterPayload | undefined;
        // What this request now knows of the record: its next readRecordOnce takes it from here.
        remember(recordCacheKey(namespace, id), both.record);
        return both.payload as AdapterPayload | undefined;
      };
      return this.#cached ? readOnce(this.#key(id), read) : read();
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return guarded(() => store.findModelByUid(this.#model, uid)) as Promise<AdapterPayload | undefined>;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return guarded(() => store.findModelByUserCode(this.#model, userCode)) as Promise<AdapterPayload | undefined>;
    }

    async consume(id: string): Promise<void> {
      const outcome = await guarded(() => store.consumeModel(this.#model, id));
      if (outcome !== 'already_consumed') return;
      const payload = await guarded(() => store.findModel(this.#model, id));
      if (payload?.grantId) {
        forgetAll();
        await guarded(() => store.revokeByGrantId(payload.grantId!));
      }
      throw new errors.InvalidGrant(`${consumableLabels[this.#model] ?? this.#model} already consumed`);
    }

    async destroy(id: string): Promise<void> {
      if (this.#cached) forget(this.#key(id));
      const beside = this.#beside && this.#destroysBeside ? { namespace: this.#beside, id } : undefined;
      if (beside) forget(recordCacheKey(beside.namespace, beside.id));
      await guarded(() => store.destroyModel(this.#model, id, beside));
      if (this.#model === 'Client' && store.unindexClient) await guarded(() => store.unindexClient!(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      forgetAll();
      await guarded(() => store.revokeByGrantId(grantId));
    }

    #key(id: string): string {
      return cacheKey(this.#model, id);
    }
  };
}
