/** `GET /healthz`: the process is alive. `GET /readyz`: it can reach its store, so it can serve. */
import Router from '@koa/router';

import type { Store } from '../../adapters/store.ts';

export function healthRouter(store: Store): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await store.ping();
      ctx.body = { status: 'ready', store: store.kind };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'temporarily_unavailable', error_description: 'the store does not answer' };
    }
  });
  return router;
}
