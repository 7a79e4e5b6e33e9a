/**
 * oidc-provider finishes an interaction at `GET /auth/:uid` ("resume") and issues an
 * authorization code there. Two parallel resumes of one interaction would each issue one, so
 * exactly one is let through (a slot in the store is the gate); the others get the page an
 * expired sign-in gets. A resume that fails on our side (5xx) frees the slot for a retry.
 */
import type { Context, Next } from 'koa';

import type { Store } from '../../adapters/store.ts';
import { errorPage } from '../../interactions/views/pages.ts';
import type { Clock } from '../clock.ts';
import { isStoreUnavailable } from '../errors.ts';
import { messagesFor, negotiateLocale } from '../i18n/index.ts';

const resumePath = /^\/auth\/([A-Za-z0-9_-]{1,64})$/;
/** Longer than any interaction lives. */
const gateSeconds = 2 * 60 * 60;

export function resumeOnce(store: Store, clock: Clock, organizationName: string) {
  return async function resumeOnlyOnce(ctx: Context, next: Next): Promise<void> {
    const uid = ctx.method === 'GET' ? resumePath.exec(ctx.path)?.[1] : undefined;
    if (!uid) return next();
    const key = `resume:${uid}`;
    const locale = negotiateLocale({ acceptLanguage: ctx.get('accept-language') });
    const t = messagesFor(locale);
    const page = (status: number, message: string) => {
      ctx.status = status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = errorPage({ locale, t, organizationName }, { message });
    };
    let claimed: boolean;
    try {
      claimed = (await store.claimSlot(key, gateSeconds, clock.now())).claimed;
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      ctx.set('Retry-After', '5');
      return page(503, t.error.unavailable);
    }
    if (!claimed) return page(400, t.error.expired);
    let failed = true;
    try {
      await next();
      failed = ctx.status >= 500;
    } finally {
      if (failed) await store.releaseSlot(key).catch(() => undefined);
    }
  };
}
