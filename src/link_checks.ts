/**
 * The sweep of link checks: how an expiry is noticed without a request arriving, and how a
 * revocation that a crash or a failing store cut short is finished. Every instance runs it every
 * `links.checkIntervalSeconds`; a check is taken with a lease (`claimDueLinkChecks`), so one
 * instance handles it, and another takes it again only if that one stops before finishing.
 * Handling a check twice revokes nothing twice (src/link_access.ts), so a late duplicate costs
 * one more audit event at worst.
 *
 * A check due is one of:
 * - the link's expiry (it is due at `expiresAt`): every grant of the link goes, audited as
 *   `SecureLinkExpired` (our addition to SPEC §7: an expiry is not anyone's request);
 * - a change that ended someone's access and whose revocation did not finish in its request:
 *   the grants of whoever is no longer on the link (all, for a deleted or expired link) go,
 *   audited as `SessionsRevoked` per address, with the link's `sharingId` and the reason.
 */
import type { DueLinkCheck, LinkRecord, LinkStore } from '../adapters/store.ts';
import type { AuditLog, AuditOperation, AuditInput } from './audit.ts';
import type { Clock } from './clock.ts';
import { totalRevoked, type LinkAccess, type RevokedByAddress } from './link_access.ts';
import { isLive } from './links.ts';
import type { Logger } from './log.ts';

/** How long a taken check is this instance's: far longer than revoking one link's grants takes. */
const leaseMs = 5 * 60 * 1000;
/** Checks taken at once; a sweep takes batches until none is due. */
const batchSize = 20;
/** A sweep stops after this many batches and leaves the rest to the next (due checks stay due). */
const maxBatchesPerSweep = 50;

const actor = { type: 'system', id: 'link-checks' } as const;

export interface LinkChecksDeps {
  store: Pick<LinkStore, 'getLink' | 'claimDueLinkChecks' | 'finishLinkCheck'>;
  access: Pick<LinkAccess, 'end'>;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  intervalSeconds: number;
}

export class LinkChecks {
  readonly #deps: LinkChecksDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(deps: LinkChecksDeps) {
    this.#deps = deps;
  }

  start(): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.#sweepInBackground(), this.#deps.intervalSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Handles every check due now (tests call it after moving their clock); returns how many. */
  async sweep(): Promise<number> {
    let handled = 0;
    for (let batch = 0; batch < maxBatchesPerSweep; batch += 1) {
      const due = await this.#deps.store.claimDueLinkChecks(this.#deps.clock.now(), leaseMs, batchSize);
      await Promise.all(due.map((check) => this.#handleInBackground(check)));
      handled += due.length;
      if (due.length < batchSize) break;
    }
    return handled;
  }

  #sweepInBackground(): Promise<unknown> {
    // One sweep at a time per instance: a slow one is not overtaken by the next tick.
    this.#running ??= this.sweep()
      .catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'link check sweep failed'))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** A check that fails stays leased, and is taken again when its lease ends. */
  async #handleInBackground(check: DueLinkCheck): Promise<void> {
    try {
      await this.#handle(check);
    } catch (error) {
      this.#deps.logger.warn({ err: error, sharingId: check.id }, 'link check failed; it is taken again when its lease ends');
    }
  }

  async #handle(check: DueLinkCheck): Promise<void> {
    const { store, access, audit, clock } = this.#deps;
    const link = await store.getLink(check.id);
    const now = clock.now();
    if (link && isLive(link, now)) {
      const recipients = new Set(link.recipients.map((recipient) => recipient.emailNormalized));
      const revoked = await access.end(check.id, (email) => !recipients.has(email));
      await recordIfAny(audit, revocationEvents(check.id, link, revoked, 'recipient_removed'));
      await store.finishLinkCheck(check.id, check.leasedUntil, link.expiresAt);
      return;
    }
    const revoked = await access.end(check.id, () => true);
    if (link && check.dueAt <= link.expiresAt!) {
      await audit.record('SecureLinkExpired', {
        actor,
        sharingId: link.id,
        detail: { clientId: link.clientId, expiresAt: new Date(link.expiresAt!).toISOString(), revoked: totalRevoked(revoked) },
      });
    } else {
      // Deleted, or expired and recorded as such before: only what a cut-short revocation left.
      await recordIfAny(audit, revocationEvents(check.id, link, revoked, link ? 'link_expired' : 'link_deleted'));
    }
    await store.finishLinkCheck(check.id, check.leasedUntil, undefined);
  }
}

function revocationEvents(sharingId: string, link: LinkRecord | undefined, revoked: RevokedByAddress, reason: string): [AuditOperation, AuditInput][] {
  return [...revoked]
    .filter(([, part]) => part.grants > 0)
    .map(([email, part]) => ['SessionsRevoked', { actor, sharingId, detail: { ...(link ? { clientId: link.clientId } : {}), ...(email ? { email } : {}), reason, ...part } }]);
}

async function recordIfAny(audit: AuditLog, events: [AuditOperation, AuditInput][]): Promise<void> {
  if (events.length > 0) await audit.recordAll(events);
}
