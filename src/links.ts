/**
 * Secure links: a resource shared with specific addresses, owned by the client that created it.
 * Only the link's current recipients can be sent a code for it, and only while it is live (not
 * deleted, not expired). Every change is audited with the names of SPEC §7, in order:
 * `SecureLinkCreated` then one `AddedToSecureLink` per recipient; one `RemovedFromSecureLink`
 * per recipient then `SecureLinkDeleted`.
 *
 * Changes are read-modify-write with compare-and-set on the link's version, retried on a
 * conflict, so two clients adding recipients at once both land.
 *
 * Ending someone's access (removing them, deleting the link) also ends what was issued for the
 * link (src/link_access.ts), and the audit event says what went: `detail.revoked`. An expiry is
 * handled by the sweep of link checks (src/link_checks.ts), which needs the expiry scheduled.
 */
import { randomBytes } from 'node:crypto';

import type { AuditActor, CounterStore, LinkQuery, LinkRecipient, LinkRecord, LinkStore, Page, UserType } from '../adapters/store.ts';
import type { AuditInput, AuditLog, RequestOrigin } from './audit.ts';
import type { Clock } from './clock.ts';
import { parseEmail } from './emails.ts';
import { ConflictError, InvalidRequestError, NotFoundError, PolicyViolationError } from './errors.ts';
import { revokedFor, totalRevoked, type LinkAccess, type RevokedAccess, type RevokedByAddress } from './link_access.ts';
import type { People } from './people.ts';
import type { PolicySource } from './policy.ts';
import { policyRefusal, policyRefusalText } from './policy_rules.ts';

/** Who is asking: a client, which sees only its own links unless it is an admin. */
export interface Viewer {
  clientId: string;
  admin: boolean;
  /** Who the audit names; the client itself unless a person acts through it (the admin console). */
  actor?: AuditActor | undefined;
}

/** What a list may be narrowed to; `clientId` narrows only an admin's view (a client sees its own links anyway). */
export type LinkFilter = LinkQuery;

export interface NewLink {
  resource: string;
  recipients: readonly string[];
  /** Epoch ms; absent: no expiry, or the policy's cap when one is set. */
  expiresAt?: number | undefined;
  createdBy?: string | undefined;
}

export type RecipientVerdict = { ok: true; link: LinkRecord } | { ok: false; reason: 'no_such_link' | 'other_client' | 'expired' | 'not_a_recipient' };

const day = 24 * 60 * 60 * 1000;

/** Reported accesses of one recipient to one link within this many seconds are one stamp and one audit event. */
export const accessCoalesceSeconds = 60;

/**
 * 24 random bytes, base64url: 192 bits, above the 128 SPEC §6 asks for. Drawn again while it
 * starts with `-` or `_` (1 in 32), which costs 0.05 bits: an id starting with `-` reads as an
 * option on a command line (`guestpass links show -x…`) and as a formula in a spreadsheet, where
 * a CSV export must defuse it (`'-x…`), so the exported id no longer matched the link's.
 */
export function newSharingId(): string {
  for (;;) {
    const id = randomBytes(24).toString('base64url');
    if (id[0] !== '-' && id[0] !== '_') return id;
  }
}

export interface LinksDeps {
  store: LinkStore & Pick<CounterStore, 'claimSlot' | 'releaseSlot'>;
  clock: Clock;
  audit: AuditLog;
  people: People;
  policy: PolicySource;
  access: Pick<LinkAccess, 'beforeChange' | 'afterChange'>;
  maxRecipients: number;
}

export class Links {
  readonly #store: LinksDeps['store'];
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #people: People;
  readonly #policy: PolicySource;
  readonly #access: LinksDeps['access'];
  readonly #maxRecipients: number;

  constructor(deps: LinksDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#people = deps.people;
    this.#policy = deps.policy;
    this.#access = deps.access;
    this.#maxRecipients = deps.maxRecipients;
  }

  get maxRecipients(): number {
    return this.#maxRecipients;
  }

  async create(viewer: Viewer, input: NewLink, origin: RequestOrigin): Promise<LinkRecord> {
    const now = this.#clock.now();
    const recipients = this.#parseRecipients(input.recipients, { allowEmpty: false });
    await this.#checkPolicy(recipients.map((email) => email.normalized));
    const expiresAt = await this.#checkExpiry(input.expiresAt, now, { creating: true });
    const link: LinkRecord = {
      version: 1,
      id: newSharingId(),
      resource: input.resource,
      clientId: viewer.clientId,
      recipients: recipients.map((email) => ({ email: email.display, emailNormalized: email.normalized, addedAt: now })),
      createdAt: now,
      createdBy: input.createdBy ?? viewer.clientId,
      expiresAt,
    };
    // Scheduled before the link exists: no link expires unnoticed, whatever stops half-way.
    if (expiresAt !== undefined) await this.#store.scheduleLinkCheck(link.id, expiresAt);
    if (!(await this.#store.createLink(link))) throw new Error('a fresh sharing id was already taken');
    await this.#audit.recordAll([
      ['SecureLinkCreated', this.#event(link, viewer, origin, { resource: link.resource, recipients: link.recipients.length, createdBy: link.createdBy, expiresAt: isoOrUndefined(link.expiresAt) })],
      ...link.recipients.map((recipient) => ['AddedToSecureLink', this.#recipientEvent(link, recipient, viewer, origin)] as const),
    ]);
    return link;
  }

  /** The link, if this viewer may see it; another client's link is "not found", never "forbidden". */
  async get(viewer: Viewer, id: string): Promise<LinkRecord> {
    const link = await this.#store.getLink(id);
    if (!link || (!viewer.admin && link.clientId !== viewer.clientId)) throw notFound();
    return link;
  }

  list(viewer: Viewer, query: LinkFilter, page: { cursor?: string | undefined; limit: number }): Promise<Page<LinkRecord>> {
    return this.#store.listLinks({ ...query, clientId: viewer.admin ? query.clientId : viewer.clientId }, page);
  }

  async addRecipients(viewer: Viewer, id: string, emails: readonly string[], origin: RequestOrigin): Promise<LinkRecord> {
    const wanted = this.#parseRecipients(emails, { allowEmpty: false });
    await this.#checkPolicy(wanted.map((email) => email.normalized));
    let added: LinkRecipient[] = [];
    const link = await this.#update(viewer, id, (current) => {
      const present = new Set(current.recipients.map((recipient) => recipient.emailNormalized));
      const now = this.#clock.now();
      added = wanted.filter((email) => !present.has(email.normalized)).map((email) => ({ email: email.display, emailNormalized: email.normalized, addedAt: now }));
      if (current.recipients.length + added.length > this.#maxRecipients) {
        throw invalid(`a link may have at most ${this.#maxRecipients} recipients; this one would have ${current.recipients.length + added.length}`);
      }
      return added.length > 0 ? { ...current, recipients: [...current.recipients, ...added] } : undefined;
    });
    if (added.length > 0) await this.#audit.recordAll(added.map((recipient) => ['AddedToSecureLink', this.#recipientEvent(link, recipient, viewer, origin)]));
    return link;
  }

  async removeRecipient(viewer: Viewer, id: string, email: string, origin: RequestOrigin): Promise<LinkRecord> {
    const parsed = parseEmail(email);
    if (!parsed) throw invalid(`"${email}" is not an email address`);
    const notRecipient = () => new NotFoundError(`${parsed.normalized} is not a recipient of this link`);
    if (!(await this.get(viewer, id)).recipients.some((recipient) => recipient.emailNormalized === parsed.normalized)) throw notRecipient();
    const scheduledAt = await this.#access.beforeChange(id);
    let removed: LinkRecipient | undefined;
    const link = await this.#update(viewer, id, (current) => {
      removed = current.recipients.find((recipient) => recipient.emailNormalized === parsed.normalized);
      if (!removed) throw notRecipient();
      return { ...current, recipients: current.recipients.filter((recipient) => recipient !== removed) };
    });
    const revoked = await this.#access.afterChange(id, scheduledAt, link, (address) => address === parsed.normalized);
    await this.#audit.record('RemovedFromSecureLink', this.#recipientEvent(link, removed!, viewer, origin, { revoked: revokedDetail(revoked, parsed.normalized) }));
    return link;
  }

  async setExpiry(viewer: Viewer, id: string, expiresAt: number | null, origin: RequestOrigin): Promise<LinkRecord> {
    const checked = await this.#checkExpiry(expiresAt ?? undefined, this.#clock.now(), { creating: false });
    await this.get(viewer, id);
    // An earlier expiry check, if one is scheduled, stays: it finds the link live and schedules this one.
    if (checked !== undefined) await this.#store.scheduleLinkCheck(id, checked);
    const link = await this.#update(viewer, id, (current) => ({ ...current, expiresAt: checked }));
    await this.#audit.record('SecureLinkExpiryChanged', this.#event(link, viewer, origin, { expiresAt: isoOrUndefined(link.expiresAt) ?? null }));
    return link;
  }

  async delete(viewer: Viewer, id: string, origin: RequestOrigin): Promise<void> {
    await this.get(viewer, id);
    const scheduledAt = await this.#access.beforeChange(id);
    const link = await this.#store.deleteLink(id);
    if (!link) throw notFound();
    const revoked = await this.#access.afterChange(id, scheduledAt, undefined, () => true);
    await this.#audit.recordAll([
      ...link.recipients.map(
        (recipient) => ['RemovedFromSecureLink', this.#recipientEvent(link, recipient, viewer, origin, { revoked: revokedDetail(revoked, recipient.emailNormalized) })] as const,
      ),
      ['SecureLinkDeleted', this.#event(link, viewer, origin, { resource: link.resource, recipients: link.recipients.length, revoked: revoked ? totalRevoked(revoked) : deferred })],
    ]);
  }

  /**
   * A resource server reports that a recipient accessed the link (a download), so `lastAccessAt`
   * is true. "Not found" alike for a link that does not exist, is another client's, or does not
   * name the address. Reports of one recipient within `accessCoalesceSeconds` are one stamp and
   * one `SecureLinkAccessed` (the first; a slot in the store decides, on every instance at once),
   * so a host that reports every request writes to the link at most once a minute per person.
   */
  async reportAccess(viewer: Viewer, id: string, email: string, origin: RequestOrigin): Promise<void> {
    const parsed = parseEmail(email);
    const link = parsed ? await this.#store.getLink(id) : undefined;
    const visible = link && (viewer.admin || link.clientId === viewer.clientId) ? link : undefined;
    const recipient = visible?.recipients.find((entry) => entry.emailNormalized === parsed!.normalized);
    if (!visible || !recipient) throw new NotFoundError('no such recipient of this link');
    const now = this.#clock.now();
    const slot = `link-access:${id}:${recipient.emailNormalized}`;
    if (!(await this.#store.claimSlot(slot, accessCoalesceSeconds, now)).claimed) return;
    try {
      await this.recordAccess(id, recipient.emailNormalized, { verified: false });
      await this.#audit.record('SecureLinkAccessed', this.#recipientEvent(visible, recipient, viewer, origin, { live: isLive(visible, now) }));
    } catch (error) {
      // Unrecorded, so the next report within the minute must not be folded into this one.
      await this.#store.releaseSlot(slot).catch(() => undefined);
      throw error;
    }
  }

  /** Whether an address may be verified for a link, as the requesting client asks (SPEC §2). */
  async recipientVerdict(sharingId: string, clientId: string, emailNormalized: string): Promise<RecipientVerdict> {
    const link = await this.#store.getLink(sharingId);
    if (!link) return { ok: false, reason: 'no_such_link' };
    if (link.clientId !== clientId) return { ok: false, reason: 'other_client' };
    if (!isLive(link, this.#clock.now())) return { ok: false, reason: 'expired' };
    if (!link.recipients.some((recipient) => recipient.emailNormalized === emailNormalized)) return { ok: false, reason: 'not_a_recipient' };
    return { ok: true, link };
  }

  isLiveNow(link: LinkRecord): boolean {
    return isLive(link, this.#clock.now());
  }

  /** One recipient of a link this viewer may see; "not found" when the address is not (or no longer) on it. */
  async recipient(viewer: Viewer, id: string, email: string): Promise<{ link: LinkRecord; recipient: LinkRecipient }> {
    const parsed = parseEmail(email);
    const link = await this.get(viewer, id);
    const recipient = parsed && link.recipients.find((entry) => entry.emailNormalized === parsed.normalized);
    if (!recipient) throw new NotFoundError(`${parsed?.normalized ?? email} is not a recipient of this link`);
    return { link, recipient };
  }

  /** Whether an address is a recipient of any live link of the client. */
  async isRecipientOfAnyLiveLink(clientId: string, emailNormalized: string): Promise<boolean> {
    let cursor: string | undefined;
    const now = this.#clock.now();
    do {
      const page = await this.#store.listLinks({ clientId, recipient: emailNormalized }, { cursor, limit: 50 });
      if (page.items.some((link) => isLive(link, now))) return true;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return false;
  }

  /** Stamps a recipient's sign-in for a link: always `lastAccessAt`, and `verifiedAt` the first time a code verified them. */
  async recordAccess(sharingId: string, emailNormalized: string, { verified }: { verified: boolean }): Promise<void> {
    const now = this.#clock.now();
    await this.#modify(sharingId, (current) => {
      const recipient = current.recipients.find((entry) => entry.emailNormalized === emailNormalized);
      if (!recipient) return undefined;
      const stamped = { ...recipient, lastAccessAt: now, verifiedAt: recipient.verifiedAt ?? (verified ? now : undefined) };
      return { ...current, recipients: current.recipients.map((entry) => (entry === recipient ? stamped : entry)) };
    });
  }

  /** How a recipient shows in the API: their type in the directory, or what their domain makes them. */
  async userTypeOf(emailNormalized: string): Promise<UserType> {
    return (await this.#people.findByEmail(emailNormalized))?.userType ?? this.#people.userTypeFor(emailNormalized);
  }

  // --- internals ---------------------------------------------------------------------------------

  async #update(viewer: Viewer, id: string, change: (current: LinkRecord) => LinkRecord | undefined): Promise<LinkRecord> {
    await this.get(viewer, id);
    const saved = await this.#modify(id, change);
    if (!saved) throw notFound();
    return saved;
  }

  /** Read, change, compare-and-set, retried when another writer got there first. */
  async #modify(id: string, change: (current: LinkRecord) => LinkRecord | undefined): Promise<LinkRecord | undefined> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const current = await this.#store.getLink(id);
      if (!current) return undefined;
      const next = change(current);
      if (!next) return current;
      const saved = { ...next, version: current.version + 1 };
      if (await this.#store.saveLink(saved, current.version)) return saved;
    }
    throw new ConflictError('the link is changing too often to update; try again');
  }

  #parseRecipients(emails: readonly string[], { allowEmpty }: { allowEmpty: boolean }): { display: string; normalized: string }[] {
    if (!allowEmpty && emails.length === 0) throw invalid('recipients must name at least one email address');
    if (emails.length > this.#maxRecipients) throw invalid(`a link may have at most ${this.#maxRecipients} recipients; got ${emails.length}`);
    const malformed: string[] = [];
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    const parsed: { display: string; normalized: string }[] = [];
    for (const email of emails) {
      const address = parseEmail(email);
      if (!address) {
        malformed.push(JSON.stringify(email));
        continue;
      }
      if (seen.has(address.normalized)) duplicates.add(address.normalized);
      seen.add(address.normalized);
      parsed.push(address);
    }
    if (malformed.length > 0) throw invalid(`not email addresses: ${malformed.join(', ')}`);
    if (duplicates.size > 0) throw invalid(`listed more than once (addresses are compared trimmed and lower-cased): ${[...duplicates].join(', ')}`);
    return parsed;
  }

  /** The sharing policy decides who may be added at all (SPEC §5); a refusal names each address and why. */
  async #checkPolicy(emails: readonly string[]): Promise<void> {
    const policy = await this.#policy.get();
    const refused: string[] = [];
    for (const email of emails) {
      const refusal = await policyRefusal(policy, email, this.#people);
      if (refusal) refused.push(`${email} (${policyRefusalText[refusal]})`);
      else if (!(await this.#people.findByEmail(email)) && (await this.#people.isDeleted(email))) {
        // It would be a link nobody can open: a deleted person gets no code until invited again.
        refused.push(`${email} (this person was deleted from the directory; invite them again to share with them)`);
      }
    }
    if (refused.length > 0) throw new PolicyViolationError(`not allowed by the sharing policy: ${refused.join('; ')}`);
  }

  async #checkExpiry(expiresAt: number | undefined, now: number, { creating }: { creating: boolean }): Promise<number | undefined> {
    const { maxLinkLifetimeDays } = await this.#policy.get();
    const cap = maxLinkLifetimeDays === null ? undefined : now + maxLinkLifetimeDays * day;
    if (expiresAt === undefined) {
      if (cap !== undefined && !creating) throw invalid(`the sharing policy caps links at ${maxLinkLifetimeDays} days, so expiresAt cannot be removed`);
      return cap;
    }
    if (expiresAt <= now) throw invalid(`expiresAt must be in the future; ${new Date(expiresAt).toISOString()} is not`);
    if (cap !== undefined && expiresAt > cap) throw invalid(`expiresAt may be at most ${maxLinkLifetimeDays} days ahead (${new Date(cap).toISOString()}) by the sharing policy`);
    return expiresAt;
  }

  #event(link: LinkRecord, viewer: Viewer, origin: RequestOrigin, detail: Record<string, unknown>): AuditInput {
    return { actor: viewer.actor ?? { type: 'client', id: viewer.clientId }, sharingId: link.id, detail: { clientId: link.clientId, ...detail }, ...origin };
  }

  #recipientEvent(link: LinkRecord, recipient: LinkRecipient, viewer: Viewer, origin: RequestOrigin, more: Record<string, unknown> = {}): AuditInput {
    return this.#event(link, viewer, origin, { email: recipient.emailNormalized, external: this.#people.userTypeFor(recipient.emailNormalized) !== 'member', ...more });
  }
}

/** What an audit event says was revoked when the revocation could not finish in the request (the next link check does). */
const deferred = { deferred: true } as const;

function revokedDetail(revoked: RevokedByAddress | undefined, email: string): RevokedAccess | typeof deferred {
  return revoked ? revokedFor(revoked, email) : deferred;
}

export function isLive(link: LinkRecord, now: number): boolean {
  return link.expiresAt === undefined || link.expiresAt > now;
}

function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function notFound(): NotFoundError {
  return new NotFoundError('no such link');
}

function invalid(description: string): InvalidRequestError {
  return new InvalidRequestError(description);
}
