/** Rules both stores keep for people, so they cannot drift apart. */
import { InvalidCursorError } from '../errors.ts';
import type { Page } from '../store/paging.ts';
import type { FederatedIdentity, LinkIdentityOutcome, PeopleQuery, PersonRecord } from '../store/people.ts';
import { toPage } from './paging.ts';

/** A save replaces what may change; a person's id, address and creation time never do, and identities change only by linking. */
export function assertPersonFixedFieldsKept(stored: PersonRecord, person: PersonRecord): void {
  const identitiesOf = (of: PersonRecord) => JSON.stringify(of.identities.map((identity) => [identity.issuer, identity.subject]));
  if (
    stored.id !== person.id ||
    stored.emailNormalized !== person.emailNormalized ||
    stored.createdAt !== person.createdAt ||
    identitiesOf(stored) !== identitiesOf(person)
  ) {
    throw new TypeError(`savePerson cannot change the id, emailNormalized, createdAt or identities of person ${stored.id} (identities change only through linkIdentity)`);
  }
}

export function holdsIdentity(person: PersonRecord, identity: FederatedIdentity): boolean {
  return person.identities.some((held) => held.issuer === identity.issuer && held.subject === identity.subject);
}

/** JSON keeps (issuer, subject) apart whatever either holds: `["https://login.example.com","sub-1"]`. */
export function identityKey(identity: FederatedIdentity): string {
  return JSON.stringify([identity.issuer, identity.subject]);
}

/**
 * What `linkIdentity` answers for the person it found before it claims anything, in the one
 * order both stores check (so they answer alike when several apply); undefined when the
 * identity may be claimed.
 */
export function linkIdentityRefusal(person: PersonRecord, identity: FederatedIdentity, expectedVersion: number): LinkIdentityOutcome | undefined {
  if (holdsIdentity(person, identity)) return { outcome: 'linked', person };
  if (person.version !== expectedVersion) return { outcome: 'stale' };
  if (person.identities.some((held) => held.issuer === identity.issuer)) return { outcome: 'issuer_already_linked' };
  return undefined;
}

/** The person with the identity added, as the next version. */
export function withIdentity(person: PersonRecord, identity: FederatedIdentity): PersonRecord {
  return { ...person, identities: [...person.identities, { issuer: identity.issuer, subject: identity.subject }], version: person.version + 1 };
}

/** Where a person sits in the directory list: by normalised address (unique), the id only makes the entry its own. */
export interface PersonPosition {
  emailNormalized: string;
  id: string;
}

/**
 * The list's sort key, `<emailNormalized> NUL <id>`, compared as UTF-8 bytes: the order of the
 * Redis listing index (ZRANGEBYLEX), so both stores list alike whatever characters an address holds.
 */
export function personListingMember(position: PersonPosition): string {
  return `${position.emailNormalized}\u0000${position.id}`;
}

export function compareByAddress(a: PersonPosition, b: PersonPosition): number {
  return Buffer.compare(Buffer.from(personListingMember(a)), Buffer.from(personListingMember(b)));
}

export function personMatches(person: PersonRecord, query: PeopleQuery): boolean {
  if (query.userType !== undefined && person.userType !== query.userType) return false;
  if (query.emailPrefix !== undefined && !person.emailNormalized.startsWith(query.emailPrefix)) return false;
  return true;
}

/** Takes up to `limit + 1` matches in address order: the one beyond the page only says that another page exists. */
export function toPeoplePage(found: PersonRecord[], limit: number): Page<PersonRecord> {
  return toPage(found, limit, encodePersonCursor);
}

/** A page of people all at hand (the memory store's): filter, sort, cut after the cursor. */
export function pageOfPeople(people: Iterable<PersonRecord>, query: PeopleQuery, after: PersonPosition | undefined, limit: number): Page<PersonRecord> {
  const found = [...people]
    .filter((person) => personMatches(person, query) && (after === undefined || compareByAddress(after, person) < 0))
    .toSorted(compareByAddress)
    .slice(0, limit + 1);
  return toPeoplePage(found, limit);
}

export function encodePersonCursor(position: PersonPosition): string {
  return Buffer.from(personListingMember(position)).toString('base64url');
}

/** Accepts only what `encodePersonCursor` writes: the decoded position must encode back to the very same cursor. */
export function decodePersonCursor(cursor: string): PersonPosition {
  const text = Buffer.from(cursor, 'base64url').toString();
  const separator = text.indexOf('\u0000');
  const position = { emailNormalized: text.slice(0, separator), id: text.slice(separator + 1) };
  if (separator < 1 || position.id === '' || position.id.includes('\u0000')) throw new InvalidCursorError();
  if (encodePersonCursor(position) !== cursor) throw new InvalidCursorError();
  return position;
}
