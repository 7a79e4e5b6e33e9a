/**
 * The recipient's side: open a link, prove at guestpass that you are one of the people it was
 * shared with, download the file.
 *
 *   GET /s/:sharingId           the link exists and is live? → signed in for it already: the
 *                               download page; otherwise off to guestpass (PKCE, state, nonce,
 *                               sharing_id), the attempt kept in a signed cookie
 *   GET /callback               the attempt for this `state` (taken out: used once) → code
 *                               redeemed, ID token verified by openid-client → sharing_id and
 *                               email_verified checked (recipient_claims.ts) → proof saved → 303
 *   GET /s/:sharingId/download  proof for this link → guestpass asked again whether the link
 *                               still exists, is live and still names this person → the access
 *                               reported to guestpass (the owner page's "Last seen") → the file
 *
 * Whom a code may go to is guestpass's decision, not ours: a forwarded link brings the
 * forwardee to guestpass, which sends them nothing. What the host must not get wrong is the
 * other half — never serving link A to a sign-in made for link B, and noticing when access is
 * taken away.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import * as client from 'openid-client';

import type { BrowserState } from './browser_state.ts';
import type { FileCatalogue, SharedFile } from './file_catalogue.ts';
import { GuestpassApiError, type GuestpassClient, type Link } from './guestpass_client.ts';
import { redirect303, sendMessage, sendPage } from './http.ts';
import type { Log } from './log.ts';
import { downloadPage, type Message } from './pages.ts';
import { checkRecipientClaims, type ClaimsVerdict } from './recipient_claims.ts';

export interface RecipientRouteDeps {
  guestpass: GuestpassClient;
  catalogue: FileCatalogue;
  publicUrl: string;
  browserState: (ctx: Context) => BrowserState;
  log: Log;
  now: () => number;
}

const sharingIdPattern = /^[A-Za-z0-9_-]{22,64}$/;

export function recipientRoutes(deps: RecipientRouteDeps): Router {
  const { guestpass, catalogue, publicUrl, browserState, log } = deps;
  const router = new Router();

  router.param('sharingId', (sharingId, ctx, next) => {
    if (!sharingIdPattern.test(sharingId)) return sendMessage(ctx, 404, messages.unknownLink);
    return next();
  });

  router.get('/s/:sharingId', async (ctx) => {
    const sharingId = ctx.params.sharingId!;
    const state = browserState(ctx);
    const found = await liveLink(sharingId);
    if (!found.ok) return found.reason === 'missing' ? sendMessage(ctx, 404, messages.unknownLink) : sendMessage(ctx, 410, messages[found.reason]);

    const proof = state.proofFor(sharingId);
    if (proof && isRecipient(found.link, proof.email)) {
      return sendPage(ctx, 200, downloadPage({ file: found.file, sharingId, email: proof.email, userType: proof.userType }));
    }
    if (proof) {
      state.dropProof(sharingId);
      return sendMessage(ctx, 403, messages.accessRemoved(proof.email, sharingId));
    }

    const { url, attempt } = await guestpass.startSignIn(sharingId);
    state.addSignInAttempt(attempt);
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const state = browserState(ctx);
    const stateParameter = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const attempt = stateParameter ? state.takeSignInAttempt(stateParameter) : undefined;
    if (!attempt) {
      // Unknown, expired, already used, started in another browser — or a forged callback.
      log('info', 'callback without a matching sign-in attempt');
      return sendMessage(ctx, 400, messages.unknownSignIn);
    }

    let claims: client.IDToken;
    try {
      claims = await guestpass.finishSignIn(new URL(ctx.originalUrl, publicUrl), attempt);
    } catch (error) {
      const refusal = signInRefusal(error, attempt.sharingId);
      log(refusal.status >= 500 ? 'warn' : 'info', 'sign-in not completed', { sharingId: attempt.sharingId, reason: refusal.reason });
      return sendMessage(ctx, refusal.status, refusal.message);
    }

    const verdict = checkRecipientClaims(claims, attempt.sharingId);
    if (!verdict.ok) {
      log('warn', 'ID token refused', { sharingId: attempt.sharingId, reason: verdict.reason });
      return sendMessage(ctx, 403, messages.claimsRefused(verdict.reason, attempt.sharingId));
    }
    state.saveProof(verdict.recipient);
    log('info', 'recipient signed in', { sharingId: attempt.sharingId, userType: verdict.recipient.userType });
    redirect303(ctx, `/s/${attempt.sharingId}`);
  });

  router.get('/s/:sharingId/download', async (ctx) => {
    const sharingId = ctx.params.sharingId!;
    const state = browserState(ctx);
    const proof = state.proofFor(sharingId);
    if (!proof) return ctx.redirect(`/s/${sharingId}`); // sign in first

    // The proof says who this is; only guestpass knows whether the link still names them.
    const found = await liveLink(sharingId);
    if (!found.ok) {
      state.dropProof(sharingId);
      return sendMessage(ctx, 410, found.reason === 'missing' ? messages.linkDeleted : messages[found.reason]);
    }
    // Reported before serving: a person removed a moment ago is refused here too.
    if (!isRecipient(found.link, proof.email) || !(await guestpass.reportAccess(sharingId, proof.email))) {
      state.dropProof(sharingId);
      return sendMessage(ctx, 403, messages.accessRemoved(proof.email, sharingId));
    }

    ctx.attachment(found.file.name);
    ctx.type = found.file.contentType;
    ctx.body = await catalogue.read(found.file);
    log('info', 'file served', { sharingId, userType: proof.userType });
  });

  /** The link and its file, asked of guestpass now; or why it cannot be opened. */
  async function liveLink(sharingId: string): Promise<{ ok: true; link: Link; file: SharedFile } | { ok: false; reason: 'missing' | 'expired' | 'fileGone' }> {
    const link = await guestpass.findLink(sharingId);
    if (!link) return { ok: false, reason: 'missing' };
    if (link.expiresAt !== undefined && Date.parse(link.expiresAt) <= deps.now()) return { ok: false, reason: 'expired' };
    const file = await catalogue.forResource(link.resource);
    if (!file) return { ok: false, reason: 'fileGone' };
    return { ok: true, link, file };
  }

  return router;
}

function isRecipient(link: Link, email: string): boolean {
  return link.recipients.some((recipient) => recipient.email.trim().toLowerCase() === email);
}

/** fetch's own failure (refused, reset, timed out), which openid-client passes through as a TypeError. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && typeof (error.cause as { code?: unknown } | undefined)?.code === 'string';
}

/** What to tell a person whose sign-in did not come back with a usable ID token. */
function signInRefusal(error: unknown, sharingId: string): { status: number; reason: string; message: Message } {
  const retry = { href: `/s/${sharingId}`, label: 'Open the link again' };
  if (error instanceof client.AuthorizationResponseError) {
    switch (error.error) {
      case 'access_denied':
        return { status: 403, reason: error.error, message: { title: 'Sign-in not completed', text: 'guestpass did not confirm who you are, so the file stays closed. If you stopped the sign-in, you can start it again.', next: retry } };
      case 'login_required':
      case 'interaction_required':
      case 'consent_required':
      case 'account_selection_required':
        return { status: 401, reason: error.error, message: { title: 'Please sign in', text: 'guestpass needs you to confirm your email address before the file can be opened.', next: retry } };
      case 'temporarily_unavailable':
      case 'server_error':
        return { status: 503, reason: error.error, message: messages.unavailable(sharingId) };
      default:
        return { status: 400, reason: error.error, message: { title: 'Sign-in failed', text: `guestpass answered “${error.error}”, so the sign-in could not be completed.`, next: retry } };
    }
  }
  if (error instanceof client.ResponseBodyError) {
    // The token endpoint refused the code: usually used already, or too old.
    return { status: 400, reason: error.error, message: { title: 'This sign-in has expired', text: 'The sign-in took too long or was already used. Open the link again to start a new one.', next: retry } };
  }
  if (error instanceof GuestpassApiError || isNetworkError(error)) {
    return { status: 503, reason: 'unreachable', message: messages.unavailable(sharingId) };
  }
  // A failed check (nonce, issuer, signature): nothing the person can fix but to start again.
  const reason = error instanceof client.ClientError ? error.code ?? 'client_error' : error instanceof Error ? error.name : 'unknown';
  return { status: 400, reason, message: { title: 'We could not confirm your sign-in', text: 'Something in the answer from guestpass did not check out, so the file stays closed. Open the link again to start a new sign-in.', next: retry } };
}

const messages = {
  unknownLink: { title: 'Link not found', text: 'This link does not exist, or it was deleted. Check that you have the whole link, or ask the person who shared it for a new one.' },
  expired: { title: 'This link has expired', text: 'Ask the person who shared it with you to extend it or to share the file again.' },
  fileGone: { title: 'The file is no longer here', text: 'The link still exists, but the file it was made for has been removed. Ask the person who shared it.' },
  linkDeleted: { title: 'This link was deleted', text: 'The person who shared it has deleted the link, so the file can no longer be downloaded with it. Ask them if you still need it.' },
  unknownSignIn: {
    title: 'This sign-in cannot be completed',
    text: 'It may have taken longer than ten minutes, been finished already, or been started in another browser. Open the link you were sent again to start a new one.',
  },
  accessRemoved: (email: string, sharingId: string): Message => ({
    title: 'You no longer have access',
    text: `This link is no longer shared with ${email}. If you think that is a mistake, ask the person who shared it. If you have another address it was shared with, sign in with that one.`,
    next: { href: `/s/${sharingId}`, label: 'Sign in with another address' },
  }),
  claimsRefused: (reason: Extract<ClaimsVerdict, { ok: false }>['reason'], sharingId: string): Message => ({
    title: reason === 'wrong_link' ? 'This sign-in was for a different link' : 'Your address could not be confirmed',
    text:
      reason === 'wrong_link'
        ? 'guestpass confirmed your address for another link, not for this one, so this file stays closed. Open this link again and sign in for it.'
        : 'guestpass did not confirm your email address, so the file stays closed. Open the link again to start a new sign-in.',
    next: { href: `/s/${sharingId}`, label: 'Open the link again' },
  }),
  unavailable: (sharingId: string): Message => ({
    title: 'Sign-in is not available right now',
    text: 'The sign-in service did not answer. Wait a moment and try again.',
    next: { href: `/s/${sharingId}`, label: 'Try again' },
  }),
};
