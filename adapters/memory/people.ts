/** People in memory: the people by id, and plain maps for the address and identity indexes and the deletion marks. */
import { assertPersonFixedFieldsKept, decodePersonCursor, identityKey, linkIdentityRefusal, pageOfPeople, withIdentity } from '../shared/people.ts';
import { assertPageLimit } from '../shared/paging.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import type { FederatedIdentity, LinkIdentityOutcome, PeopleQuery, PeopleStore, PersonRecord } from '../store/people.ts';
import { clone, saveIfVersion } from './maps.ts';

export class MemoryPeople implements PeopleStore {
  readonly #people = new Map<string, PersonRecord>();
  readonly #peopleByEmail = new Map<string, string>();
  /** (issuer, subject) → person id. */
  readonly #peopleByIdentity = new Map<string, string>();
  /** Normalised address → id of the person deleted with it. */
  readonly #deletedEmails = new Map<string, string>();

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
    return saveIfVersion(this.#people, person, expectedVersion, assertPersonFixedFieldsKept);
  }

  /** The same checks in the same order as the Redis store, so both answer alike when several apply. */
  async linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome> {
    const person = this.#people.get(personId);
    if (!person) return { outcome: 'stale' };
    const refusal = linkIdentityRefusal(clone(person), identity, expectedVersion);
    if (refusal) return refusal;
    const holderId = this.#peopleByIdentity.get(identityKey(identity));
    if (holderId !== undefined && holderId !== personId && this.#people.has(holderId)) return { outcome: 'taken', personId: holderId };
    const linked = withIdentity(person, identity);
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

  async lookUpEmail(emailNormalized: string): Promise<{ person: PersonRecord | undefined; deleted: boolean }> {
    const person = await this.findPersonByEmail(emailNormalized);
    return { person, deleted: !person && this.#deletedEmails.has(emailNormalized) };
  }

  /** No index, as for links: every person is filtered and sorted, in the byte order Redis lists them in. */
  async listPeople(query: PeopleQuery, page: PageRequest): Promise<Page<PersonRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodePersonCursor(page.cursor);
    const found = pageOfPeople(this.#people.values(), query, after, page.limit);
    return { items: found.items.map(clone), nextCursor: found.nextCursor };
  }
}
