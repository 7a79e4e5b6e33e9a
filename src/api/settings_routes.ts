/**
 * `GET /api/v1/settings` and `PUT /api/v1/settings`: the sharing policy, with the same keys as
 * `policy` in the configuration file. A change applies at once on every instance sharing the
 * store, and is audited as `SettingsUpdated`. The `ETag` carries the settings' version;
 * `If-Match` makes a change conditional on it (412 when someone changed them first; `*` matches
 * any version). Keys left out of a PUT get their built-in defaults, as in the configuration file.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';

import { policySchema } from '../../config/schema.ts';
import type { AuditLog, RequestOrigin } from '../audit.ts';
import type { StorePolicySource } from '../policy.ts';
import { callerOf, requireScope } from './auth.ts';
import { ConflictError, PreconditionFailedError } from '../errors.ts';
import { parseOr400 } from './errors.ts';

export function settingsRoutes(router: Router, { policy, audit, origin }: { policy: StorePolicySource; audit: AuditLog; origin: (ctx: Context) => RequestOrigin }): void {
  router.get('/settings', requireScope('settings:write', 'admin'), async (ctx) => {
    const current = await policy.current();
    ctx.set('ETag', `"${current.version}"`);
    ctx.body = current.policy;
  });

  router.put('/settings', requireScope('settings:write'), async (ctx) => {
    const next = parseOr400(policySchema, ctx.request.body, 'settings');
    const ifMatch = ctx.get('if-match').replace(/^W\//, '').replace(/"/g, '');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await policy.current();
      if (ifMatch && ifMatch !== '*' && ifMatch !== String(current.version)) {
        throw new PreconditionFailedError(`the settings are at version ${current.version}, not ${ifMatch}; read them again`);
      }
      const change = await policy.replace(next, current.version);
      if (!change) continue;
      await audit.record('SettingsUpdated', {
        actor: { type: 'client', id: callerOf(ctx).clientId },
        detail: { changed: change.changed, version: change.version },
        ...origin(ctx),
      });
      ctx.set('ETag', `"${change.version}"`);
      ctx.body = change.policy;
      return;
    }
    throw new ConflictError('the settings are changing too often; try again');
  });
}
