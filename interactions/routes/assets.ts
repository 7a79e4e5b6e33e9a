/**
 * The static files pages use, read once at start-up, and the organisation's accent stylesheet
 * (src/branding.ts) when one is configured: its path carries the colour, so it may be cached.
 */
import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const files = {
  'guestpass.css': 'text/css; charset=utf-8',
  'guestpass.js': 'text/javascript; charset=utf-8',
} as const;

export function assetsRouter(brandingStylesheet?: string): Router {
  const router = new Router();
  for (const [name, type] of Object.entries(files)) {
    const body = readFileSync(new URL(`../views/assets/${name}`, import.meta.url));
    router.get(`/assets/${name}`, (ctx) => {
      ctx.type = type;
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  }
  if (brandingStylesheet !== undefined) {
    router.get('/assets/branding.css', (ctx) => {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = brandingStylesheet;
    });
  }
  return router;
}
