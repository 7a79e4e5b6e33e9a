/**
 * `GET /healthz`: the process is alive. `GET /readyz`: it can reach its store and its
 * configuration holds, so it can serve. A federation entry refused because its provider states
 * another issuer fails readiness on purpose (a rolling deployment with that mistake stops before
 * it replaces working instances); the instance itself goes on serving, email codes included.
 * The answer names the entry only: probes are often reachable from outside, and a configured
 * issuer may be an internal address. The log line has both issuers.
 */
import Router from '@koa/router';

import type { Store } from '../../adapters/store.ts';
import type { IssuerMismatch } from '../federation.ts';

export function healthRouter(store: Pick<Store, 'ping' | 'kind'>, federationProblems: () => IssuerMismatch[] = () => []): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const federation = federationProblems().map(({ id, problem }) => ({ id, problem }));
    const detail = federation.length > 0 ? { federation } : {};
    try {
      await store.ping();
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'temporarily_unavailable', error_description: 'the store does not answer', ...detail };
      return;
    }
    if (federation.length > 0) {
      ctx.status = 503;
      ctx.body = {
        status: 'unavailable',
        store: store.kind,
        error: 'federation_misconfigured',
        error_description: `${federation.map((problem) => `federation entry "${problem.id}"`).join(', ')}: the provider states another issuer than the configured one (the log has both)`,
        ...detail,
      };
      return;
    }
    ctx.body = { status: 'ready', store: store.kind };
  });
  return router;
}
