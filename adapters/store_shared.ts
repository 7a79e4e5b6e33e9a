/** Rules both stores share, so they cannot drift apart. */
import { InvalidCursorError } from './errors.ts';
import type { AuditEvent, AuditQuery, FederatedIdentity, LinkQuery, LinkRecord, Page, PeopleQuery, PersonRecord } from './store.ts';

/** oidc-provider models that belong to a grant and go when it is revoked. */
export const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/** How long a mail's status (not its body) is kept after it was sent or given up. */
export const finishedMailTtlSeconds = 24 * 60 * 60;

export function auditMatches(event: AuditEvent, query: AuditQuery): boolean {
  if (query.operation && event.operation !== query.operation) return false;
  // A scope rather than a convenience filter (a client reading its own events): an empty id
  // matches nothing instead of everything.
  if (query.clientId !== undefined && event.detail.clientId !== query.clientId) return false;
  if (query.sharingId && event.sharingId !== query.sharingId) return false;
  if (query.email && event.detail.email !== query.email) return false;
  const time = Date.parse(event.time);
  if (query.since !== undefined && time < query.since) return false;
  if (query.until !== undefined && time > query.until) return false;
  return true;
}

/** Audit ids are `<ms>-<sequence>`, as Redis stream ids are. */
export function compareAuditIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

const badCursor = () => new InvalidCursorError();

const auditIdPattern = /^\d{1,16}-\d{1,16}$/;

export function encodeAuditCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeAuditCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!auditIdPattern.test(id)) throw badCursor();
  return id;
}

// ---------------------------------------------------------------------------------------------
// Secure links.

/** Where a link sits in a list: newest first, and among links of the same ms the larger id first. */
export interface LinkPosition {
  createdAt: number;
  id: string;
}

/**
 * Ids are compared as UTF-8 bytes, the order Redis keeps members of equal score in, so both
 * stores list ties alike whatever characters an id holds.
 */
export function compareNewestFirst(a: LinkPosition, b: LinkPosition): number {
  return b.createdAt - a.createdAt || Buffer.compare(Buffer.from(b.id), Buffer.from(a.id));
}

/**
 * Filters are scopes (a client sees only its own links, a person only theirs), so one given is
 * never ignored: an empty string is compared like any other value, and so matches nothing.
 */
export function linkMatches(link: LinkRecord, query: LinkQuery): boolean {
  if (query.clientId !== undefined && link.clientId !== query.clientId) return false;
  if (query.resource !== undefined && link.resource !== query.resource) return false;
  if (query.recipient !== undefined && !link.recipients.some((recipient) => recipient.emailNormalized === query.recipient)) return false;
  return true;
}

/** A save replaces what may change; a link's id, owner and creation time never do. */
export function assertLinkIdentityKept(stored: LinkRecord, link: LinkRecord): void {
  if (stored.id !== link.id || stored.clientId !== link.clientId || stored.createdAt !== link.createdAt) {
    throw new TypeError(`saveLink cannot change the id, clientId or createdAt of link ${stored.id}`);
  }
}

export function recipientAddresses(link: LinkRecord): Set<string> {
  return new Set(link.recipients.map((recipient) => recipient.emailNormalized));
}

export function assertPageLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a page limit must be a positive integer, not ${limit}`);
}

/** Takes up to `limit + 1` matches, newest first: the one beyond the page only says that another page exists. */
export function toLinkPage(found: { link: LinkRecord; position: LinkPosition }[], limit: number): Page<LinkRecord> {
  const more = found.length > limit;
  const page = found.slice(0, limit);
  return { items: page.map((entry) => entry.link), nextCursor: more ? encodeLinkCursor(page.at(-1)!.position) : null };
}

/** A page of links all at hand (the memory store's, one person's): filter, sort, cut after the cursor. */
export function pageOfLinks(links: Iterable<LinkRecord>, query: LinkQuery, after: LinkPosition | undefined, limit: number): Page<LinkRecord> {
  const found = [...links]
    .filter((link) => linkMatches(link, query) && (after === undefined || compareNewestFirst(after, link) < 0))
    .toSorted(compareNewestFirst)
    .slice(0, limit + 1);
  return toLinkPage(
    found.map((link) => ({ link, position: link })),
    limit,
  );
}

export function encodeLinkCursor(position: LinkPosition): string {
  return Buffer.from(`${position.createdAt}:${position.id}`).toString('base64url');
}

/** Accepts only what `encodeLinkCursor` writes: the decoded position must encode back to the very same cursor. */
export function decodeLinkCursor(cursor: string): LinkPosition {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const createdAt = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon < 1 || !Number.isFinite(createdAt) || id === '') throw badCursor();
  const position = { createdAt, id };
  if (encodeLinkCursor(position) !== cursor) throw badCursor();
  return position;
}

// ---------------------------------------------------------------------------------------------
// People.

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
  const more = found.length > limit;
  const page = found.slice(0, limit);
  return { items: page, nextCursor: more ? encodePersonCursor(page.at(-1)!) : null };
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
  if (separator < 1 || position.id === '' || position.id.includes('\u0000')) throw badCursor();
  if (encodePersonCursor(position) !== cursor) throw badCursor();
  return position;
}
