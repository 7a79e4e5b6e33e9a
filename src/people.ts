/**
 * People and the directory. Each verified address gets one person with a stable, opaque `sub`
 * for life; an address in the organisation's domains is a `member`, anyone else starts `adhoc`.
 * Invited people are `guest`s at once (`PendingAcceptance`), `Accepted` once they redeem;
 * recipients whose organisation has a federated provider become guests when they link their
 * work account (SPEC §1).
 *
 * Every change is read-modify-write with compare-and-set on the person's version, retried on
 * a conflict, so an admin disabling a person and that person's sign-in stamping
 * `lastVerifiedAt` at the same moment cannot undo each other.
 */
import { randomUUID } from 'node:crypto';

import type { FederatedIdentity, GuestState, LinkIdentityOutcome, Page, PeopleQuery, PeopleStore, PersonRecord, UserType } from '../adapters/store.ts';
import type { Clock } from './clock.ts';
import { domainOf } from './emails.ts';
import { ConflictError, InvalidRequestError } from './errors.ts';
import { forget, readOnce, remember } from '../adapters/request_cache.ts';
import { issuerSpellings, sameIssuer } from '../config/issuers.ts';

/** The request cache's name for a person (adapters/request_cache.ts). */
const personKey = (id: string) => `person:${id}`;

export class People {
  readonly #store: PeopleStore;
  readonly #clock: Clock;
  readonly #organizationDomains: ReadonlySet<string>;

  constructor(store: PeopleStore, clock: Clock, organizationDomains: readonly string[]) {
    this.#store = store;
    this.#clock = clock;
    this.#organizationDomains = new Set(organizationDomains);
  }

  /** What an address is before anything else is known: a member by its domain, otherwise adhoc. */
  userTypeFor(emailNormalized: string): UserType {
    return this.#organizationDomains.has(domainOf(emailNormalized)) ? 'member' : 'adhoc';
  }

  /** Read once per request (adapters/request_cache.ts); every write below tells the request what it wrote. */
  get(id: string): Promise<PersonRecord | undefined> {
    return readOnce(personKey(id), () => this.#store.getPerson(id));
  }

  findByEmail(emailNormalized: string): Promise<PersonRecord | undefined> {
    return this.#store.findPersonByEmail(emailNormalized);
  }

  /**
   * The person holding a federated identity. An identity is stored under the issuer its
   * provider stated when it was linked; should the provider's spelling have changed since by a
   * trailing slash (the one difference config/issuers.ts forgives), it is found under the other.
   */
  async findByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined> {
    for (const spelling of issuerSpellings(issuer)) {
      const person = await this.#store.findPersonByIdentity(spelling, subject);
      if (person) return person;
    }
    return undefined;
  }

  isDeleted(emailNormalized: string): Promise<boolean> {
    return this.#store.isEmailDeleted(emailNormalized);
  }

  /** `findByEmail` and `isDeleted` at once (one store step where the store can): what a sign-in asks of every address. */
  lookUp(emailNormalized: string): Promise<{ person: PersonRecord | undefined; deleted: boolean }> {
    return this.#store.lookUpEmail(emailNormalized);
  }

  list(query: PeopleQuery, page: { cursor?: string | undefined; limit: number }): Promise<Page<PersonRecord>> {
    return this.#store.listPeople(query, page);
  }

  /** The person for a just-verified address, created on first verification, with `lastVerifiedAt` now. */
  async recordVerification(email: { display: string; normalized: string }): Promise<PersonRecord> {
    const now = this.#clock.now();
    const { person, created } = await this.#store.createPersonIfAbsent(this.#newPerson(email, this.userTypeFor(email.normalized), now, { lastVerifiedAt: now }));
    if (created) {
      remember(personKey(person.id), person);
      return person;
    }
    return (await this.update(person.id, (current) => ({ ...current, lastVerifiedAt: now }))) ?? person;
  }

  /**
   * Creates a guest in `PendingAcceptance` for an invitation, or turns the adhoc person of that
   * address into one. A member cannot be invited, nor can a guest who already accepted.
   */
  async invite(email: { display: string; normalized: string }, displayName: string | undefined): Promise<{ person: PersonRecord; created: boolean }> {
    if (this.userTypeFor(email.normalized) === 'member') throw new ConflictError(`${email.normalized} is a member of the organisation, not a guest`);
    const now = this.#clock.now();
    const result = await this.#store.createPersonIfAbsent(this.#newPerson(email, 'guest', now, { state: 'PendingAcceptance', displayName, invitedAt: now }));
    if (result.created) {
      remember(personKey(result.person.id), result.person);
      return result;
    }
    const existing = result.person;
    if (existing.userType === 'guest' && existing.state === 'Accepted') {
      throw new ConflictError(`${email.normalized} is already a guest who accepted an invitation`);
    }
    const person = await this.update(existing.id, (current) => ({
      ...current,
      userType: 'guest',
      state: current.state === 'Accepted' ? 'Accepted' : 'PendingAcceptance',
      displayName: displayName ?? current.displayName,
      invitedAt: now,
    }));
    if (!person) throw new ConflictError('the person changed while being invited; try again');
    return { person, created: false };
  }

  /** A guest who proved their address (by code or work account) has accepted. */
  async accept(id: string): Promise<PersonRecord | undefined> {
    return this.update(id, (current) => (current.userType === 'guest' && current.state !== 'Accepted' ? { ...current, state: 'Accepted' as GuestState } : undefined));
  }

  /**
   * Links a federated identity (SPEC §1): by (issuer, subject) only. The caller has already
   * checked that the upstream address equals the code-verified one and is verified upstream.
   */
  async linkIdentity(id: string, identity: FederatedIdentity, becomes: UserType): Promise<Exclude<LinkIdentityOutcome, { outcome: 'stale' }> | { outcome: 'gone' }> {
    try {
      return await this.#linkIdentity(id, identity, becomes);
    } finally {
      forget(personKey(id));
    }
  }

  async #linkIdentity(id: string, identity: FederatedIdentity, becomes: UserType): Promise<Exclude<LinkIdentityOutcome, { outcome: 'stale' }> | { outcome: 'gone' }> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await this.#store.getPerson(id);
      if (!current) return { outcome: 'gone' };
      // The store's uniqueness is by exact issuer; an identity held under the issuer's other
      // spelling is the same identity (config/issuers.ts), so the rules apply across spellings too.
      const holder = await this.findByIdentity(identity.issuer, identity.subject);
      if (holder && holder.id !== id) return { outcome: 'taken', personId: holder.id };
      const sameProvider = current.identities.filter((held) => sameIssuer(held.issuer, identity.issuer));
      if (sameProvider.some((held) => held.subject !== identity.subject)) return { outcome: 'issuer_already_linked' };
      const linked = sameProvider.length > 0 ? { outcome: 'linked' as const, person: current } : await this.#store.linkIdentity(id, identity, current.version);
      if (linked.outcome === 'stale') continue;
      if (linked.outcome !== 'linked') return linked;
      const upgraded = await this.update(id, (person) =>
        person.userType === becomes && (becomes !== 'guest' || person.state === 'Accepted') ? undefined : { ...person, userType: becomes, state: becomes === 'guest' ? ('Accepted' as GuestState) : undefined },
      );
      return { outcome: 'linked', person: upgraded ?? linked.person };
    }
    throw new ConflictError('the person is changing too often to link an identity; try again');
  }

  async setDisabled(id: string, disabled: boolean): Promise<PersonRecord | undefined> {
    return this.update(id, (current) => (current.disabled === disabled ? undefined : { ...current, disabled }));
  }

  async setProfile(id: string, change: { groups?: string[] | undefined; displayName?: string | null | undefined }): Promise<PersonRecord | undefined> {
    return this.update(id, (current) => {
      if (change.groups !== undefined && current.userType === 'adhoc') {
        throw new InvalidRequestError('groups are for guests and members only; this person is adhoc');
      }
      return {
        ...current,
        ...(change.groups === undefined ? {} : { groups: [...new Set(change.groups)] }),
        ...(change.displayName === undefined ? {} : { displayName: change.displayName ?? undefined }),
      };
    });
  }

  async delete(id: string): Promise<PersonRecord | undefined> {
    try {
      return await this.#store.deletePerson(id);
    } finally {
      forget(personKey(id));
    }
  }

  /** Read, change, compare-and-set, retried when another writer got there first. `undefined` from `change`: nothing to do. */
  async update(id: string, change: (current: PersonRecord) => PersonRecord | undefined): Promise<PersonRecord | undefined> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const current = await this.#store.getPerson(id);
      if (!current) return undefined;
      const next = change(current);
      if (!next) return current;
      const saved = await this.#store.savePerson(next, current.version);
      forget(personKey(id));
      if (saved) {
        const person = { ...next, version: current.version + 1 };
        remember(personKey(id), person);
        return person;
      }
    }
    throw new ConflictError('the person is changing too often to update; try again');
  }

  #newPerson(email: { display: string; normalized: string }, userType: UserType, now: number, extra: Partial<PersonRecord>): PersonRecord {
    return {
      version: 1,
      id: randomUUID(),
      email: email.display,
      emailNormalized: email.normalized,
      userType,
      disabled: false,
      groups: [],
      identities: [],
      createdAt: now,
      ...extra,
    };
  }
}
