/**
 * The pages oidc-provider shows itself — its error page, the "sign out?" question and the
 * signed-out page — in the person's language, with our layout. `src/provider.ts` takes them as
 * `ProviderPages`, so the provider's configuration holds no HTML.
 */
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { PageBranding } from '../../src/branding.ts';
import { messagesFor, negotiateLocale } from '../../src/i18n/index.ts';
import type { ProviderPages } from '../../src/provider.ts';
import { errorPage, loggedOutPage, logoutPage } from './pages.ts';

export function providerPages(branding: PageBranding): ProviderPages {
  const frameFor = (ctx: KoaContextWithOIDC) => {
    const locale = negotiateLocale({ uiLocales: ctx.oidc?.params?.ui_locales, acceptLanguage: ctx.get('accept-language') });
    return { locale, t: messagesFor(locale), ...branding };
  };
  return {
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      ctx.body = logoutPage(frameFor(ctx), { form, organizationName: branding.organizationName });
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = loggedOutPage(frameFor(ctx));
    },
    async renderError(ctx, out, error) {
      const frame = frameFor(ctx);
      const { t } = frame;
      const message =
        out.error === 'temporarily_unavailable'
          ? t.error.unavailable
          : error instanceof errors.SessionNotFound
            ? t.error.expired
            : out.error === 'server_error'
              ? t.error.generic
              : t.error.invalidRequest;
      ctx.type = 'html';
      ctx.body = errorPage(frame, { message, details: out.error === 'server_error' ? undefined : { error: String(out.error), description: out.error_description as string | undefined } });
    },
  };
}
