/**
 * Ending sessions and grants, on every instance at once (they live in the shared store), and
 * telling each relying party that registered a `backchannel_logout_uri` (OIDC Back-Channel
 * Logout):
 *
 * - `endAll`: every session, grant and token of a person — when they are disabled or deleted,
 *   and `POST /api/v1/users/:id/revoke-sessions`.
 * - `endGrants`: some grants of people who keep their sessions — when access to a link ends
 *   (src/link_access.ts). A session that had adopted one of them forgets it, and keeps the rest.
 *
 * A logout token names the person (`sub`) and, when the client asks for it, the `sid` of the
 * sign-in that made the grant (src/grants.ts gives each grant its own), so a relying party ends
 * exactly the session that sign-in started.
 */
import type Provider from 'oidc-provider';

import type { OidcModelStore, RecordStore } from '../adapters/store.ts';
import { readGrantContext, type GrantContext } from './grants.ts';
import type { Logger } from './log.ts';

interface StoredSession {
  accountId?: string;
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
  /** Epoch seconds (oidc-provider's own clock, which the store's expiry follows). */
  exp?: number;
}

export interface EndedGrants {
  grants: number;
  /** Back-channel logout notices delivered (and failed, logged). */
  backchannelSent: number;
  backchannelFailed: number;
}

export interface EndedSessions extends EndedGrants {
  sessions: number;
}

/** A grant to end, with what its sign-in was for (absent when the context is gone). */
export interface GrantToEnd {
  grantId: string;
  context?: GrantContext | undefined;
}

interface LogoutNotice {
  personId: string;
  clientId: string;
  sid: string | undefined;
}

export class Sessions {
  readonly #store: OidcModelStore & Pick<RecordStore, 'getRecord'>;
  readonly #logger: Logger;
  #provider: Provider | undefined;

  constructor(store: OidcModelStore & Pick<RecordStore, 'getRecord'>, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** The provider whose clients get back-channel logout notices. */
  attach(provider: Provider): void {
    this.#provider = provider;
  }

  async endAll(personId: string): Promise<EndedSessions> {
    const { sessions, grants } = await this.#store.findModelsByAccount(personId);
    const notices: LogoutNotice[] = [];
    for (const sessionId of sessions) {
      const session = (await this.#store.findModel('Session', sessionId)) as StoredSession | undefined;
      for (const [clientId, authorization] of Object.entries(session?.authorizations ?? {})) notices.push({ personId, clientId, sid: authorization.sid });
    }
    // Earlier sign-ins for other links have sids of their own that no session names any more.
    for (const grantId of grants) notices.push(...noticeFor(await readGrantContext(this.#store, grantId)));
    // Grants first: revoking one takes its access and refresh tokens and codes with it.
    for (const grantId of grants) await this.#store.revokeByGrantId(grantId);
    for (const sessionId of sessions) await this.#store.destroyModel('Session', sessionId);
    return { sessions: sessions.length, grants: grants.length, ...(await this.#notifyAll(notices)) };
  }

  async endGrants(grants: readonly GrantToEnd[]): Promise<EndedGrants> {
    if (grants.length === 0) return { grants: 0, backchannelSent: 0, backchannelFailed: 0 };
    await Promise.all(grants.map(({ grantId }) => this.#store.revokeByGrantId(grantId)));
    const ended = new Set(grants.map(({ grantId }) => grantId));
    const people = new Set(grants.flatMap(({ context }) => (context ? [context.personId] : [])));
    for (const personId of people) await this.#forgetInSessions(personId, ended);
    return { grants: grants.length, ...(await this.#notifyAll(grants.flatMap(({ context }) => noticeFor(context)))) };
  }

  /**
   * Takes ended grants out of the person's sessions (found through the account index), so a
   * session no longer names a grant that is gone. Read-modify-write: a request of that browser
   * saving its session at the same moment may put the entry back, which is harmless — it names
   * a grant that no longer exists, which oidc-provider then treats as no grant.
   */
  async #forgetInSessions(personId: string, ended: ReadonlySet<string>): Promise<void> {
    const { sessions } = await this.#store.findModelsByAccount(personId);
    for (const sessionId of sessions) {
      const session = (await this.#store.findModel('Session', sessionId)) as StoredSession | undefined;
      const authorizations = Object.entries(session?.authorizations ?? {});
      if (!session || !authorizations.some(([, authorization]) => authorization.grantId && ended.has(authorization.grantId))) continue;
      // The session keeps the expiry oidc-provider gave it, counted on its clock.
      const remainingSeconds = (session.exp ?? 0) - Math.floor(Date.now() / 1000);
      if (remainingSeconds <= 0) continue;
      const kept = Object.fromEntries(authorizations.filter(([, authorization]) => !(authorization.grantId && ended.has(authorization.grantId))));
      await this.#store.upsertModel('Session', sessionId, { ...session, authorizations: kept }, remainingSeconds);
    }
  }

  async #notifyAll(notices: readonly LogoutNotice[]): Promise<Omit<EndedGrants, 'grants'>> {
    const distinct = [...new Map(notices.map((notice) => [`${notice.clientId}\u0000${notice.sid ?? ''}`, notice])).values()];
    const delivered = await Promise.all(distinct.map((notice) => this.#notify(notice)));
    return {
      backchannelSent: delivered.filter((outcome) => outcome === 'sent').length,
      backchannelFailed: delivered.filter((outcome) => outcome === 'failed').length,
    };
  }

  async #notify({ personId, clientId, sid }: LogoutNotice): Promise<'sent' | 'failed' | 'none'> {
    // oidc-provider's Client can send the notice; its typings leave the method out.
    const client = (await this.#provider?.Client.find(clientId)) as { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> } | undefined;
    if (!client?.backchannelLogoutUri) return 'none';
    try {
      await client.backchannelLogout(personId, sid ?? '');
      return 'sent';
    } catch (error) {
      this.#logger.warn({ clientId, error: error instanceof Error ? error.message : String(error) }, 'back-channel logout failed');
      return 'failed';
    }
  }
}

/** The logout notice a grant's sign-in calls for; none for a context stored before sids were. */
function noticeFor(context: GrantContext | undefined): LogoutNotice[] {
  return context?.clientId && context.sid ? [{ personId: context.personId, clientId: context.clientId, sid: context.sid }] : [];
}
