/**
 * The admin console, `/admin` (docs/console.md): server-rendered pages over the same domain
 * objects the management API calls, each route a list of named steps (`routes/`), the pages in
 * `views/`. Every answer is `no-store` and carries the pages' CSP (forms post only here); errors
 * become a page with the status and the words the API would use.
 */
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import type { Context, Next } from 'koa';

import { ForbiddenError, GuestpassError, isStoreUnavailable } from '../../src/errors.ts';
import { httpStatusOf, storeErrorAsGuestpassError } from '../../src/http/errors.ts';
import { contentSecurityPolicy, noStore } from '../../src/http/security_headers.ts';
import type { ConsoleDeps } from './context.ts';
import { exportAudit, showAudit } from './routes/audit.ts';
import { deleteClient, issueInitialAccessToken, registerClient, rotateClientSecret, showClient, showClients } from './routes/clients.ts';
import { changeExpiry, deleteLink, listLinks, removeRecipient, showLink } from './routes/links.ts';
import { showOverview } from './routes/overview.ts';
import { deletePerson, invite, listPeople, revokeSessions, setDisabled, showPerson } from './routes/people.ts';
import { downloadSharingReport, showSharingReport } from './routes/reports.ts';
import { saveSettings, showSettings } from './routes/settings.ts';
import { finishSignIn, showSignedOut, signOut, startSignIn } from './routes/sign_in.ts';
import { consoleErrorPage } from './views/error.ts';

export type { ConsoleDeps } from './context.ts';

export function consoleRouter(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/admin' });
  router.use(noStore, consolePageSecurity, renderConsoleErrors(deps));

  router.get('/sign-in', ...startSignIn(deps));
  router.get('/callback', ...finishSignIn(deps));
  router.post('/sign-out', ...signOut(deps));
  router.get('/signed-out', ...showSignedOut(deps));

  router.get('/', ...showOverview(deps));
  router.get('/links', ...listLinks(deps));
  router.get('/links/:sharingId', ...showLink(deps));
  router.post('/links/:sharingId/expiry', ...changeExpiry(deps));
  router.post('/links/:sharingId/remove-recipient', ...removeRecipient(deps));
  router.post('/links/:sharingId/delete', ...deleteLink(deps));
  router.get('/people', ...listPeople(deps));
  router.post('/people/invite', ...invite(deps));
  router.get('/people/:personId', ...showPerson(deps));
  router.post('/people/:personId/disable', ...setDisabled(deps, true));
  router.post('/people/:personId/enable', ...setDisabled(deps, false));
  router.post('/people/:personId/revoke-sessions', ...revokeSessions(deps));
  router.post('/people/:personId/delete', ...deletePerson(deps));
  router.get('/reports/external-sharing', ...showSharingReport(deps));
  router.get('/reports/external-sharing.csv', ...downloadSharingReport(deps, 'csv'));
  router.get('/reports/external-sharing.ndjson', ...downloadSharingReport(deps, 'ndjson'));
  router.get('/audit', ...showAudit(deps));
  router.get('/audit/export', ...exportAudit(deps));
  router.get('/clients', ...showClients(deps));
  router.post('/clients/register', ...registerClient(deps));
  router.post('/clients/initial-access-tokens', ...issueInitialAccessToken(deps));
  router.get('/clients/:clientId', ...showClient(deps));
  router.post('/clients/:clientId/rotate-secret', ...rotateClientSecret(deps));
  router.post('/clients/:clientId/delete', ...deleteClient(deps));
  router.get('/settings', ...showSettings(deps));
  router.post('/settings', ...saveSettings(deps));
  return router;
}

/** The console's stylesheet and script, read once at start-up, outside the /admin router's session rules. */
export function consoleAssetsRouter(): Router {
  const router = new Router();
  for (const [name, type] of [['admin.css', 'text/css; charset=utf-8'], ['admin.js', 'text/javascript; charset=utf-8']] as const) {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
    router.get(`/admin/assets/${name}`, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  }
  return router;
}

/** Forms post only here; the provider's own pages (sign-in, logout) are where links lead. */
async function consolePageSecurity(ctx: Context, next: Next): Promise<void> {
  ctx.set('Content-Security-Policy', contentSecurityPolicy([]));
  await next();
}

function renderConsoleErrors(deps: ConsoleDeps) {
  return async function renderConsoleError(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (caught) {
      const error = storeErrorAsGuestpassError(caught);
      const user = ctx.state.consoleUser;
      const page = (status: number, title: string, message: string) => {
        ctx.status = status;
        ctx.type = 'html';
        // Back to where the form was: the page the action belongs to.
        const back = ctx.method === 'POST' ? ctx.path.replace(/\/[^/]+$/, '') : undefined;
        ctx.body = consoleErrorPage(deps.organizationName, user, title, message, back);
      };
      if (error instanceof ForbiddenError) {
        deps.logger.info({ path: ctx.path, reason: error.message }, 'console request refused');
        return page(403, 'Not allowed', error.message);
      }
      if (error instanceof GuestpassError && httpStatusOf(error) < 500) return page(httpStatusOf(error), 'That did not work', error.message);
      if (isStoreUnavailable(caught) || (error instanceof GuestpassError && httpStatusOf(error) === 503)) {
        ctx.set('Retry-After', '5');
        return page(503, 'Try again in a moment', 'the store is unavailable');
      }
      deps.logger.error({ err: caught, path: ctx.path }, 'console request failed');
      page(500, 'Something went wrong', 'something went wrong on our side; the log says what');
    }
  };
}
