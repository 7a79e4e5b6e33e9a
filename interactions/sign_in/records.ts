/**
 * Keeping a sign-in's record and its one-shot notices in the store. Every save names the version
 * it read (compare-and-set), so a stale request never overwrites a newer step; what is read back
 * is parsed against the schemas of `state.ts`.
 */
import { randomBytes } from 'node:crypto';

import type { RecordStore } from '../../adapters/store.ts';
import type { Clock } from '../../src/clock.ts';
import { RecordChangedError } from '../../src/errors.ts';
import { readRecord } from '../../src/records.ts';
import { signInMoved } from './progress.ts';
import { noticeSchema, signInRecordSchema, type Notice, type SignInRecord, type SignInStep } from './state.ts';

export interface NewSignIn {
  uid: string;
  clientId: string;
  sharingId?: string | undefined;
  expiresAt: number;
  firstStep: SignInStep;
}

export class SignInRecords {
  readonly #store: RecordStore;
  readonly #clock: Clock;

  constructor(store: RecordStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  read(uid: string): Promise<SignInRecord | undefined> {
    return readRecord(this.#store, 'signin', uid, signInRecordSchema);
  }

  /** Creates the record of an interaction; when a parallel request created it first, theirs (so both carry one CSRF token). */
  async create(init: NewSignIn): Promise<SignInRecord> {
    const record: SignInRecord = {
      version: 1,
      uid: init.uid,
      clientId: init.clientId,
      sharingId: init.sharingId,
      csrf: randomBytes(24).toString('base64url'),
      step: init.firstStep,
      expiresAt: init.expiresAt,
    };
    if (await this.#store.putRecordIfVersion('signin', record.uid, record, this.#ttlSeconds(record), undefined)) return record;
    return (await this.read(init.uid)) ?? record;
  }

  /** Saves a change made on top of the version this request read; throws RecordChangedError when it is stale. */
  async commit(record: SignInRecord, change: Partial<Omit<SignInRecord, 'version' | 'uid'>>): Promise<void> {
    const next: SignInRecord = { ...record, ...change, version: record.version + 1 };
    if (!(await this.#store.putRecordIfVersion('signin', record.uid, next, this.#ttlSeconds(record), record.version))) {
      throw new RecordChangedError(record.uid);
    }
    Object.assign(record, next);
    // A parallel request of this sign-in waiting in this process (a double click) reads it now.
    signInMoved(record.uid);
  }

  async notify(record: SignInRecord, notice: Notice): Promise<void> {
    await this.#store.putRecord('signinNotice', record.uid, notice, this.#ttlSeconds(record));
  }

  /** Takes the notice for the page being shown, so it shows once. */
  async takeNotice(record: SignInRecord): Promise<Notice | undefined> {
    const notice = await readRecord(this.#store, 'signinNotice', record.uid, noticeSchema);
    if (notice) await this.#store.deleteRecord('signinNotice', record.uid);
    return notice;
  }

  #ttlSeconds(record: SignInRecord): number {
    return Math.max(1, Math.ceil((record.expiresAt - this.#clock.now()) / 1000));
  }
}
