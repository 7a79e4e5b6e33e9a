/** One log line per request (method, path without query, status, duration; never a query string, body or cookie), and its duration for metrics. */
import type { Context, Next } from 'koa';

import { loggablePath, type Logger } from '../log.ts';

export function requestLog(logger: Logger, observe?: (method: string, path: string, status: number, seconds: number) => void) {
  return function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const done = () => {
      const elapsed = performance.now() - started;
      observe?.(ctx.method, ctx.path, ctx.status, elapsed / 1000);
      const level = ctx.status >= 500 ? 'warn' : 'debug';
      // The line (and scrubbing its path) only when it is written: below debug that is only for 5xx.
      if (logger.isLevelEnabled(level)) logger[level]({ method: ctx.method, path: loggablePath(ctx.originalUrl), status: ctx.status, ms: Math.round(elapsed) }, 'request');
    };
    // As try/finally, with one promise per request instead of an async function's two (bench/README.md, round 8).
    return next().then(done, (error: unknown) => {
      done();
      throw error;
    });
  };
}
