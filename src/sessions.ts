/**
 * Ending a person's sessions: every oidc-provider session, grant and token of theirs goes, on
 * every instance at once (they live in the shared store). Used when a person is disabled or
 * deleted, and by `POST /api/v1/users/:id/revoke-sessions`.
 */
import type { Store } from '../adapters/store.ts';

export class Sessions {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async endAll(personId: string): Promise<{ sessions: number; grants: number }> {
    const { sessions, grants } = await this.#store.findModelsByAccount(personId);
    // Grants first: revoking one takes its access and refresh tokens and codes with it.
    for (const grantId of grants) await this.#store.revokeByGrantId(grantId);
    for (const sessionId of sessions) await this.#store.destroyModel('Session', sessionId);
    return { sessions: sessions.length, grants: grants.length };
  }
}
