/** How links and audit events look in the API (SPEC §6): times as ISO 8601. */
import type { AuditEvent, LinkRecipient, LinkRecord } from '../../adapters/store.ts';
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

export function auditView(event: AuditEvent): AuditEvent {
  return event;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
