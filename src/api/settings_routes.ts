/**
 * `GET /api/v1/settings` and `PUT /api/v1/settings`: the sharing policy, with the same keys as
 * `policy` in the configuration file. A change applies at once on every instance sharing the
 * store, and is audited as `SettingsUpdated`. The `ETag` carries the settings' version;
 * `If-Match` makes a change conditional on it (412 when someone changed them first; `*` matches
 * any version): `src/settings.ts`, which the admin console uses too. Keys left out of a PUT get their built-in defaults, as in the configuration file.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';

import { policySchema } from '../../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../audit.ts';
import type { StorePolicySource } from '../policy.ts';
import { callerOf, requireScope } from './auth.ts';
import { replaceSettings } from '../settings.ts';
import { parseOr400 } from './errors.ts';

export function settingsRoutes(router: Router, { policy, audit, origin }: { policy: StorePolicySource; audit: AuditLog; origin: (ctx: Context) => RequestOrigin }): void {
  router.get('/settings', requireScope('settings:write', 'admin'), async (ctx) => {
    const current = await policy.current();
    ctx.set('ETag', `"${current.version}"`);
    ctx.body = current.policy;
  });

  router.put('/settings', requireScope('settings:write'), async (ctx) => {
    const next = parseOr400(policySchema, ctx.request.body, 'settings');
    const ifMatch = ctx.get('if-match').replace(/^W\//, '').replace(/"/g, '') || undefined;
    const change = await replaceSettings({ policy, audit }, next, ifMatch, { type: 'client', id: callerOf(ctx).clientId }, origin(ctx));
    ctx.set('ETag', `"${change.version}"`);
    ctx.body = change.policy;
  });
}
