/**
 * Secure links: what is shared, by which client, with which addresses. Durable (no TTL): an
 * expired link stays readable, and can be extended, until it is deleted. Saves are
 * compare-and-set on `version`, so two parallel changes to the recipients never lose one. Lists
 * are scopes — a client sees its own links, a person theirs — so a filter given is never ignored.
 *
 * Ending access to a link ends what was issued for it (SPEC §6), so a link also keeps two
 * indexes of its own: the grants issued for it (each until the grant expires), and when it must
 * next be checked (its expiry, or at once after someone lost access) — a queue every instance
 * takes from with a lease, so an expiry is noticed without a request and a revocation cut short
 * by a crash is finished by the next sweep.
 */
import type { Page, PageRequest } from './paging.ts';

export interface LinkRecipient {
  /** As first written, for display. */
  email: string;
  /** Trimmed and lower-cased; unique within a link. */
  emailNormalized: string;
  addedAt: number;
  /** First successful verification for this link. */
  verifiedAt?: number | undefined;
  /** Last sign-in for this link (by code or with a live session). */
  lastAccessAt?: number | undefined;
}

export interface LinkRecord {
  /** Grows with every save; saves name the version they read (compare-and-set). */
  version: number;
  /** The UniqueSharingId: opaque, at least 128 random bits. */
  id: string;
  /** What is shared, as the resource server names it. */
  resource: string;
  /** The client that created, and owns, the link. */
  clientId: string;
  recipients: LinkRecipient[];
  createdAt: number;
  createdBy: string;
  expiresAt?: number | undefined;
}

export interface LinkQuery {
  clientId?: string | undefined;
  /** Exact match on `resource`. */
  resource?: string | undefined;
  /** Normalised address: links that have it as a current recipient. */
  recipient?: string | undefined;
}

/** A check of a link taken from the queue (epoch ms, the caller's clock). */
export interface DueLinkCheck {
  id: string;
  /** When it was due. */
  dueAt: number;
  /** The end of the lease: what `finishLinkCheck` names as `taken`. */
  leasedUntil: number;
}

export interface LinkStore {
  /** Stores a new link as version 1 (whatever `link.version` says) and its indexes; false when the id is taken. */
  createLink(link: LinkRecord): Promise<boolean>;
  getLink(id: string): Promise<LinkRecord | undefined>;
  /**
   * Replaces the link if the stored version is `expectedVersion`, keeping the recipient index
   * right (addresses added and removed). False when the version changed (or the link is gone).
   * The store writes version `expectedVersion + 1` (whatever `link.version` says). `id`,
   * `clientId` and `createdAt` never change: a save that changes them throws a TypeError (a bug
   * in the caller, which retrying cannot fix).
   */
  saveLink(link: LinkRecord, expectedVersion: number): Promise<boolean>;
  /** Deletes the link and its index entries; returns what was deleted. */
  deleteLink(id: string): Promise<LinkRecord | undefined>;
  /**
   * Newest first (`createdAt`, then `id`, descending). `cursor` is the previous page's
   * `nextCursor`; a bad cursor is an `InvalidCursorError`, a `limit` below 1 a RangeError. A filter
   * is never ignored: an empty string is compared like any other value.
   */
  listLinks(query: LinkQuery, page: PageRequest): Promise<Page<LinkRecord>>;

  /**
   * Remembers that a grant was issued for the link, until `ttlSeconds` from now (as long as the
   * grant and its context live). Expired entries are never listed, and go by themselves.
   */
  indexLinkGrant(sharingId: string, grantId: string, ttlSeconds: number): Promise<void>;
  /** Ids of the grants issued for the link whose entry has not expired, in no particular order. */
  linkGrants(sharingId: string): Promise<string[]>;
  /** Forgets grants of the link (once they are revoked). */
  unindexLinkGrants(sharingId: string, grantIds: readonly string[]): Promise<void>;
  /**
   * The link must be checked no later than `at` (epoch ms, the caller's clock): an earlier check
   * already scheduled (or a lease ending earlier) is kept, a later one is brought forward.
   */
  scheduleLinkCheck(id: string, at: number): Promise<void>;
  /**
   * Takes up to `limit` checks due at `now`, each leased until `now + leaseMs` so that no other
   * instance takes it meanwhile; of N parallel callers, each check goes to one. Returns when each
   * was due, so the taker can tell an expiry from an earlier check.
   */
  claimDueLinkChecks(now: number, leaseMs: number, limit: number): Promise<DueLinkCheck[]>;
  /**
   * Ends a taken check if nobody scheduled one meanwhile (its time is still `taken`, the lease
   * end or the time the caller scheduled): schedules the next at `next`, or none. False, and
   * nothing changed, when the check was scheduled again meanwhile.
   */
  finishLinkCheck(id: string, taken: number, next: number | undefined): Promise<boolean>;
}
