/**
 * The file host's HTTP plumbing: security headers, the request log, friendly error pages, and
 * the checks every owner form goes through before its handler runs.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import type { z } from 'zod';

import type { BrowserState } from './browser_state.ts';
import { GuestpassApiError } from './guestpass_client.ts';
import { loggablePath, type Log } from './log.ts';
import { messagePage, type Message } from './pages.ts';

/**
 * Pages load styles only from here, post forms only here, may be framed by nobody and leak no
 * referrer (a `/s/<id>` address or the callback's query must not reach another site). Every
 * page is personal, so none is cached.
 */
export function securityHeaders({ https }: { https: boolean }) {
  return async function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
    if (https) {
      ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
      // The public URL is https, so TLS ends in front of this process: cookies may be Secure.
      ctx.cookies.secure = true;
    }
    await next();
  };
}

export function requestLog(log: Log) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      log(ctx.status >= 500 ? 'warn' : 'info', 'request', { method: ctx.method, path: loggablePath(ctx.originalUrl), status: ctx.status, ms: Math.round(performance.now() - started) });
    }
  };
}

/** Anything that goes wrong ends on a page that says what happened; never a stack trace. */
export function errorPages(log: Log) {
  return async function renderErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendMessage(ctx, 404, { title: 'Page not found', text: 'There is nothing at this address.', next: { href: '/', label: 'Go to the start page' } });
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: boolean }).expose) {
        // koa and the body parser throw these for bodies that are too large or malformed.
        sendMessage(ctx, status, { title: 'That request could not be read', text: 'Go back, reload the page and try again.' });
        return;
      }
      if (error instanceof GuestpassApiError && error.status >= 500) {
        log('warn', 'guestpass unavailable', { path: loggablePath(ctx.originalUrl), during: error.during });
        sendMessage(ctx, 503, { title: 'Not available right now', text: 'The sign-in service this site relies on did not answer. Wait a moment and try again.', next: { href: ctx.path, label: 'Try again' } });
        return;
      }
      if (error instanceof GuestpassApiError) {
        // The host itself is not let in (wrong secret, missing scope): an operator's problem, not the visitor's.
        log('error', 'guestpass refused the file host', { path: loggablePath(ctx.originalUrl), during: error.during, status: error.status, error: error.error });
      } else {
        log('error', 'request failed', { path: loggablePath(ctx.originalUrl), error: error instanceof Error ? error.name : 'unknown' });
      }
      sendMessage(ctx, 500, { title: 'Something went wrong', text: 'Something went wrong on our side. Try again in a moment.', next: { href: '/', label: 'Go to the start page' } });
    }
  };
}

export function sendPage(ctx: Context, status: number, page: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = page;
}

export function sendMessage(ctx: Context, status: number, message: Message): void {
  sendPage(ctx, status, messagePage(message));
}

/** Post/redirect/get: every POST answers 303, so reloading the next page sends nothing again. */
export function redirect303(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

/** The form's fields, parsed with the route's schema; a form that does not fit is a 400 page. */
export function readForm<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const result = schema.safeParse(ctx.request.body);
  if (!result.success) throw Object.assign(new Error('the form does not have the expected fields'), { status: 400, expose: true });
  return result.data;
}

export const parseForm = bodyParser({
  enableTypes: ['form'],
  formLimit: '32kb',
  onError: () => {
    throw Object.assign(new Error('the form could not be read'), { status: 400, expose: true });
  },
});

/**
 * The owner forms' guard, in two parts: a POST that a browser says came from another site is
 * refused outright (`Sec-Fetch-Site`, `Origin`), and every POST must carry the CSRF token of its
 * page. Either alone stops the classic attack; together they also cover old browsers and
 * sibling subdomains that can set cookies.
 */
export function ownerFormGuard({ publicOrigin, browserState }: { publicOrigin: string; browserState: (ctx: Context) => BrowserState }) {
  return async function checkOwnerForm(ctx: Context, next: Next): Promise<void> {
    const site = ctx.get('sec-fetch-site');
    const origin = ctx.get('origin');
    // Our pages are Referrer-Policy: no-referrer, so browsers send `Origin: null` with their own
    // forms: `null` says nothing either way (Sec-Fetch-Site and the token decide).
    const crossSite = site === 'cross-site' || site === 'same-site' || (origin !== '' && origin !== 'null' && origin !== publicOrigin);
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (crossSite || !browserState(ctx).isCsrfTokenValid(token)) {
      sendMessage(ctx, 403, { title: 'This form has expired', text: 'The form was sent without its security token, or from another site, so nothing was changed. Go back, reload the page and try again.', next: { href: '/', label: 'Go to your files' } });
      return;
    }
    await next();
  };
}
