/**
 * Invitations, the B2B way (SPEC §1, §6): an admin invites an address and a `guest` exists in
 * the directory at once, `PendingAcceptance`. The invitation is a redeem URL (and, if asked, a
 * mail carrying it); opening it starts a sign-in at guestpass itself for that address, proved
 * by a code or by the person's work account, after which the guest is `Accepted`.
 *
 * The redeem URL holds a 256-bit token; the store keeps only its SHA-256, which also names the
 * invitation inside the sign-in (the `invitation` parameter), so neither the store nor an
 * authorization request ever holds a usable token. Opening the URL only starts a sign-in, so a
 * mail scanner that fetches it changes nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';

import type { PersonRecord, Store } from '../adapters/store.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import type { Clock } from './clock.ts';
import { maskEmail, parseEmail } from './emails.ts';
import { GuestpassError } from './errors.ts';
import type { Locale } from './i18n/index.ts';
import type { Outbox } from './mail/outbox.ts';
import { invitationMail } from './mail/templates.ts';
import type { People } from './people.ts';

export const invitationsClientId = 'guestpass-invitations';
export const invitationIdPattern = /^[A-Za-z0-9_-]{43}$/;

/** How long a redeem URL works. */
const invitationTtlSeconds = 30 * 24 * 60 * 60;

export interface InvitationRecord {
  personId: string;
  email: string;
  redirectUrl?: string | undefined;
  invitedBy: string;
  createdAt: number;
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
  return createHash('sha256').update(token).digest('base64url');
}

export class Invitations {
  readonly #deps: {
    store: Store;
    clock: Clock;
    people: People;
    audit: AuditLog;
    outbox: Outbox;
    issuer: string;
    organizationName: string;
    /** Where a redeemed invitation may send the guest on: the origins of registered redirect URIs. */
    redirectOrigins: ReadonlySet<string>;
  };

  constructor(deps: { store: Store; clock: Clock; people: People; audit: AuditLog; outbox: Outbox; issuer: string; organizationName: string; redirectOrigins: ReadonlySet<string> }) {
    this.#deps = deps;
  }

  async create(invitedBy: string, input: NewInvitation, origin: RequestOrigin): Promise<{ person: PersonRecord; inviteRedeemUrl: string; created: boolean }> {
    const email = parseEmail(input.email);
    if (!email) throw new GuestpassError('invalid_request', `email: "${input.email}" is not an email address`, { status: 400 });
    if (input.redirectUrl !== undefined) this.#checkRedirect(input.redirectUrl);
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
      actor: { type: 'client', id: invitedBy },
      detail: { email: person.emailNormalized, personId: person.id, clientId: invitedBy, created, mailed: mailId !== undefined },
      ...origin,
    });
    return { person, inviteRedeemUrl, created };
  }

  find(id: string): Promise<InvitationRecord | undefined> {
    return invitationIdPattern.test(id) ? this.#deps.store.getRecord<InvitationRecord>('invitation', id) : Promise.resolve(undefined);
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

  #checkRedirect(redirectUrl: string): void {
    const url = URL.parse(redirectUrl);
    if (!url || !/^https?:$/.test(url.protocol)) throw new GuestpassError('invalid_request', 'redirectUrl: must be an http(s) URL', { status: 400 });
    if (!this.#deps.redirectOrigins.has(url.origin)) {
      throw new GuestpassError('invalid_request', `redirectUrl: ${url.origin} is not the origin of any registered client redirect URI`, { status: 400 });
    }
  }
}
