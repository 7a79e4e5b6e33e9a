/**
 * What the console's routes share: their dependencies (the same domain objects the management
 * API calls, in-process), the signed-in console session the steps leave on `ctx.state`, and the
 * few reads of a request every page needs.
 */
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';

import type { AuditStore, OutboxStore } from '../../adapters/store.ts';
import { adminClientId } from '../../src/admin/client.ts';
import type { ConsoleRole, ConsoleRoles } from '../../src/admin/roles.ts';
import type { AuditLog } from '../../src/audit.ts';
import type { Clients } from '../../src/clients.ts';
import type { Clock } from '../../src/clock.ts';
import type { Directory } from '../../src/directory.ts';
import type { Invitations } from '../../src/invitations.ts';
import type { Links, Viewer } from '../../src/links.ts';
import type { Logger } from '../../src/log.ts';
import type { People } from '../../src/people.ts';
import type { StorePolicySource } from '../../src/policy.ts';
import type { ConsoleRelyingParty } from './relying_party.ts';

export interface ConsoleDeps {
  provider: Provider;
  relyingParty: ConsoleRelyingParty;
  roles: ConsoleRoles;
  links: Links;
  people: People;
  directory: Directory;
  invitations: Invitations;
  policy: StorePolicySource;
  audit: AuditLog;
  /** Relying parties, for the read-only clients page (absent: no such page). */
  clients?: Clients;
  store: Pick<AuditStore, 'listAudit' | 'listAuditNewestFirst'> & Pick<OutboxStore, 'outboxBacklog'>;
  clock: Clock;
  logger: Logger;
  issuer: string;
  organizationName: string;
  /** Keys that seal the console's cookies (`keys.secrets`, newest first). */
  secrets: readonly string[];
  sessionMinutes: number;
}

/** A signed-in console user, as every request re-checks them. */
export interface ConsoleUser {
  personId: string;
  email: string;
  role: ConsoleRole;
  csrf: string;
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `loadConsoleSession`. */
    consoleUser?: ConsoleUser;
  }
}

export function consoleUserOf(ctx: Context): ConsoleUser {
  const user = ctx.state.consoleUser;
  if (!user) throw new Error('loadConsoleSession must run before this step');
  return user;
}

/** The console acts on links as an admin client would, with the person named in the audit. */
export function consoleViewer(ctx: Context): Viewer {
  return { clientId: adminClientId, admin: true, actor: actorOf(ctx) };
}

export function actorOf(ctx: Context): { type: 'person'; id: string } {
  return { type: 'person', id: consoleUserOf(ctx).personId };
}
