/**
 * `GET /api/v1/keys` and `POST /api/v1/keys/rotate` (scope `admin`): the state of the managed
 * keys, and a rotation on demand — a new generation, published now, used after
 * `keys.leadTimeSeconds` (docs/operations.md, "Keys"). Audited as `KeysRotated` with generation
 * numbers and key ids only, never key material. With static keys both answer 409: those keys
 * change in the configuration.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';

import type { AuditLog, RequestOrigin } from '../audit.ts';
import { ConflictError } from '../errors.ts';
import type { ManagedKeys } from '../keyring/managed_keys.ts';
import { callerOf, requireScope } from './auth.ts';

export interface KeysRouteDeps {
  keyring: ManagedKeys | undefined;
  audit: AuditLog;
  origin: (ctx: Context) => RequestOrigin;
}

export function keysRoutes(router: Router, { keyring, audit, origin }: KeysRouteDeps): void {
  const managed = (): ManagedKeys => {
    if (!keyring) throw new ConflictError('keys are static (keys.mode "static"): change them in the configuration, see docs/operations.md');
    return keyring;
  };

  router.get('/keys', requireScope('admin'), async (ctx) => {
    const keys = managed();
    await keys.refresh();
    ctx.body = keys.status();
  });

  router.post('/keys/rotate', requireScope('admin'), async (ctx) => {
    const keys = managed();
    const actor = { type: 'client' as const, id: callerOf(ctx).clientId };
    const outcome = await keys.rotate();
    await audit.record('KeysRotated', { actor, ...origin(ctx), detail: { generation: outcome.generation, activatesAt: outcome.activatesAt, kids: outcome.kids } });
    ctx.status = 201;
    ctx.body = { rotation: outcome, status: keys.status() };
  });
}
