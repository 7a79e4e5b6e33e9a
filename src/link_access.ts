/**
 * Ending access to a link ends what guestpass issued for it (SPEC §6): when a recipient is
 * removed, the link deleted, or it expires, the grants made for that link — to that person, at
 * the link's client — are revoked with their access and refresh tokens, sessions that had
 * adopted them forget them, and the client gets a back-channel logout token naming the sign-in
 * (src/sessions.ts). Sign-ins for other links, or at other clients, are another grant each, and
 * stay.
 *
 * Data model: the link's index of grant ids (written when each grant is made, src/grants.ts;
 * each entry lives as long as its grant), read with each grant's context, which says whose grant
 * it is (`email`), at which client and with which `sid`. Nothing is scanned.
 *
 * Threats: a crash, or a store that fails, between the change and the revocation must not leave
 * someone with access. So a check of the link is scheduled *before* the change, and closed only
 * after the revocation; a check left open is due, and the next sweep of any instance
 * (src/link_checks.ts) ends what is left. Revoking is idempotent: a grant revoked twice is gone
 * once, and its index entry goes after it is revoked, never before.
 */
import type { LinkRecord, LinkStore, OidcModelStore, RecordStore } from '../adapters/store.ts';
import type { Clock } from './clock.ts';
import { readGrantContext } from './grants.ts';
import type { Logger } from './log.ts';
import type { EndedGrants, Sessions } from './sessions.ts';

/** What ending access revoked: grants, and the back-channel logout notices sent and failed. */
export type RevokedAccess = EndedGrants;

/** What ending access revoked, per address whose grants went (`''`: grants whose context is gone). */
export type RevokedByAddress = Map<string, RevokedAccess>;

export type LinkAccessStore = Pick<LinkStore, 'linkGrants' | 'unindexLinkGrants' | 'scheduleLinkCheck' | 'finishLinkCheck'> &
  Pick<RecordStore, 'getRecord'> &
  Pick<OidcModelStore, 'findModel'>;

/** People whose grants are ended at once: each may wait up to oidc-provider's 2.5 s for a relying party to answer. */
const addressesAtOnce = 16;

export const nothingRevoked: RevokedAccess = Object.freeze({ grants: 0, backchannelSent: 0, backchannelFailed: 0 });

export class LinkAccess {
  readonly #store: LinkAccessStore;
  readonly #sessions: Pick<Sessions, 'endGrants'>;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(deps: { store: LinkAccessStore; sessions: Pick<Sessions, 'endGrants'>; clock: Clock; logger: Logger }) {
    this.#store = deps.store;
    this.#sessions = deps.sessions;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  /**
   * Call before a change that may end someone's access to the link: until `afterChange` closes
   * it, the link has a check due. Returns the time to hand to `afterChange`.
   */
  async beforeChange(sharingId: string): Promise<number> {
    const scheduledAt = this.#clock.now();
    await this.#store.scheduleLinkCheck(sharingId, scheduledAt);
    return scheduledAt;
  }

  /**
   * Ends the grants of the link whose address `ended` picks, then closes the check
   * `beforeChange` opened (scheduling the link's expiry as the next one while it is live).
   * Undefined when the revocation failed: the check stays due and the next sweep finishes it.
   */
  async afterChange(sharingId: string, scheduledAt: number, link: LinkRecord | undefined, ended: (email: string) => boolean): Promise<RevokedByAddress | undefined> {
    let revoked: RevokedByAddress;
    try {
      revoked = await this.end(sharingId, ended);
    } catch (error) {
      this.#logger.warn({ err: error, sharingId }, 'ending access to a link failed; the next link check finishes it');
      return undefined;
    }
    const live = link !== undefined && (link.expiresAt === undefined || link.expiresAt > this.#clock.now());
    // Not closed when someone scheduled a check meanwhile (or an expiry that passed is still due).
    await this.#store.finishLinkCheck(sharingId, scheduledAt, live ? link.expiresAt : undefined);
    return revoked;
  }

  /**
   * Ends the grants issued for the link whose person's address `ended` picks; grants without a
   * context always go. A grant that is already gone (expired, or revoked another way: the
   * person's sessions ended, a refresh token replayed) only leaves the index: it is not counted,
   * and its client is not told again.
   */
  async end(sharingId: string, ended: (email: string) => boolean): Promise<RevokedByAddress> {
    const grantIds = await this.#store.linkGrants(sharingId);
    const grants = await Promise.all(
      grantIds.map(async (grantId) => {
        const [context, grant] = await Promise.all([readGrantContext(this.#store, grantId), this.#store.findModel('Grant', grantId)]);
        return { grantId, context, live: grant !== undefined };
      }),
    );
    const byAddress = new Map<string, typeof grants>();
    for (const grant of grants) {
      const email = grant.context?.email ?? '';
      if (email !== '' && !ended(email)) continue;
      byAddress.set(email, [...(byAddress.get(email) ?? []), grant]);
    }
    const revoked: RevokedByAddress = new Map();
    const addresses = [...byAddress];
    for (let start = 0; start < addresses.length; start += addressesAtOnce) {
      await Promise.all(
        addresses.slice(start, start + addressesAtOnce).map(async ([email, ofAddress]) => {
          revoked.set(email, await this.#sessions.endGrants(ofAddress.filter(({ live }) => live)));
          await this.#store.unindexLinkGrants(sharingId, ofAddress.map(({ grantId }) => grantId));
        }),
      );
    }
    return revoked;
  }
}

/** What an address had revoked (nothing when absent). */
export function revokedFor(revoked: RevokedByAddress, email: string): RevokedAccess {
  return revoked.get(email) ?? nothingRevoked;
}

export function totalRevoked(revoked: RevokedByAddress): RevokedAccess {
  let total = nothingRevoked;
  for (const part of revoked.values()) {
    total = { grants: total.grants + part.grants, backchannelSent: total.backchannelSent + part.backchannelSent, backchannelFailed: total.backchannelFailed + part.backchannelFailed };
  }
  return total;
}
