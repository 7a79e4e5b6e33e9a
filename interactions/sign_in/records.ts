/**
 * Keeping a sign-in's record in the store, with the one-shot notice for its next page inside it,
 * so a request reads both in one read. Every save names the version it read (compare-and-set),
 * so a stale request never overwrites a newer step; what is read back is parsed against the
 * schemas of `state.ts`.
 */
import { isDeepStrictEqual } from 'node:util';

import { takeRecordReadBeside } from '../../adapters/oidc_adapter.ts';
import type { RecordNamespace, RecordStore } from '../../adapters/store.ts';
import type { Clock } from '../../src/clock.ts';
import { RecordChangedError } from '../../src/errors.ts';
import { readRecord } from '../../src/records.ts';
import { randomToken } from '../../src/random_pool.ts';
import { signInMoved } from './progress.ts';
import { signInRecordSchema, type Notice, type SignInRecord, type SignInStep } from './state.ts';

export interface NewSignIn {
  uid: string;
  clientId: string;
  sharingId?: string | undefined;
  expiresAt: number;
  firstStep: SignInStep;
}

/** How often a save that only adds or takes a notice (the finish gate, a step whose code was issued: `commitOver`) is tried again on top of a parallel request's save. */
const noticeAttempts = 10;

/**
 * The records (by identity: each request reads its own) whose `finishing` gate this process set
 * and holds. Only the holder may finish the sign-in, or give the gate up.
 */
const finishHeldHere = new WeakSet<SignInRecord>();

export class SignInRecords {
  readonly #store: RecordStore;
  readonly #clock: Clock;

  constructor(store: RecordStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * The record as the store holds it now; a request's first read takes what the read of its
   * interaction read beside it in the same store step (`oidcAdapterFor`'s `recordsBeside`).
   */
  read(uid: string): Promise<SignInRecord | undefined> {
    const store = { getRecord: (namespace: RecordNamespace, id: string) => takeRecordReadBeside(namespace, id, () => this.#store.getRecord(namespace, id)) };
    return readRecord(store, 'signin', uid, signInRecordSchema);
  }

  /** Creates the record of an interaction; when a parallel request created it first, theirs (so both carry one CSRF token). */
  async create(init: NewSignIn): Promise<SignInRecord> {
    const record: SignInRecord = {
      version: 1,
      uid: init.uid,
      clientId: init.clientId,
      sharingId: init.sharingId,
      csrf: randomToken(24),
      step: init.firstStep,
      expiresAt: init.expiresAt,
    };
    if (await this.#store.putRecordIfVersion('signin', record.uid, record, this.#ttlSeconds(record), undefined)) return record;
    return (await this.read(init.uid)) ?? record;
  }

  /** Saves a change made on top of the version this request read; throws RecordChangedError when it is stale. */
  async commit(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>): Promise<void> {
    if (!(await this.#save(record, change))) throw new RecordChangedError(record.uid);
    // A parallel request of this sign-in waiting in this process (a double click) reads it now.
    signInMoved(record.uid);
  }

  /**
   * `commit` for a change that must not be lost to a parallel save: on a stale version it is made
   * again on top of what the store holds, as long as `stillApplies` to that, and `record` becomes
   * what was saved. Throws RecordChangedError when the record is gone, no longer applies, or keeps
   * changing. For a step whose effects outside the record have already happened (a code issued).
   */
  async commitOver(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>, stillApplies: (fresh: SignInRecord) => boolean): Promise<void> {
    await this.#saveOnTop(record, change, stillApplies);
    signInMoved(record.uid);
  }

  /**
   * The gate that lets exactly one request finish a verified sign-in: true when this request holds
   * it (it takes it now by a compare-and-set from a version nobody held it in), false when another
   * request holds it (follow that one) or the sign-in is no longer verified. A parallel save that
   * changed something else is read and tried again on. Taken only once every check before the
   * finishing has passed (`finish.ts`), never with the save that makes the sign-in verified: a
   * request that stopped between the two (its process ended, or the store failed under its last
   * checks) would hold it for good, and the sign-in could never be finished.
   */
  async claimFinish(record: SignInRecord): Promise<boolean> {
    if (record.finishing) return finishHeldHere.has(record);
    for (let attempt = 1; record.step.name === 'verified' && !record.finishing; attempt += 1) {
      if (await this.#save(record, { finishing: true })) {
        finishHeldHere.add(record);
        return true;
      }
      const fresh = await this.read(record.uid);
      if (!fresh || attempt >= noticeAttempts) return false;
      becomeFresh(record, fresh);
    }
    return false;
  }

  /**
   * Gives up the finish gate this request holds (`claimFinish`), when what it found after taking it
   * means the sign-in cannot finish as verified (the grant was refused: access removed meanwhile).
   * Otherwise the gate would outlive this request, and the person who then tries another address
   * could never finish. Tried again on top of a parallel save; a no-op for a request not holding it.
   */
  async releaseFinish(record: SignInRecord): Promise<void> {
    if (!record.finishing || !finishHeldHere.has(record)) return;
    await this.#saveOnTop(record, { finishing: undefined });
    finishHeldHere.delete(record);
  }

  /**
   * Leaves `notice` for the next page. When a parallel request saved meanwhile, the notice goes on
   * top of that save, and `record` becomes what the store holds (where the sign-in stands now,
   * which is what this request then shows); only a record that is gone, or keeps changing, throws.
   */
  notify(record: SignInRecord, notice: Notice): Promise<void> {
    return this.#saveOnTop(record, { notice });
  }

  /**
   * Takes the notice of the record this request read, for the page being shown, so it shows
   * once; no read and no write when there is none. When a parallel request saved meanwhile, the
   * notice is taken from that save if it still holds it; `record` itself stays what the page shows.
   */
  async takeNotice(record: SignInRecord): Promise<Notice | undefined> {
    const notice = record.notice;
    if (notice === undefined) return undefined;
    let current: SignInRecord | undefined = record;
    for (let attempt = 1; current && isDeepStrictEqual(current.notice, notice) && attempt <= noticeAttempts; attempt += 1) {
      if (await this.#save(current, { notice: undefined })) break;
      current = await this.read(record.uid);
    }
    delete record.notice;
    return notice;
  }

  /**
   * `change` saved on top of whatever parallel request saved meanwhile (read afresh and tried
   * again), while `stillApplies` to it; `record` becomes what was saved. Throws RecordChangedError
   * when the record is gone, no longer applies, or keeps changing.
   */
  async #saveOnTop(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>, stillApplies: (fresh: SignInRecord) => boolean = () => true): Promise<void> {
    for (let attempt = 1; !(await this.#save(record, change)); attempt += 1) {
      const fresh = await this.read(record.uid);
      if (!fresh || !stillApplies(fresh) || attempt >= noticeAttempts) throw new RecordChangedError(record.uid);
      becomeFresh(record, fresh);
    }
  }

  /** One compare-and-set of `record` changed by `change` (a field changed to undefined is left out); `record` follows when it is written. */
  async #save(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>): Promise<boolean> {
    const next: SignInRecord = { ...record, ...change, version: record.version + 1 };
    for (const key of Object.keys(change) as (keyof typeof change)[]) if (change[key] === undefined) delete (next as Partial<SignInRecord>)[key];
    if (!(await this.#store.putRecordIfVersion('signin', record.uid, next, this.#ttlSeconds(record), record.version))) return false;
    becomeFresh(record, next);
    return true;
  }

  #ttlSeconds(record: SignInRecord): number {
    return Math.max(1, Math.ceil((record.expiresAt - this.#clock.now()) / 1000));
  }
}

/** Makes the record this request holds the one read (or written) since, with no field left over from before. */
export function becomeFresh(record: SignInRecord, fresh: SignInRecord): void {
  if (record === fresh) return;
  for (const key of Object.keys(record) as (keyof SignInRecord)[]) if (!(key in fresh)) delete (record as Partial<SignInRecord>)[key];
  Object.assign(record, fresh);
}
