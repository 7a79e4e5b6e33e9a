/** How links and audit events look in the API (SPEC §6): times as ISO 8601. */
import type { AuditEvent, LinkRecord } from '../../adapters/store.ts';
import type { Links } from '../links.ts';

export interface LinkView {
  id: string;
  resource: string;
  clientId: string;
  recipients: { email: string; userType: string; addedAt: string; verifiedAt?: string; lastAccessAt?: string }[];
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
}

export async function linkView(link: LinkRecord, links: Links, only?: (userType: string) => boolean): Promise<LinkView> {
  const recipients = await Promise.all(
    link.recipients.map(async (recipient) => ({
      email: recipient.email,
      userType: await links.userTypeOf(recipient.emailNormalized),
      addedAt: iso(recipient.addedAt),
      ...(recipient.verifiedAt === undefined ? {} : { verifiedAt: iso(recipient.verifiedAt) }),
      ...(recipient.lastAccessAt === undefined ? {} : { lastAccessAt: iso(recipient.lastAccessAt) }),
    })),
  );
  return {
    id: link.id,
    resource: link.resource,
    clientId: link.clientId,
    recipients: only ? recipients.filter((recipient) => only(recipient.userType)) : recipients,
    createdAt: iso(link.createdAt),
    createdBy: link.createdBy,
    ...(link.expiresAt === undefined ? {} : { expiresAt: iso(link.expiresAt) }),
  };
}

export function auditView(event: AuditEvent): AuditEvent {
  return event;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
