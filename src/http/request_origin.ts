import type { Context } from 'koa';

import type { RequestOrigin } from '../audit.ts';

/** Who made a request, as the audit records it: the client address `trustedEdge` settled on, and the user agent. */
export function requestOrigin(ctx: Context): RequestOrigin {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
}
