/**
 * People: the directory of everyone who signed in or was invited, by a stable opaque id (the
 * `sub`). Durable: a person stays until `deletePerson`. An address belongs to one person at a
 * time and a federated identity (issuer, subject) to one person at all, whatever the race: of N
 * parallel creations for one address one creates, of N parallel links of one identity one wins.
 * Saves are compare-and-set on `version`. A deleted address stays marked until a person is
 * created for it again, so a deleted person's `sub` never passes to the next person with it.
 */
import type { Page, PageRequest } from './paging.ts';

export const userTypes = ['adhoc', 'guest', 'member'] as const;
export type UserType = (typeof userTypes)[number];
export const guestStates = ['PendingAcceptance', 'Accepted'] as const;
export type GuestState = (typeof guestStates)[number];

export interface FederatedIdentity {
  issuer: string;
  subject: string;
}

export interface PersonRecord {
  /** Grows with every save; saves name the version they read (compare-and-set). */
  version: number;
  /** The stable, opaque `sub`. */
  id: string;
  /** The address as first written, for display. */
  email: string;
  /** Trimmed and lower-cased; unique across people. */
  emailNormalized: string;
  userType: UserType;
  state?: GuestState | undefined;
  displayName?: string | undefined;
  disabled: boolean;
  groups: string[];
  /** Federated identities, each unique across people by (issuer, subject). */
  identities: FederatedIdentity[];
  createdAt: number;
  lastVerifiedAt?: number | undefined;
  /** When an invitation created or re-invited this person (guests). */
  invitedAt?: number | undefined;
}

export interface PeopleQuery {
  userType?: UserType | undefined;
  /** Normalised addresses starting with this (a search box: "ada", "ada@exa", "@contoso.com" does not work, a prefix does). */
  emailPrefix?: string | undefined;
}

export type LinkIdentityOutcome =
  /** The identity now belongs to the person (or already did); `person` is as stored now. */
  | { outcome: 'linked'; person: PersonRecord }
  /** Another person holds that (issuer, subject). */
  | { outcome: 'taken'; personId: string }
  /** The person already has an identity from this issuer with another subject. */
  | { outcome: 'issuer_already_linked' }
  /** The person was changed meanwhile (version), or is gone; read again and decide again. Nothing was claimed. */
  | { outcome: 'stale' };

export interface PeopleStore {
  /**
   * Creates the person (version 1) unless one already has the address; of N parallel calls one
   * creates, all get the same person. Creating clears a deletion mark on the address. On a single
   * server or Sentinel, creating for an address no one has is one step (one script).
   */
  createPersonIfAbsent(person: PersonRecord): Promise<{ person: PersonRecord; created: boolean }>;
  getPerson(id: string): Promise<PersonRecord | undefined>;
  findPersonByEmail(emailNormalized: string): Promise<PersonRecord | undefined>;
  /** The person a federated identity belongs to: by (issuer, subject) only, never by email. */
  findPersonByIdentity(issuer: string, subject: string): Promise<PersonRecord | undefined>;
  /**
   * Replaces the person if the stored version is `expectedVersion` (the store writes
   * `expectedVersion + 1`). False when the version changed or the person is gone. `id`,
   * `emailNormalized`, `createdAt` and `identities` cannot change this way (a TypeError).
   */
  savePerson(person: PersonRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Adds a federated identity to a person: claims (issuer, subject) across all people first
   * (one of N parallel claimers for the same identity wins), then saves the person with it if
   * the stored version is `expectedVersion`; a failed save releases the claim. A person holds at
   * most one identity per issuer. Linking an identity the person already has is `linked`.
   */
  linkIdentity(personId: string, identity: FederatedIdentity, expectedVersion: number): Promise<LinkIdentityOutcome>;
  /** Deletes the person, their address and identity indexes, and marks the address deleted; returns who was deleted. */
  deletePerson(id: string): Promise<PersonRecord | undefined>;
  /** Whether the address belonged to a deleted person who has not been re-created (re-invited) since. */
  isEmailDeleted(emailNormalized: string): Promise<boolean>;
  /**
   * `findPersonByEmail` and `isEmailDeleted` together, as a sign-in asks them for every address:
   * on a single server or Sentinel one round trip for an address no one has (two for one someone has).
   */
  lookUpEmail(emailNormalized: string): Promise<{ person: PersonRecord | undefined; deleted: boolean }>;
  /** Sorted by normalised address. `cursor` is the previous page's `nextCursor`; a bad one is an `InvalidCursorError`. */
  listPeople(query: PeopleQuery, page: PageRequest): Promise<Page<PersonRecord>>;
}
