/**
 * `GET /invitations/:token` — the redeem URL: starts a sign-in at guestpass for the invited
 * address, through the first-party invitations client, and gives the browser the ticket that
 * proves it opened the URL (see `src/invitations.ts`). `GET /invitations/done` — where that
 * sign-in ends: on to the invitation's `redirectUrl`, or a page saying the guest is in and what
 * happens next (never a dead end that leaves them wondering).
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';

import { invitationAcceptedPage, errorPage } from '../views/pages.ts';
import type { PageBranding } from '../../src/branding.ts';
import { maskEmail } from '../../src/emails.ts';
import { messagesFor, negotiateLocale } from '../../src/i18n/index.ts';
import { invitationCookie, invitationsClientId, type Invitations } from '../../src/invitations.ts';
import type { People } from '../../src/people.ts';
import { noStore } from '../../src/http/security_headers.ts';

export function invitationRoutes({ invitations, people, issuer, branding }: { invitations: Invitations; people: People; issuer: string; branding: PageBranding }): Router {
  const router = new Router({ prefix: '/invitations' });
  router.use(noStore);

  const page = (ctx: Context, status: number, render: (frame: Parameters<typeof errorPage>[0]) => string) => {
    const locale = negotiateLocale({ acceptLanguage: ctx.get('accept-language') });
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render({ locale, t: messagesFor(locale), ...branding });
  };
  const unknown = (ctx: Context) => page(ctx, 404, (frame) => errorPage(frame, { message: frame.t.invitation.unknown }));

  router.get('/done', async (ctx) => {
    const ticketId = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const invitation = await invitations.forTicket(ticketId);
    if (!invitation) return unknown(ctx);
    const person = await people.get(invitation.personId);
    if (!person || person.state !== 'Accepted') {
      return page(ctx, 400, (frame) => errorPage(frame, { message: frame.t.error.generic, details: typeof ctx.query.error === 'string' ? { error: ctx.query.error } : undefined }));
    }
    if (invitation.redirectUrl) {
      ctx.status = 303;
      return ctx.redirect(invitation.redirectUrl);
    }
    page(ctx, 200, (frame) => invitationAcceptedPage(frame, { organizationName: branding.organizationName, maskedEmail: maskEmail(invitation.email) }));
  });

  router.get('/:token', async (ctx) => {
    // The invitation of a person since deleted died with them (they may be invited again, anew).
    const opened = await invitations.open(String(ctx.params.token));
    if (!opened) return unknown(ctx);
    const { invitation, ticket, ticketId } = opened;
    ctx.cookies.set(invitationCookie.name, ticket, {
      path: invitationCookie.path,
      httpOnly: true,
      sameSite: 'lax',
      secure: issuer.startsWith('https:'),
      signed: false,
      maxAge: 60 * 60 * 1000,
    });
    const authorization = new URL('/auth', issuer);
    authorization.search = new URLSearchParams({
      client_id: invitationsClientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${issuer}/invitations/done`,
      // PKCE is required of every client; this sign-in's code is never redeemed, only its outcome matters.
      code_challenge: randomBytes(32).toString('base64url'),
      code_challenge_method: 'S256',
      state: ticketId,
      login_hint: invitation.email,
      invitation: ticketId,
    }).toString();
    ctx.status = 303;
    ctx.redirect(authorization.href);
  });

  return router;
}
