/**
 * Ending a person's sessions: every oidc-provider session, grant and token of theirs goes, on
 * every instance at once (they live in the shared store), and each relying party that signed
 * them in during those sessions and registered a `backchannel_logout_uri` is told (OIDC
 * Back-Channel Logout). Used when a person is disabled or deleted, and by
 * `POST /api/v1/users/:id/revoke-sessions`.
 */
import type Provider from 'oidc-provider';

import type { OidcModelStore } from '../adapters/store.ts';
import type { Logger } from './log.ts';

interface StoredSession {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
}

export interface EndedSessions {
  sessions: number;
  grants: number;
  /** Back-channel logout notices delivered (and failed, logged). */
  backchannelSent: number;
  backchannelFailed: number;
}

export class Sessions {
  readonly #store: OidcModelStore;
  readonly #logger: Logger;
  #provider: Provider | undefined;

  constructor(store: OidcModelStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** The provider whose clients get back-channel logout notices. */
  attach(provider: Provider): void {
    this.#provider = provider;
  }

  async endAll(personId: string): Promise<EndedSessions> {
    const { sessions, grants } = await this.#store.findModelsByAccount(personId);
    const notices: { clientId: string; sid: string | undefined }[] = [];
    for (const sessionId of sessions) {
      const session = (await this.#store.findModel('Session', sessionId)) as StoredSession | undefined;
      for (const [clientId, authorization] of Object.entries(session?.authorizations ?? {})) notices.push({ clientId, sid: authorization.sid });
    }
    // Grants first: revoking one takes its access and refresh tokens and codes with it.
    for (const grantId of grants) await this.#store.revokeByGrantId(grantId);
    for (const sessionId of sessions) await this.#store.destroyModel('Session', sessionId);
    const delivered = await Promise.all(notices.map((notice) => this.#notify(personId, notice)));
    return {
      sessions: sessions.length,
      grants: grants.length,
      backchannelSent: delivered.filter((outcome) => outcome === 'sent').length,
      backchannelFailed: delivered.filter((outcome) => outcome === 'failed').length,
    };
  }

  async #notify(personId: string, { clientId, sid }: { clientId: string; sid: string | undefined }): Promise<'sent' | 'failed' | 'none'> {
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
