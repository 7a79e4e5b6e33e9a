/**
 * The sign-in's error edge: people get a page in their language, with the status the error's
 * code stands for (`src/http/errors.ts`); nothing they did wrong becomes a 500.
 */
import type { Context, Next } from 'koa';
import { errors } from 'oidc-provider';

import { TemporarilyUnavailable } from '../../adapters/oidc_adapter.ts';
import type { PageBranding } from '../../src/branding.ts';
import { ForbiddenError, InvalidRequestError, isStoreUnavailable } from '../../src/errors.ts';
import { httpStatusOf } from '../../src/http/errors.ts';
import { messagesFor } from '../../src/i18n/index.ts';
import type { Logger } from '../../src/log.ts';
import { errorPage } from '../views/pages.ts';
import { localeOf } from './context.ts';

export function renderInteractionErrors(deps: { logger: Logger; branding: { page: PageBranding } }) {
  return async function renderInteractionError(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const locale = localeOf(ctx);
      const t = messagesFor(locale);
      const page = (status: number, message: string, details?: { error: string; description?: string }) => {
        ctx.status = status;
        ctx.type = 'html';
        ctx.body = errorPage({ locale, t, ...deps.branding.page }, { message, details });
      };
      // A form this page cannot take: the person gets a page saying so; the log says why.
      if (error instanceof InvalidRequestError || error instanceof ForbiddenError) {
        deps.logger.info({ path: ctx.path, reason: error.message }, 'interaction form rejected');
        return page(httpStatusOf(error), error instanceof ForbiddenError ? t.error.forbidden : t.error.invalidRequest);
      }
      if (error instanceof errors.SessionNotFound) return page(400, t.error.expired);
      if (isStoreUnavailable(error) || error instanceof TemporarilyUnavailable) {
        ctx.set('Retry-After', '5');
        return page(503, t.error.unavailable);
      }
      if (error instanceof errors.OIDCProviderError && error.status < 500) {
        return page(error.status, t.error.invalidRequest, { error: error.message, description: (error as { error_description?: string }).error_description });
      }
      deps.logger.error({ err: error, path: ctx.path }, 'interaction failed');
      page(500, t.error.generic);
    }
  };
}
