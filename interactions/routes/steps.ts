/**
 * The named steps interaction routes are made of, in the manner of oidc-provider's
 * `lib/actions`: each does one thing, leaves what it found on `ctx.state`, and calls the next.
 *
 * Every POST must carry the interaction's CSRF token and must not come from another site
 * (`Sec-Fetch-Site` / `Origin`); oidc-provider's interaction cookie, `SameSite=Lax`, already ties
 * the interaction to the browser that started it.
 */
import { timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import type { RouterMiddleware } from '@koa/router';
import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';
import { z } from 'zod';

import { maskEmail } from '../../src/emails.ts';
import { ForbiddenError, InvalidRequestError, RecordChangedError, UnexpectedStepError } from '../../src/errors.ts';
import { signInPurpose } from '../../src/sign_in_purpose.ts';
import type { SignInRecord } from '../sign_in/state.ts';
import { noAccessPage } from '../views/pages.ts';
import { interactionOf, interactionPath, pageFrame, presentedInvitation, redirect303, signInOf, uidParam, type InteractionDeps, type RouteDeps } from './context.ts';

export type Step = RouterMiddleware;

/** The prompts whose interaction is a sign-in (the state machine); consent is answered without a page. */
const signInPrompts = new Set(['login', 'select_account']);
const uidPattern = /^[A-Za-z0-9_-]{1,64}$/;

export const csrfForm = z.object({ csrf: z.string().min(1).max(256) });

/** `:uid` is checked before anything reads it. */
export function checkUid(uid: string, _ctx: unknown, next: Next) {
  if (!uidPattern.test(uid)) throw new errors.SessionNotFound('malformed interaction id');
  return next();
}

/**
 * Refuses a form posted from another site. Our pages send `Referrer-Policy: no-referrer`, under
 * which browsers send `Origin: null` even for a page's own forms, so `null` is accepted unless
 * `Sec-Fetch-Site` says the post is cross-site (a sandboxed frame elsewhere also says `null`).
 * The CSRF token and SameSite=Lax cookies stand behind this check either way.
 */
export function rejectCrossSite(issuer: string): Step {
  const ownOrigin = new URL(issuer).origin;
  return function rejectCrossSitePost(ctx, next) {
    const site = ctx.get('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') throw new ForbiddenError('the form was posted from another site');
    const requestOrigin = ctx.get('origin');
    if (requestOrigin && requestOrigin !== 'null' && requestOrigin !== ownOrigin) throw new ForbiddenError('the form was posted from another origin');
    return next();
  };
}

export const parseForm: Step = bodyParser({
  enableTypes: ['form'],
  formLimit: '8kb',
  onError: () => {
    throw new InvalidRequestError('the form could not be read');
  },
});

/** The interaction this browser's cookie names, which must be the one in the path. */
export function loadInteraction(deps: Pick<InteractionDeps, 'provider'>): Step {
  return async function loadInteraction(ctx, next) {
    const details = await deps.provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uidParam(ctx)) throw new errors.SessionNotFound('interaction cookie does not match this page');
    ctx.state.interaction = details;
    return next();
  };
}

/** A sign-in form is taken only while the interaction asks for a sign-in. */
export const requireSignInPrompt: Step = function requireSignInPrompt(ctx, next) {
  if (!isSignInPrompt(interactionOf(ctx).prompt.name)) throw new InvalidRequestError('this interaction does not take a sign-in form');
  return next();
};

export function isSignInPrompt(name: string): boolean {
  return signInPrompts.has(name);
}

/** The sign-in record of the interaction, created at its first page. */
export function loadSignIn(deps: Pick<InteractionDeps, 'flow'>): Step {
  return async function loadSignIn(ctx, next) {
    const details = interactionOf(ctx);
    const { params } = details;
    ctx.state.signIn =
      (await deps.flow.read(details.uid)) ??
      (await deps.flow.start({
        uid: details.uid,
        clientId: String(params.client_id),
        sharingId: typeof params.sharing_id === 'string' ? params.sharing_id : undefined,
        loginHint: typeof params.login_hint === 'string' ? params.login_hint.slice(0, 254) : undefined,
        expiresAt: details.exp * 1000,
        sessionAccountId: details.session?.accountId,
        prompt: details.prompt,
      }));
    return next();
  };
}

/** The CSRF token first (403 when wrong), then the route's own fields (400 when incomplete). */
export function checkForm(schema: z.ZodType<{ csrf: string }>): Step {
  return function checkForm(ctx, next) {
    const body = ctx.request.body;
    const csrf = csrfForm.safeParse(body);
    if (!csrf.success || !sameToken(csrf.data.csrf, signInOf(ctx).csrf)) throw new ForbiddenError('missing or wrong CSRF token');
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError('the form is incomplete');
    ctx.state.form = parsed.data;
    return next();
  };
}

/** What every sign-in form goes through before its event. */
export function acceptSignInForm(deps: RouteDeps, schema: z.ZodType<{ csrf: string }>): Step[] {
  return [parseForm, rejectCrossSite(deps.issuer), loadInteraction(deps), requireSignInPrompt, loadSignIn(deps), checkForm(schema)];
}

/**
 * A step that runs one event of the state machine, named after the event. When another request
 * moved the sign-in on meanwhile (a double click, a second tab), it goes by where the sign-in
 * stands now rather than by what this request read.
 */
export function signInEvent(deps: Pick<InteractionDeps, 'flow'>, event: (ctx: Context, record: SignInRecord) => Promise<SignInRecord>): Step {
  const step: Step = async (ctx, next) => {
    const record = signInOf(ctx);
    try {
      ctx.state.signIn = await event(ctx, record);
    } catch (error) {
      if (!(error instanceof UnexpectedStepError || error instanceof RecordChangedError)) throw error;
      const now = (await deps.flow.read(record.uid)) ?? record;
      if (error instanceof UnexpectedStepError && now.step.name !== 'verified') await deps.flow.notify(now, { kind: 'step_unavailable' });
      ctx.state.signIn = now;
    }
    return next();
  };
  return Object.defineProperty(step, 'name', { value: event.name });
}

/** After an event: a verified sign-in is finished; any other shows its page (post/redirect/get). */
export function showWhereSignInStands(deps: RouteDeps): Step {
  return async function showWhereSignInStands(ctx) {
    if (signInOf(ctx).step.name === 'verified') return finishSignIn(ctx, deps);
    redirect303(ctx, interactionPath(interactionOf(ctx).uid));
  };
}

/** The sign-in is verified: back to the relying party, or a page saying this link is not the person's. */
export async function finishSignIn(ctx: Context, deps: RouteDeps): Promise<void> {
  const details = interactionOf(ctx);
  const record = signInOf(ctx);
  const finished = await deps.finish.login(ctx, details, record, async () => (await presentedInvitation(ctx, deps, details))?.invitationId);
  if (finished.kind === 'redirect') return redirect303(ctx, finished.to);
  if (finished.kind === 'access_removed') {
    await deps.flow.removeAccess(record).catch((error: unknown) => {
      if (!(error instanceof RecordChangedError)) throw error;
    });
    return redirect303(ctx, interactionPath(details.uid));
  }
  const frame = await pageFrame(ctx, deps, details, record);
  ctx.status = 403;
  ctx.type = 'html';
  ctx.body = noAccessPage(frame, { uid: details.uid, csrf: record.csrf, maskedEmail: maskEmail(finished.email), action: 'restart', purpose: signInPurpose(record) });
}

/** Compares a posted token with the expected one in constant time (the admin console's forms too). */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
