/** Rules both stores keep for secure links, so they cannot drift apart. */
import { InvalidCursorError } from '../errors.ts';
import type { LinkQuery, LinkRecord } from '../store/links.ts';
import type { Page } from '../store/paging.ts';
import { toPage } from './paging.ts';

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

/** Takes up to `limit + 1` matches, newest first: the one beyond the page only says that another page exists. */
export function toLinkPage(found: { link: LinkRecord; position: LinkPosition }[], limit: number): Page<LinkRecord> {
  const page = toPage(found, limit, (last) => encodeLinkCursor(last.position));
  return { items: page.items.map((entry) => entry.link), nextCursor: page.nextCursor };
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
  if (colon < 1 || !Number.isFinite(createdAt) || id === '') throw new InvalidCursorError();
  const position = { createdAt, id };
  if (encodeLinkCursor(position) !== cursor) throw new InvalidCursorError();
  return position;
}
