/** One log line per request: method, path without query, status, duration. Never a query string, body or cookie. */
import type { Context, Next } from 'koa';

import { loggablePath, type Logger } from '../log.ts';

export function requestLog(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = Math.round(performance.now() - started);
      const line = { method: ctx.method, path: loggablePath(ctx.originalUrl), status: ctx.status, ms };
      if (ctx.status >= 500) logger.warn(line, 'request');
      else logger.debug(line, 'request');
    }
  };
}
