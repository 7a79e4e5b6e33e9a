/**
 * A router's middleware that looks only at the requests one of its routes could answer.
 *
 * Every request passes the routers mounted before oidc-provider's own (health, assets, the sign-in
 * pages, the console, …). A router that has no route for a path still matches the path against
 * each of its layers, allocates its answer, marks the context and calls `next`: a token request
 * went through all of them, some 50 regular expressions. `routesOf` skips a router at once when
 * the path cannot start with the fixed part of any of its routes (the text before the first
 * parameter), compared without case as @koa/router matches by default. Anything it cannot tell
 * (a route given as a regular expression, case-sensitive or host-bound routing, a path set by
 * an outer router) goes to the router as before. For a request one of its routes could match,
 * the router runs exactly as without the gate.
 */
import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';

interface RouteLayer {
  path: string | RegExp;
  methods: string[];
}

/** The text before a route's first parameter or pattern character, lower-cased; undefined when that cannot be said. */
function fixedStart(path: string | RegExp): string | undefined {
  if (typeof path !== 'string') return undefined;
  const end = path.search(/[:(*{?+\\[\]]/);
  const fixed = end === -1 ? path : path.slice(0, end);
  // Only plain ASCII compares without case the way the router's regular expressions do.
  return /^[\x20-\x7e]*$/.test(fixed) ? fixed.toLowerCase() : undefined;
}

/** The fixed starts of every route of `router` (methods given), or undefined: it may answer any path. */
export function routeStarts(router: Router): string[] | undefined {
  const options = (router as unknown as { opts: { sensitive?: boolean; host?: unknown; routerPath?: string } }).opts;
  if (options.sensitive || options.host !== undefined || options.routerPath !== undefined) return undefined;
  const starts = new Set<string>();
  for (const layer of router.stack as unknown as RouteLayer[]) {
    // A layer without methods (`router.use`) runs only together with a route that matched.
    if (layer.methods.length === 0) continue;
    const start = fixedStart(layer.path);
    if (start === undefined || start === '' || start === '/') return undefined;
    starts.add(start);
  }
  // A start that begins with another adds nothing: '/admin/links/' with '/admin'.
  return [...starts].filter((start) => ![...starts].some((other) => other !== start && start.startsWith(other)));
}

/** Whether `path` begins with `start` (lower-case ASCII) in any case; no string is built, as this runs per router and request. */
function startsWithAnyCase(path: string, start: string): boolean {
  if (path.length < start.length) return false;
  for (let index = 0; index < start.length; index += 1) {
    let code = path.charCodeAt(index);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== start.charCodeAt(index)) return false;
  }
  return true;
}

function mayMatch(path: string, starts: readonly string[]): boolean {
  for (const start of starts) if (startsWithAnyCase(path, start)) return true;
  return false;
}

/** `router.routes()`, skipped for a request whose path none of its routes could match. */
export function routesOf(router: Router): Middleware {
  const routes = router.routes() as unknown as (ctx: Context, next: Next) => Promise<unknown>;
  let counted = -1;
  let starts: string[] | undefined;
  return function gatedRoutes(ctx: Context, next: Next): Promise<unknown> {
    // Routes added after mounting are seen too.
    if (router.stack.length !== counted) {
      counted = router.stack.length;
      starts = routeStarts(router);
    }
    const outer = ctx as Context & { newRouterPath?: string; routerPath?: string };
    if (starts === undefined || outer.newRouterPath !== undefined || outer.routerPath !== undefined || mayMatch(ctx.path, starts)) return routes(ctx, next);
    return next();
  };
}
