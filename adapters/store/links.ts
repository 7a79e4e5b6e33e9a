/**
 * Secure links: what is shared, by which client, with which addresses. Durable (no TTL): an
 * expired link stays readable, and can be extended, until it is deleted. Saves are
 * compare-and-set on `version`, so two parallel changes to the recipients never lose one. Lists
 * are scopes — a client sees its own links, a person theirs — so a filter given is never ignored.
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
}
