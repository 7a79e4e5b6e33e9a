/**
 * The named steps console routes are made of. Every page needs a console session
 * (`loadConsoleSession`), re-checked on each request; every change needs the `admin` role
 * (`requireAdmin`), checked here on the server whatever the page showed; every form is accepted
 * only from this site with the session's CSRF token (`acceptConsoleForm`).
 */
import type { Context } from 'koa';
import type { z } from 'zod';

import { ForbiddenError, InvalidRequestError } from '../../src/errors.ts';
import { describeZodError } from '../../src/api/errors.ts';
import { csrfForm, parseForm, rejectCrossSite, sameToken, type Step } from '../routes/steps.ts';
import { redirect303 } from '../routes/context.ts';
import { consoleUserOf, type ConsoleDeps } from './context.ts';
import { currentUser, endSession } from './session.ts';
import { sessionEndedPage } from './views/sign_in.ts';

export type { Step } from '../routes/steps.ts';

declare module 'koa' {
  interface DefaultState {
    /** Set by `checkConsoleForm`: the posted form, parsed by the route's schema. */
    consoleForm?: unknown;
  }
}

/** The console user, re-checked; a page without one goes to sign-in, a form without one gets a page saying the session ended. */
export function loadConsoleSession(deps: ConsoleDeps): Step {
  return async function loadConsoleSession(ctx, next) {
    const user = await currentUser(ctx, deps);
    if (!user) {
      endSession(ctx);
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return redirect303(ctx, `/admin/sign-in?return_to=${encodeURIComponent(ctx.originalUrl)}`);
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = sessionEndedPage(deps.organizationName);
      return;
    }
    ctx.state.consoleUser = user;
    return next();
  };
}

/** Changes are for admins: an auditor's form is refused here, whatever the page offered. */
export const requireAdmin: Step = function requireAdmin(ctx, next) {
  if (consoleUserOf(ctx).role !== 'admin') throw new ForbiddenError('auditors can read everything in the console but change nothing');
  return next();
};

/** The CSRF token first (403 when wrong), then the route's own fields (400 naming them). */
export function checkConsoleForm(schema: z.ZodType<{ csrf: string }>): Step {
  return function checkConsoleForm(ctx, next) {
    const body = ctx.request.body;
    const csrf = csrfForm.safeParse(body);
    if (!csrf.success || !sameToken(csrf.data.csrf, consoleUserOf(ctx).csrf)) throw new ForbiddenError('missing or wrong CSRF token');
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new InvalidRequestError(`the form: ${describeZodError(parsed.error)}`);
    ctx.state.consoleForm = parsed.data;
    return next();
  };
}

export function consoleFormOf<T>(ctx: Context, _schema: { parse(input: unknown): T }): T {
  if (ctx.state.consoleForm === undefined) throw new Error('checkConsoleForm must run before this step');
  return ctx.state.consoleForm as T;
}

/** What every console form goes through before it changes anything. */
export function acceptConsoleForm(deps: ConsoleDeps, schema: z.ZodType<{ csrf: string }>): Step[] {
  return [parseForm, rejectCrossSite(deps.issuer), loadConsoleSession(deps), checkConsoleForm(schema), requireAdmin];
}

/** A read-only page: a session is enough, auditor or admin. */
export function consolePage(deps: ConsoleDeps): Step[] {
  return [loadConsoleSession(deps)];
}
