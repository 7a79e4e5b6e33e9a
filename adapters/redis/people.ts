/**
 * People in Redis: a person is one durable JSON string; the address index, the identity index,
 * the listing (a zset in address order) and the deletion marks are keys of their own.
 *
 * A person and their index entries sit in different slots. The address index and the
 * listing entry are written before the person, the identity index before the person holds the
 * identity, and all are removed after the person is deleted; a read checks the person behind
 * every entry (it exists, has that address, holds that identity) and skips one that does not.
 * The deletion mark is written before the person is deleted, and counts only while no person has
 * the address, so a crash can neither unmark a deleted address nor make a live one look deleted.
 */
import { z } from 'zod';

import { StoreContentionError } from '../errors.ts';
import {
  assertPersonFixedFieldsKept,
  decodePersonCursor,
  holdsIdentity,
  linkIdentityRefusal,
  personListingMember,
  personMatches,
  toPeoplePage,
  withIdentity,
} from '../shared/people.ts';
import { assertPageLimit } from '../shared/paging.ts';
import type { Page, PageRequest } from '../store/paging.ts';
import { guestStates, userTypes, type FederatedIdentity, type LinkIdentityOutcome, type PeopleQuery, type PeopleStore, type PersonRecord } from '../store/people.ts';
import { RedisPart } from './connection.ts';
import { parseStoredJson } from './stored.ts';

const personSchema = z.looseObject({
  version: z.int(),
  id: z.string().min(1),
  email: z.string(),
  emailNormalized: z.string().min(1),
  userType: z.enum(userTypes),
  state: z.enum(guestStates).optional(),
  displayName: z.string().optional(),
  disabled: z.boolean(),
  groups: z.array(z.string()),
  identities: z.array(z.looseObject({ issuer: z.string(), subject: z.string() })),
  createdAt: z.number(),
  lastVerifiedAt: z.number().optional(),
  invitedAt: z.number().optional(),
}) satisfies z.ZodType<PersonRecord>;

/** Listing entries read at most per round while listing people. */
const peopleChunkMax = 1000;

export class RedisPeople extends RedisPart implements PeopleStore {
  // A person is one key; the address index, the identity index, the listing and the deletion mark
  // live in other slots and are written with single-key commands (creating a person off a
  // Cluster writes them all in one script, which no crash can split). Index entries are written
  // before the person and removed after, so a crash leaves at worst an entry naming a person who
  // is gone or no longer matches it — every read checks the person and skips such an entry.

  /** One script off a Cluster for the common cases (#createInOneStep), and otherwise step by step. */
  async createPersonIfAbsent(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }> {
    if (!this.redis.cluster) {
      const created = await this.#createInOneStep(person);
      if (created) return created;
    }
    return this.#createStepwise(person);
  }

  /**
   * Off a Cluster, an address no one has gets its index, listing entry and person, and loses its
   * deletion mark, in one script (gpCreatePerson); an index naming a person with the address
   * answers that person. Anything else (an index left by a crash or by a stepwise creator still
   * on its way, an id already taken) is undefined: the stepwise path sorts it out, as it would have.
   */
  async #createInOneStep(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean } | undefined> {
    const candidate: PersonRecord = { ...person, version: 1 };
    const emailNormalized = person.emailNormalized;
    const reply = await this.redis.script(
      'gpCreatePerson',
      this.keys.personEmail(emailNormalized),
      this.keys.personDeleted(emailNormalized),
      this.keys.peopleByEmail(),
      this.keys.person(person.id),
      person.id,
      personListingMember(candidate),
      JSON.stringify(candidate),
    );
    if (reply === 1) return { person: candidate, created: true };
    if (typeof reply !== 'string') return undefined;
    const existing = await this.getPerson(reply);
    return existing?.emailNormalized === emailNormalized ? { person: existing, created: false } : undefined;
  }

  /**
   * Two writes in two slots, each atomic on its own: the address index (SET NX) decides the id,
   * then the person under that id (SET NX) decides who created it. An index left without its
   * person (a crash between the writes, or a creator still on its way) is taken over under the
   * id it names, so parallel callers all meet on one person key and it never wedges the address.
   * An index naming a deleted person — the deletion mark names that id — is pointed at a new id
   * instead: a deleted person's `sub` is never handed to the next person with the address.
   */
  async #createStepwise(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }> {
    const emailNormalized = person.emailNormalized;
    const indexKey = this.keys.personEmail(emailNormalized);
    const markKey = this.keys.personDeleted(emailNormalized);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const indexed = await this.redis.run((client) => client.set(indexKey, person.id, 'NX'));
      const id = indexed === 'OK' ? person.id : await this.redis.run((client) => client.get(indexKey));
      if (id === null) continue;
      const existing = indexed === 'OK' ? undefined : await this.getPerson(id);
      if (existing?.emailNormalized === emailNormalized) return { person: existing, created: false };
      const mark = await this.redis.run((client) => client.get(markKey));
      if (existing || mark === id) {
        await this.redis.script('gpCompareAndSet', indexKey, id, person.id);
        continue;
      }
      const candidate: PersonRecord = { ...person, id, version: 1 };
      await this.redis.run((client) => client.zadd(this.keys.peopleByEmail(), 0, personListingMember(candidate)));
      const written = await this.redis.run((client) => client.set(this.keys.person(id), JSON.stringify(candidate), 'NX'));
      if (written === 'OK') {
        // Compare-and-delete: were this new person deleted meanwhile, that deletion's mark stays.
        if (mark !== null) await this.redis.script('gpCompareAndSet', markKey, mark);
        return { person: candidate, created: true };
      }
      const winner = await this.getPerson(id);
      if (winner?.emailNormalized === emailNormalized) return { person: winner, created: false };
    }
    throw new StoreContentionError(`could not create a person for ${emailNormalized}: the address index keeps changing`);
  }

  async getPerson(id: string): Promise<PersonRecord | undefined> {
    const stored = await this.redis.run((client) => client.get(this.keys.person(id)));
    return stored === null ? undefined : parseStoredJson(personSchema, stored, `person ${id}`);
  }

  async findPersonByEmail(emailNormalized: string): Promise<PersonRecord | undefined> {
    const id = await this.redis.run((client) => client.get(this.keys.personEmail(emailNormalized)));
    if (id === null) return undefined;
    const person = await this.getPerson(id);
    // An index left behind by an interrupted creation or deletion names no one, or someone else.
    return person?.emailNormalized === emailNormalized ? person : undefined;
  }

  async findPersonByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined> {
    const identity = { issuer, subject };
    const id = await this.redis.run((client) => client.get(this.keys.personIdentity(identity)));
    if (id === null) return undefined;
    const person = await this.getPerson(id);
    // A claim whose link never completed, or an entry a deletion did not get to, names no holder.
    return person && holdsIdentity(person, identity) ? person : undefined;
  }

  /**
   * One key: a compare-and-set on the version. Nothing indexed can change here (address and
   * identities are fixed), so no index is touched; the version check in the script also proves
   * the identities are still the ones compared below.
   */
  async savePerson(person: PersonRecord, expectedVersion: number): Promise<boolean> {
    const stored = await this.getPerson(person.id);
    if (!stored || stored.version !== expectedVersion) return false;
    assertPersonFixedFieldsKept(stored, person);
    const saved = { ...person, version: expectedVersion + 1 };
    const replaced = await this.redis.script('gpSaveIfVersion', this.keys.person(person.id), expectedVersion, stored.createdAt, JSON.stringify(saved));
    return typeof replaced === 'string';
  }

  /**
   * The identity index is claimed first (SET NX: of N parallel claimers one wins), then the
   * person is saved with the identity by compare-and-set on the version. The person is read
   * before anything is written, so a stale version or a second identity from one issuer claims
   * nothing; a save that loses to a newer version releases the claim this call made.
   */
  async linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome> {
    const person = await this.getPerson(personId);
    if (!person) return { outcome: 'stale' };
    const refusal = linkIdentityRefusal(person, identity, expectedVersion);
    if (refusal) return refusal;
    const indexKey = this.keys.personIdentity(identity);
    const claim = await this.#claimIdentity(indexKey, personId, identity);
    if (claim.outcome === 'taken') return claim;
    const linked = withIdentity(person, identity);
    const replaced = await this.redis.script('gpSaveIfVersion', this.keys.person(personId), expectedVersion, person.createdAt, JSON.stringify(linked));
    if (typeof replaced === 'string') return { outcome: 'linked', person: linked };
    if (claim.outcome === 'claimed') await this.#releaseIdentityClaim(indexKey, personId, identity);
    return { outcome: 'stale' };
  }

  /**
   * `claimed`: this call wrote the entry. `held`: it named this person already (an earlier claim
   * of theirs). An entry naming a person who is gone is left over (a deletion or a failed link
   * stopped half-way) and is taken over. An entry naming another person who exists is `taken`,
   * even while that person does not hold the identity yet: that is another link under way, and
   * taking it over would let both links succeed.
   */
  async #claimIdentity(indexKey: string, personId: string, identity: FederatedIdentity): Promise<{ outcome: 'claimed' | 'held' } | { outcome: 'taken'; personId: string }> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if ((await this.redis.run((client) => client.set(indexKey, personId, 'NX'))) === 'OK') return { outcome: 'claimed' };
      const holderId = await this.redis.run((client) => client.get(indexKey));
      if (holderId === null) continue;
      if (holderId === personId) return { outcome: 'held' };
      if (await this.getPerson(holderId)) return { outcome: 'taken', personId: holderId };
      if ((await this.redis.script('gpCompareAndSet', indexKey, holderId, personId)) === 1) return { outcome: 'claimed' };
    }
    throw new StoreContentionError(`could not claim the identity ${identity.subject} of ${identity.issuer}: its index keeps changing`);
  }

  /**
   * Releases a claim whose save lost, unless the person holds the identity after all: another
   * link of the same person, relying on this claim, may have won. That link can also win between
   * the check and the delete, so the claim is put back if the person holds the identity after.
   */
  async #releaseIdentityClaim(indexKey: string, personId: string, identity: FederatedIdentity): Promise<void> {
    const before = await this.getPerson(personId);
    if (before && holdsIdentity(before, identity)) return;
    if ((await this.redis.script('gpCompareAndSet', indexKey, personId)) !== 1) return;
    const after = await this.getPerson(personId);
    if (after && holdsIdentity(after, identity)) await this.redis.run((client) => client.set(indexKey, personId, 'NX'));
  }

  /**
   * The deletion mark goes first and the person next, so once the person is gone the address is
   * marked, crash or not; the index entries go last (a leftover entry is skipped by every read).
   * A mark written while the person is still there (a crash before the delete) does not count:
   * `isEmailDeleted` asks whether anyone still has the address.
   */
  async deletePerson(id: string): Promise<PersonRecord | undefined> {
    const found = await this.getPerson(id);
    if (!found) return undefined;
    await this.redis.run((client) => client.set(this.keys.personDeleted(found.emailNormalized), id));
    const stored = await this.redis.run((client) => client.getdel(this.keys.person(id)));
    if (stored === null) return undefined;
    const person = parseStoredJson(personSchema, stored, `person ${id}`);
    await Promise.all([
      this.redis.script('gpCompareAndSet', this.keys.personEmail(person.emailNormalized), id),
      ...person.identities.map((identity) => this.redis.script('gpCompareAndSet', this.keys.personIdentity(identity), id)),
      this.redis.run((client) => client.zrem(this.keys.peopleByEmail(), personListingMember(person))),
    ]);
    return person;
  }

  async isEmailDeleted(emailNormalized: string): Promise<boolean> {
    const mark = await this.redis.run((client) => client.get(this.keys.personDeleted(emailNormalized)));
    return mark !== null && (await this.findPersonByEmail(emailNormalized)) === undefined;
  }

  /** Off a Cluster the index and the mark are one MGET; on one they live in other slots and are read in parallel. */
  async lookUpEmail(emailNormalized: string): Promise<{ person: PersonRecord | undefined; deleted: boolean }> {
    const markKey = this.keys.personDeleted(emailNormalized);
    if (this.redis.cluster) {
      const [person, mark] = await Promise.all([this.findPersonByEmail(emailNormalized), this.redis.run((client) => client.get(markKey))]);
      return { person, deleted: !person && mark !== null };
    }
    const [id, mark] = await this.redis.run((client) => client.mget(this.keys.personEmail(emailNormalized), markKey));
    const found = id ? await this.getPerson(id) : undefined;
    // An index left behind by an interrupted creation or deletion names no one, or someone else.
    const person = found?.emailNormalized === emailNormalized ? found : undefined;
    return { person, deleted: !person && mark !== null && mark !== undefined };
  }

  /**
   * Reads the listing index in address order from the cursor (or the prefix) on, `limit + 1`
   * entries at first and twice as many each round after (up to `peopleChunkMax`), until one
   * match more than the page is found; entries whose person is gone are skipped.
   */
  async listPeople(query: PeopleQuery, page: PageRequest): Promise<Page<PersonRecord>> {
    assertPageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : personListingMember(decodePersonCursor(page.cursor));
    const prefix = query.emailPrefix ?? '';
    // `[` is inclusive, `(` exclusive. No byte of UTF-8 is 0xff, so prefix + 0xff is past every address with the prefix.
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`[${prefix}`), Buffer.from([0xff])]);
    let min = prefix === '' ? '-' : `[${prefix}`;
    if (after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0) min = `(${after}`;
    const found: PersonRecord[] = [];
    let count = Math.min(peopleChunkMax, page.limit + 1);
    while (found.length <= page.limit) {
      const members = await this.redis.run((client) => client.zrangebylex(this.keys.peopleByEmail(), min, max, 'LIMIT', 0, count));
      const people = await Promise.all(members.map((member) => this.#personOfListing(member)));
      for (const person of people) {
        if (person && personMatches(person, query)) found.push(person);
        if (found.length > page.limit) break;
      }
      if (members.length < count) break;
      min = `(${members.at(-1)!}`;
      count = Math.min(peopleChunkMax, count * 2);
    }
    return toPeoplePage(found, page.limit);
  }

  /** One GET per entry: people live in many slots, which one MGET may not span on a Cluster. */
  async #personOfListing(member: string): Promise<PersonRecord | undefined> {
    const separator = member.indexOf('\u0000');
    const person = await this.getPerson(member.slice(separator + 1));
    return person?.emailNormalized === member.slice(0, separator) ? person : undefined;
  }
}
