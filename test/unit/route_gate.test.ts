/**
 * `routesOf` (src/http/route_gate.ts): a router is skipped for a path none of its routes could
 * match, and answers every path it answered before — in any case, with a trailing slash, with
 * parameters, routes added after mounting, and routers whose paths it cannot tell apart.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';

import { routeStarts, routesOf } from '../../src/http/route_gate.ts';

function appWith(router: Router) {
  const app = new Koa();
  app.use(routesOf(router));
  // What reaches the end: whether a router looked at the request on the way (it marks `matched`).
  app.use((ctx) => {
    ctx.body = { fellThrough: true, routerLooked: (ctx as { matched?: unknown }).matched !== undefined };
  });
  return app.callback();
}

function pagesRouter(): Router {
  const router = new Router({ prefix: '/pages' });
  router.use((ctx, next) => {
    ctx.set('X-Used', 'yes');
    return next();
  });
  router.get('/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/:id/save', (ctx) => {
    ctx.body = { saved: ctx.params.id };
  });
  return router;
}

describe('routers looked at only for paths their routes could match', () => {
  it('passes any other path straight on, without the router marking the request', async () => {
    const server = appWith(pagesRouter());
    for (const path of ['/token', '/auth/abc', '/page', '/other/pages/1']) {
      const response = await request(server).get(path).expect(200);
      expect(response.body, path).to.deep.equal({ fellThrough: true, routerLooked: false });
    }
  });

  it('answers every path its routes match, in any case and with a trailing slash, with its own middleware', async () => {
    const server = appWith(pagesRouter());
    expect((await request(server).get('/pages/42').expect(200).expect('X-Used', 'yes')).body).to.deep.equal({ id: '42' });
    expect((await request(server).get('/PAGES/42/').expect(200)).body).to.deep.equal({ id: '42' });
    expect((await request(server).post('/Pages/7/save').expect(200)).body).to.deep.equal({ saved: '7' });
    // A path under its routes with another method: the router looks, finds nothing, passes it on.
    expect((await request(server).delete('/pages/7').expect(200)).body).to.deep.equal({ fellThrough: true, routerLooked: true });
  });

  it('serves routes added after it was mounted', async () => {
    const router = new Router();
    router.get('/first', (ctx) => {
      ctx.body = { first: true };
    });
    const server = appWith(router);
    await request(server).get('/later').expect(200, { fellThrough: true, routerLooked: false });
    router.get('/later', (ctx) => {
      ctx.body = { later: true };
    });
    await request(server).get('/later').expect(200, { later: true });
  });

  it('always asks a router whose routes may match any path', async () => {
    const atRoot = new Router();
    atRoot.get('/:anything', (ctx) => {
      ctx.body = { anything: ctx.params.anything };
    });
    expect(routeStarts(atRoot)).to.equal(undefined);
    await request(appWith(atRoot)).get('/token').expect(200, { anything: 'token' });

    const byPattern = new Router();
    byPattern.get(/^\/t.ken$/, (ctx) => {
      ctx.body = { pattern: true };
    });
    expect(routeStarts(byPattern)).to.equal(undefined);
    await request(appWith(byPattern)).get('/token').expect(200, { pattern: true });

    const sensitive = new Router({ sensitive: true });
    sensitive.get('/Token', (ctx) => {
      ctx.body = { sensitive: true };
    });
    expect(routeStarts(sensitive)).to.equal(undefined);
  });

  it('knows each route by the text before its first parameter', () => {
    const router = new Router();
    router.get('/healthz', () => undefined);
    router.get('/federation/:provider/callback', () => undefined);
    router.get('/Assets/app.css', () => undefined);
    router.get('/federation/:provider/other', () => undefined);
    router.get('/healthz/deep', () => undefined);
    expect(routeStarts(router)).to.deep.equal(['/healthz', '/federation/', '/assets/app.css']);
    expect(routeStarts(pagesRouter())).to.deep.equal(['/pages/']);
  });
});
