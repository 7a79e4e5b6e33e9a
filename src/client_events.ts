/**
 * The audit trail of RFC 7591/7592: oidc-provider registers, changes and deletes clients itself
 * and says so in events, after the fact; each becomes an audit event (the client's id and name,
 * never its secret or registration access token). An audit write that fails is logged: the
 * registration already happened and cannot be undone from here.
 */
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { AuditLog, AuditOperation } from './audit.ts';
import type { Logger } from './log.ts';

const events: [string, AuditOperation][] = [
  ['registration_create.success', 'ClientRegistered'],
  ['registration_update.success', 'ClientUpdated'],
  ['registration_delete.success', 'ClientDeleted'],
];

export function auditRegistrations(provider: Provider, audit: AuditLog, logger: Logger): void {
  for (const [event, operation] of events) {
    provider.on(event as 'registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string; clientName?: string }) => {
      const detail = { clientId: client.clientId, via: 'registration', ...(client.clientName ? { clientName: client.clientName } : {}) };
      audit
        .record(operation, { actor: { type: 'client', id: client.clientId }, detail, ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined })
        .catch((error: unknown) => logger.error({ err: error, audit: operation, clientId: client.clientId }, 'could not record a client registration event'));
    });
  }
}
