/**
 * `GET /federation/:id/callback` — each work provider's redirect URI (SPEC §1b). The browser
 * carries no interaction cookie here (that cookie belongs to /interaction/<uid>), so this only
 * finds which sign-in the state names and hands the response to it, where the state is used up
 * and the code redeemed (see the federation return route).
 */
import Router from '@koa/router';

import { errorPage } from '../views/pages.ts';
import type { PageBranding } from '../../src/branding.ts';
import type { Federation } from '../../src/federation.ts';
import { messagesFor, negotiateLocale } from '../../src/i18n/index.ts';
import { noStore } from '../../src/http/security_headers.ts';

export function federationCallbackRouter(federation: Federation, branding: PageBranding): Router {
  const router = new Router();
  router.get('/federation/:provider/callback', noStore, async (ctx) => {
    const entry = federation.byId(String(ctx.params.provider));
    const state = typeof ctx.query.state === 'string' ? await federation.peekState(ctx.query.state) : undefined;
    if (!entry || !state || state.providerId !== entry.id) {
      const locale = negotiateLocale({ acceptLanguage: ctx.get('accept-language') });
      const t = messagesFor(locale);
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage({ locale, t, ...branding }, { message: t.error.expired });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${state.interactionUid}/federation/${entry.id}?${ctx.querystring}`);
  });
  return router;
}
