/**
 * How the API's answers look (SPEC §6): links, people, invitations, pages of either; times as
 * ISO 8601. Tests and the example file host import these types, so a change here is a change
 * they see at compile time.
 */
import type { GuestState, LinkRecipient, LinkRecord, PersonRecord, UserType } from '../../adapters/store.ts';
import type { Links } from '../links.ts';

export interface RecipientView {
  email: string;
  userType: string;
  addedAt: string;
  verifiedAt?: string;
  lastAccessAt?: string;
}

export interface LinkView {
  id: string;
  resource: string;
  clientId: string;
  recipients: RecipientView[];
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  /** Not expired (a deleted link is not found at all): our addition, so clients need not compare clocks. */
  live: boolean;
}

export async function recipientView(recipient: LinkRecipient, links: Links): Promise<RecipientView> {
  return {
    email: recipient.email,
    userType: await links.userTypeOf(recipient.emailNormalized),
    addedAt: iso(recipient.addedAt),
    ...(recipient.verifiedAt === undefined ? {} : { verifiedAt: iso(recipient.verifiedAt) }),
    ...(recipient.lastAccessAt === undefined ? {} : { lastAccessAt: iso(recipient.lastAccessAt) }),
  };
}

export async function linkView(link: LinkRecord, links: Links, only?: (userType: string) => boolean): Promise<LinkView> {
  const recipients = await Promise.all(link.recipients.map((recipient) => recipientView(recipient, links)));
  return {
    id: link.id,
    resource: link.resource,
    clientId: link.clientId,
    recipients: only ? recipients.filter((recipient) => only(recipient.userType)) : recipients,
    createdAt: iso(link.createdAt),
    createdBy: link.createdBy,
    ...(link.expiresAt === undefined ? {} : { expiresAt: iso(link.expiresAt) }),
    live: links.isLiveNow(link),
  };
}

/** A person (SPEC §6); `id` is their `sub`. */
export interface PersonView {
  id: string;
  email: string;
  userType: UserType;
  /** For guests: `PendingAcceptance` until they redeem, then `Accepted`. */
  state?: GuestState;
  displayName?: string;
  disabled: boolean;
  groups: string[];
  identities: { issuer: string; subject: string }[];
  createdAt: string;
  lastVerifiedAt?: string;
}

export function personView(person: PersonRecord): PersonView {
  return {
    id: person.id,
    email: person.email,
    userType: person.userType,
    ...(person.userType === 'guest' && person.state ? { state: person.state } : {}),
    ...(person.displayName ? { displayName: person.displayName } : {}),
    disabled: person.disabled,
    groups: person.groups,
    identities: person.identities,
    createdAt: iso(person.createdAt),
    ...(person.lastVerifiedAt === undefined ? {} : { lastVerifiedAt: iso(person.lastVerifiedAt) }),
  };
}

/** What `POST /invitations` answers. */
export interface InvitationView {
  user: PersonView;
  inviteRedeemUrl: string;
}

/** Every list of the API: a page of items and the cursor of the next one (`null` on the last). */
export interface ListView<T> {
  items: T[];
  nextCursor: string | null;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
