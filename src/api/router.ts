/**
 * The management API, `/api/v1` (SPEC §6): JSON in and out, a bearer token on every request,
 * every body and query parsed with zod, every error `{error, error_description}`.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { JWK } from 'jose';

import type { AuditStore } from '../../adapters/store.ts';
import type { AuditLog } from '../audit.ts';
import type { Invitations } from '../invitations.ts';
import type { People } from '../people.ts';
import type { StorePolicySource } from '../policy.ts';
import type { Sessions } from '../sessions.ts';
import { Directory } from '../directory.ts';
import { directoryRoutes } from './directory_routes.ts';
import { settingsRoutes } from './settings_routes.ts';
import type { Clients } from '../clients.ts';
import { keysRoutes } from './keys_routes.ts';
import type { ManagedKeys } from '../keyring/managed_keys.ts';
import type { Clock } from '../clock.ts';
import type { Links } from '../links.ts';
import type { Logger } from '../log.ts';
import { auditRoutes } from './audit_routes.ts';
import { bearerAuth } from './auth.ts';
import { clientsRoutes } from './clients_routes.ts';
import { InvalidRequestError, MethodNotAllowedError, NotFoundError, RequestTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';
import { apiErrors } from './errors.ts';
import { requestOrigin } from '../http/request_origin.ts';
import { linksRoutes } from './links_routes.ts';
import { reportsRoutes } from './reports_routes.ts';

export interface ApiDeps {
  issuer: string;
  jwks: { keys: JWK[] };
  /** Managed keys; undefined with static keys. */
  keyring?: ManagedKeys | undefined;
  store: Pick<AuditStore, 'listAudit'>;
  links: Links;
  people: People;
  invitations: Invitations;
  sessions: Sessions;
  policy: StorePolicySource;
  audit: AuditLog;
  /** Relying parties at runtime; without it, /clients and /initial-access-tokens are not served. */
  clients?: Clients;
  clock: Clock;
  logger: Logger;
}

/** Everything under /api: the v1 routes, and a JSON 404 for any other path there. */
export function apiMiddleware(deps: ApiDeps) {
  const router = apiRouter(deps);
  const routes = router.routes();
  const errors = apiErrors(deps.logger);
  // Nothing answered: a known path with another method is a 405 naming the allowed ones, anything else a 404.
  const unanswered = (ctx: Context) => async () => {
    const allowed = new Set(router.stack.filter((layer) => layer.methods.length > 0 && layer.match(ctx.path)).flatMap((layer) => layer.methods));
    if (allowed.size > 0) throw new MethodNotAllowedError(ctx.method, [...allowed]);
    throw new NotFoundError('no such endpoint');
  };
  // Not async: every request outside /api passes through here (bench/README.md, round 8).
  return function api(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/api' && !ctx.path.startsWith('/api/')) return next();
    return errors(ctx, () => routes(ctx as never, unanswered(ctx)));
  };
}

export function apiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/api/v1' });
  const parseJson = bodyParser({
    enableTypes: ['json'],
    jsonLimit: '256kb',
    encoding: 'utf-8',
    onError(error) {
      if ((error as { status?: number }).status === 413) throw new RequestTooLargeError('the body is larger than 256 kB');
      throw new InvalidRequestError('the body is not valid JSON');
    },
  });
  router.use(requireJsonBody, parseJson, bearerAuth(deps));
  linksRoutes(router, deps.links, requestOrigin);
  auditRoutes(router, deps.store);
  reportsRoutes(router, deps.links, deps.clock);
  directoryRoutes(router, { people: deps.people, invitations: deps.invitations, directory: new Directory(deps), origin: requestOrigin });
  settingsRoutes(router, { policy: deps.policy, audit: deps.audit, origin: requestOrigin });
  if (deps.clients) clientsRoutes(router, deps.clients, requestOrigin);
  keysRoutes(router, { keyring: deps.keyring, audit: deps.audit, origin: requestOrigin });
  return router;
}

async function requireJsonBody(ctx: Context, next: Next): Promise<void> {
  if (['POST', 'PUT', 'PATCH'].includes(ctx.method) && ctx.request.length && !ctx.is('application/json')) {
    throw new UnsupportedMediaTypeError('send the body as application/json');
  }
  await next();
}
