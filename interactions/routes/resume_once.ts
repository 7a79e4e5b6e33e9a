/**
 * oidc-provider finishes an interaction at `GET /auth/:uid` ("resume") and issues an
 * authorization code there. Two parallel resumes of one interaction would each issue one, so
 * one at a time is let through (a slot in the store is the gate) and the others get the page
 * an expired sign-in gets. The slot stays taken only once a resume has completed (answered with
 * a redirect); a resume that answered otherwise — oidc-provider's form that first signs out the
 * previous account when someone switches accounts, or an error — frees it, so the legitimate
 * next resume of that interaction gets through. The gate's claim reads the interaction in the
 * same store step (`claimSlotAndFindModel`), which oidc-provider then finds in the request cache.
 */
import type { Context, Next } from 'koa';

import { rememberModel } from '../../adapters/oidc_adapter.ts';
import type { CounterStore, OidcModelStore } from '../../adapters/store.ts';
import { errorPage } from '../views/pages.ts';
import type { PageBranding } from '../../src/branding.ts';
import type { Clock } from '../../src/clock.ts';
import { isStoreUnavailable } from '../../src/errors.ts';
import { messagesFor, negotiateLocale } from '../../src/i18n/index.ts';

const resumePath = /^\/auth\/([A-Za-z0-9_-]{1,64})$/;
/** Longer than any interaction lives. */
const gateSeconds = 2 * 60 * 60;

export function resumeOnce(store: Pick<OidcModelStore, 'claimSlotAndFindModel'> & Pick<CounterStore, 'releaseSlot'>, clock: Clock, branding: PageBranding) {
  // Every other request passes straight on: no async function's promises for it (bench/README.md, round 8).
  return function resumeOnlyOnce(ctx: Context, next: Next): Promise<void> {
    const uid = ctx.method === 'GET' ? resumePath.exec(ctx.path)?.[1] : undefined;
    return uid ? resume(ctx, next, uid) : next();
  };

  async function resume(ctx: Context, next: Next, uid: string): Promise<void> {
    const key = `resume:${uid}`;
    const locale = negotiateLocale({ acceptLanguage: ctx.get('accept-language') });
    const t = messagesFor(locale);
    const page = (status: number, message: string) => {
      ctx.status = status;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = errorPage({ locale, t, ...branding }, { message });
    };
    let claimed: boolean;
    try {
      const claim = await store.claimSlotAndFindModel({ key, ttlSeconds: gateSeconds, now: clock.now() }, 'Interaction', uid);
      claimed = claim.claimed;
      if (claimed) rememberModel('Interaction', uid, claim.payload);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      ctx.set('Retry-After', '5');
      return page(503, t.error.unavailable);
    }
    if (!claimed) return page(400, t.error.expired);
    let completed = false;
    try {
      await next();
      completed = ctx.status >= 300 && ctx.status < 400;
    } finally {
      if (!completed) await store.releaseSlot(key).catch(() => undefined);
    }
  }
}
