/**
 * Invitations, the B2B way (SPEC §1, §6): an admin invites an address and a `guest` exists in
 * the directory at once, `PendingAcceptance`. The invitation is a redeem URL (and, if asked, a
 * mail carrying it); opening it starts a sign-in at guestpass itself for that address, proved
 * by a code or by the person's work account, after which the guest is `Accepted`.
 *
 * The redeem URL holds a 256-bit token; the store keeps only its SHA-256 (the invitation id).
 * Opening the URL only starts a sign-in, so a mail scanner that fetches it changes nothing.
 *
 * Redeeming with a work account skips the code, so there the invitation is the only proof that
 * the person holds the invited address (SPEC §1): it must be the real one, and used once.
 * - Opening the redeem URL hands the browser a fresh *ticket*: a random secret in an HttpOnly
 *   cookie, whose SHA-256 (the ticket id) travels as the `invitation` parameter of the sign-in.
 *   Nothing in the authorization URL lets anyone compute the cookie, so a forged or copied URL
 *   carries no invitation; and the ticket names the invitation, so the parameter cannot point
 *   at another one.
 * - The ticket is bound to the first sign-in that uses it for a work account, and the invitation
 *   is redeemed once (an atomic claim) — only while it is unexpired, unredeemed, for that
 *   address, and its person still exists and is not disabled. Anything else falls back to the
 *   emailed code.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import { z } from 'zod';

import type { AuditActor, CounterStore, PersonRecord, RecordStore } from '../adapters/store.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import type { Clock } from './clock.ts';
import { maskEmail, parseEmail } from './emails.ts';
import { InvalidRequestError, RateLimitedError } from './errors.ts';
import type { Locale } from './i18n/index.ts';
import type { Outbox } from './mail/outbox.ts';
import { invitationMail } from './mail/templates.ts';
import type { People } from './people.ts';
import { readRecord } from './records.ts';

export const invitationsClientId = 'guestpass-invitations';
export const invitationIdPattern = /^[A-Za-z0-9_-]{43}$/;

/** Invitations and tickets are records; redeeming claims a slot, and invitation mail is counted. */
type InvitationStore = RecordStore & Pick<CounterStore, 'claimSlot' | 'incrementCounter'>;

/** How long a redeem URL works. */
const invitationTtlSeconds = 30 * 24 * 60 * 60;
/** How long a ticket works: as long as the sign-in it starts (oidc-provider's Interaction TTL). */
const ticketTtlSeconds = 60 * 60;

/** The cookie that carries a ticket, sent only to the sign-in pages. */
export const invitationCookie = { name: 'gp_invitation', path: '/interaction' } as const;

const invitationRecordSchema = z.object({
  personId: z.string(),
  email: z.string(),
  redirectUrl: z.string().optional(),
  invitedBy: z.string(),
  createdAt: z.number(),
  /** When it was redeemed; a redeemed invitation vouches for nobody any more. */
  redeemedAt: z.number().optional(),
});
export type InvitationRecord = z.infer<typeof invitationRecordSchema>;

/** What opening a redeem URL hands out: the secret goes into the cookie, the id into the sign-in. */
const ticketRecordSchema = z.object({
  version: z.number().int(),
  invitationId: z.string(),
  /** The sign-in (interaction uid) that used the ticket for a work account, once one has. */
  boundTo: z.string().optional(),
});
type TicketRecord = z.infer<typeof ticketRecordSchema>;

/** An invitation a browser proved it holds, still good for redemption. */
export interface PresentedInvitation {
  invitationId: string;
  ticketId: string;
  personId: string;
  email: string;
}

export interface NewInvitation {
  email: string;
  displayName?: string | undefined;
  redirectUrl?: string | undefined;
  sendInvitationMail?: boolean | undefined;
  locale?: Locale | undefined;
}

/** The first-party client that redemption signs in through; its redirect URI is guestpass's own. */
export function invitationsClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: invitationsClientId,
    client_name: 'guestpass invitations',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${issuer}/invitations/done`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid',
  };
}

export function invitationId(token: string): string {
  return sha256(token);
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export interface InvitationsDeps {
  store: InvitationStore;
  clock: Clock;
  people: Pick<People, 'get' | 'invite' | 'accept'>;
  audit: AuditLog;
  outbox: Pick<Outbox, 'enqueue'>;
  issuer: string;
  organizationName: string;
  /** Where a redeemed invitation may send the guest on: the origins of registered redirect URIs. */
  redirectOrigins: ReadonlySet<string>;
  invitationMailsPerHour: number;
}

export class Invitations {
  readonly #deps: InvitationsDeps;

  constructor(deps: InvitationsDeps) {
    this.#deps = deps;
  }

  /** `invitedBy` is the client the invitation is on behalf of; `actor`, who the audit names (the client, or a person in the console). */
  async create(invitedBy: string, input: NewInvitation, origin: RequestOrigin, actor: AuditActor = { type: 'client', id: invitedBy }): Promise<{ person: PersonRecord; inviteRedeemUrl: string; created: boolean }> {
    const email = parseEmail(input.email);
    if (!email) throw new InvalidRequestError(`email: "${input.email}" is not an email address`);
    if (input.redirectUrl !== undefined) this.#checkRedirect(input.redirectUrl);
    if (input.sendInvitationMail) await this.#countInvitationMail(email.normalized);
    const { person, created } = await this.#deps.people.invite(email, input.displayName);
    const token = randomBytes(32).toString('base64url');
    const now = this.#deps.clock.now();
    await this.#deps.store.putRecord<InvitationRecord>(
      'invitation',
      invitationId(token),
      { personId: person.id, email: person.emailNormalized, redirectUrl: input.redirectUrl, invitedBy, createdAt: now },
      invitationTtlSeconds,
    );
    const inviteRedeemUrl = `${this.#deps.issuer}/invitations/${token}`;
    let mailId: string | undefined;
    if (input.sendInvitationMail) {
      mailId = await this.#deps.outbox.enqueue(
        invitationMail({ to: person.email, url: inviteRedeemUrl, organizationName: this.#deps.organizationName, locale: input.locale ?? 'en' }),
        { label: `invitation to ${maskEmail(person.emailNormalized)}`, notAfter: now + invitationTtlSeconds * 1000 },
      );
    }
    await this.#deps.audit.record('GuestInvited', {
      actor,
      detail: { email: person.emailNormalized, personId: person.id, clientId: invitedBy, created, mailed: mailId !== undefined },
      ...origin,
    });
    return { person, inviteRedeemUrl, created };
  }

  find(id: string): Promise<InvitationRecord | undefined> {
    return invitationIdPattern.test(id) ? readRecord(this.#deps.store, 'invitation', id, invitationRecordSchema) : Promise.resolve(undefined);
  }

  /**
   * Opening a redeem URL: the invitation behind the token (unexpired; redeemed or not — a
   * redeemed one still starts a sign-in for its address) and a new ticket for this browser.
   */
  async open(token: string): Promise<{ invitation: InvitationRecord; ticket: string; ticketId: string } | undefined> {
    if (!invitationIdPattern.test(token)) return undefined;
    const id = invitationId(token);
    const invitation = await this.find(id);
    if (!invitation || this.#expired(invitation) || !(await this.#deps.people.get(invitation.personId))) return undefined;
    const ticket = randomBytes(32).toString('base64url');
    const ticketId = sha256(ticket);
    await this.#deps.store.putRecord<TicketRecord>('invitationTicket', ticketId, { version: 1, invitationId: id }, ticketTtlSeconds);
    return { invitation, ticket, ticketId };
  }

  /** The invitation a ticket names (where a finished sign-in goes next), whatever its state. */
  async forTicket(ticketId: string): Promise<InvitationRecord | undefined> {
    const ticket = invitationIdPattern.test(ticketId) ? await this.#ticket(ticketId) : undefined;
    return ticket ? this.find(ticket.invitationId) : undefined;
  }

  /**
   * The invitation a sign-in carries, if the browser holds the ticket (`presentedTicket`, from
   * its cookie) whose id the sign-in names, the ticket is unused or bound to this sign-in, and
   * the invitation is still good for `email` (the sign-in's login_hint).
   */
  async presented(ticketId: unknown, presentedTicket: string | undefined, email: string | undefined, interactionUid: string): Promise<PresentedInvitation | undefined> {
    if (!holdsTicket(ticketId, presentedTicket) || !email) return undefined;
    const ticket = await this.#ticket(ticketId);
    if (!ticket || (ticket.boundTo !== undefined && ticket.boundTo !== interactionUid)) return undefined;
    const invitation = await this.#redeemable(ticket.invitationId, email);
    return invitation && { invitationId: ticket.invitationId, ticketId, personId: invitation.personId, email: invitation.email };
  }

  /**
   * The invitation a sign-in's page speaks of — who sent it, where it leads — whatever its state,
   * told only to the browser that holds the ticket (its cookie): a copied or forged authorization
   * URL learns nothing of whom an invitation came from.
   */
  shownTo(ticketId: unknown, presentedTicket: string | undefined): Promise<InvitationRecord | undefined> {
    return holdsTicket(ticketId, presentedTicket) ? this.forTicket(ticketId) : Promise.resolve(undefined);
  }

  /** Binds a ticket to the sign-in that uses it for a work account; false when another sign-in has it. */
  async bindTicket(presented: PresentedInvitation, interactionUid: string): Promise<boolean> {
    const { store } = this.#deps;
    const ticket = await this.#ticket(presented.ticketId);
    if (!ticket) return false;
    if (ticket.boundTo !== undefined) return ticket.boundTo === interactionUid;
    return store.putRecordIfVersion<TicketRecord>('invitationTicket', presented.ticketId, { ...ticket, version: ticket.version + 1, boundTo: interactionUid }, ticketTtlSeconds, ticket.version);
  }

  /**
   * Redeems the invitation for `email`, once: of parallel redemptions one wins. False when it is
   * expired, already redeemed, for another address, or its person is gone or disabled.
   */
  async redeem(id: string, email: string): Promise<boolean> {
    const invitation = await this.#redeemable(id, email);
    if (!invitation) return false;
    const { store, clock } = this.#deps;
    const now = clock.now();
    const ttlSeconds = Math.max(1, Math.ceil((invitation.createdAt + invitationTtlSeconds * 1000 - now) / 1000));
    const gate = await store.claimSlot(`invitation-redeemed:${id}`, ttlSeconds, now);
    if (!gate.claimed) return false;
    await store.putRecord<InvitationRecord>('invitation', id, { ...invitation, redeemedAt: now }, ttlSeconds);
    return true;
  }

  #ticket(ticketId: string): Promise<TicketRecord | undefined> {
    return readRecord(this.#deps.store, 'invitationTicket', ticketId, ticketRecordSchema);
  }

  async #redeemable(id: string, email: string): Promise<InvitationRecord | undefined> {
    const invitation = await this.find(id);
    if (!invitation || invitation.redeemedAt !== undefined || this.#expired(invitation) || invitation.email !== email) return undefined;
    const person = await this.#deps.people.get(invitation.personId);
    // A disabled person gets the "access removed" page (SPEC §1), never a shortcut round it.
    return person && !person.disabled && person.emailNormalized === email ? invitation : undefined;
  }

  #expired(invitation: InvitationRecord): boolean {
    return this.#deps.clock.now() >= invitation.createdAt + invitationTtlSeconds * 1000;
  }

  /**
   * A guest still `PendingAcceptance` who proves their address — through the redeem URL, or by
   * signing in to anything shared with them — has accepted (as Entra counts it). Audited once,
   * as `GuestRedeemed`, saying how and, for a redeem URL, whose invitation it was.
   */
  async acceptPendingGuest(person: PersonRecord, how: { amr: readonly string[]; clientId: string; invitationId?: string | undefined }, origin: RequestOrigin): Promise<void> {
    if (person.userType !== 'guest' || person.state !== 'PendingAcceptance') return;
    const accepted = await this.#deps.people.accept(person.id);
    if (accepted?.state !== 'Accepted') return;
    // By person, not only by address: an invitation of someone since deleted is not theirs.
    const invitation = how.invitationId ? await this.find(how.invitationId) : undefined;
    const theirs = invitation && invitation.personId === person.id && invitation.email === person.emailNormalized;
    // Accepted by code: the invitation is spent too (a work-account redemption spent it already).
    if (theirs && invitation.redeemedAt === undefined) await this.redeem(how.invitationId!, person.emailNormalized);
    await this.#deps.audit.record('GuestRedeemed', {
      actor: { type: 'person', id: person.id },
      detail: {
        email: person.emailNormalized,
        clientId: theirs ? invitation.invitedBy : how.clientId,
        by: how.amr.includes('otp') ? 'code' : 'work_account',
        via: theirs ? 'invitation' : 'sign-in',
      },
      ...origin,
    });
  }

  /** Invitation mail is capped per address, so an API caller cannot mail-bomb someone with it. */
  async #countInvitationMail(emailNormalized: string): Promise<void> {
    const now = this.#deps.clock.now();
    const sent = await this.#deps.store.incrementCounter(`invitation-mail:${emailNormalized}`, 60 * 60, now);
    if (sent.count > this.#deps.invitationMailsPerHour) {
      throw new RateLimitedError(`${maskEmail(emailNormalized)} was sent ${this.#deps.invitationMailsPerHour} invitation mails in the last hour; try again later, or invite without a mail`, (sent.resetAt - now) / 1000);
    }
  }

  #checkRedirect(redirectUrl: string): void {
    const url = URL.parse(redirectUrl);
    if (!url || !/^https?:$/.test(url.protocol)) throw new InvalidRequestError('redirectUrl: must be an http(s) URL');
    if (!this.#deps.redirectOrigins.has(url.origin)) {
      throw new InvalidRequestError(`redirectUrl: ${url.origin} is not the origin of any registered client redirect URI`);
    }
  }
}

/** Whether the browser's ticket (`presentedTicket`, from its cookie) is the one the sign-in names. */
function holdsTicket(ticketId: unknown, presentedTicket: string | undefined): ticketId is string {
  return typeof ticketId === 'string' && invitationIdPattern.test(ticketId) && presentedTicket !== undefined && sameValue(sha256(presentedTicket), ticketId);
}

function sameValue(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
