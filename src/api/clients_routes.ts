/**
 * `/api/v1/clients` and `/api/v1/initial-access-tokens` (SPEC §6): list, read, create, change,
 * delete relying parties, rotate a client's secret with a grace period, and issue initial access
 * tokens for RFC 7591 registration (docs/clients.md). Static clients from the configuration file
 * are listed and read, marked `readOnly`, and every change to them is a 409.
 * Metadata is checked by oidc-provider itself: its errors come back as 400
 * `invalid_client_metadata` / `invalid_redirect_uri` naming the field.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';

import { StoreUnavailableError } from '../../adapters/errors.ts';
import { TemporarilyUnavailable } from '../../adapters/oidc_adapter.ts';
import type { RequestOrigin } from '../audit.ts';
import { defaultRegistrationPolicy, registrableGrantTypes } from '../client_registration.ts';
import { defaultGraceSeconds, maxGraceSeconds, reservedMetadata, type Clients } from '../clients.ts';
import { NotFoundError } from '../errors.ts';
import { managementScopes } from '../provider.ts';
import { callerOf, requireScope } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { pageQuery } from './links_routes.ts';

const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;
const metadataBody = (nullable: boolean) =>
  z
    .record(z.string().max(128), nullable ? z.unknown() : z.unknown().refine((value) => value !== null, 'must not be null'))
    .superRefine((body, context) => {
      for (const field of reservedMetadata) {
        if (field in body) context.addIssue({ code: 'custom', path: [field], message: 'is set by guestpass, not by the caller' });
      }
    });
const rotateBody = z.strictObject({ graceSeconds: z.int().min(0).max(maxGraceSeconds).default(defaultGraceSeconds) });
const iatBody = z.strictObject({
  expiresInSeconds: z.int().min(60).max(30 * 24 * 60 * 60).default(24 * 60 * 60),
  singleUse: z.boolean().default(false),
  policy: z
    .strictObject({
      grantTypes: z.array(z.enum(registrableGrantTypes)).max(3).default([...defaultRegistrationPolicy.grantTypes]),
      scopes: z.array(z.enum(managementScopes)).max(managementScopes.length).default([]),
      openSignIn: z.boolean().default(false),
    })
    .default({ grantTypes: [...defaultRegistrationPolicy.grantTypes], scopes: [], openSignIn: false }),
});
const listQuery = z.strictObject(pageQuery);

/**
 * oidc-provider's metadata errors, answered as it would at its registration endpoint; its
 * `temporarily_unavailable` (the store is away, through its adapter) as the API's 503.
 */
async function providerErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    if (error instanceof TemporarilyUnavailable) throw new StoreUnavailableError(error);
    if (!(error instanceof oidcErrors.OIDCProviderError) || error.status >= 500) throw error;
    ctx.status = error.status;
    ctx.body = { error: error.error, error_description: error.error_description ?? error.message };
  }
}

export function clientsRoutes(router: Router, clients: Clients, origin: (ctx: Context) => RequestOrigin): void {
  const actor = (ctx: Context) => ({ type: 'client' as const, id: callerOf(ctx).clientId });

  router.param('clientId', (id, _ctx, next) => {
    if (!clientIdPattern.test(id)) throw new NotFoundError(`no such client: ${id.slice(0, 128)}`);
    return next();
  });

  router.get('/clients', requireScope('clients:read', 'clients:write'), providerErrors, async (ctx) => {
    const query = parseOr400(listQuery, ctx.query, 'query');
    ctx.body = await clients.list({ cursor: query.cursor, limit: query.limit });
  });

  router.get('/clients/:clientId', requireScope('clients:read', 'clients:write'), providerErrors, async (ctx) => {
    ctx.body = await clients.get(ctx.params.clientId!);
  });

  router.post('/clients', requireScope('clients:write'), providerErrors, async (ctx) => {
    const body = parseOr400(metadataBody(false), ctx.request.body ?? {}, 'request body');
    const created = await clients.create(body, actor(ctx), origin(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/clients/${created.client_id}`);
    ctx.body = created;
  });

  router.patch('/clients/:clientId', requireScope('clients:write'), providerErrors, async (ctx) => {
    const body = parseOr400(metadataBody(true), ctx.request.body ?? {}, 'request body');
    ctx.body = await clients.update(ctx.params.clientId!, body, actor(ctx), origin(ctx));
  });

  router.delete('/clients/:clientId', requireScope('clients:write'), providerErrors, async (ctx) => {
    await clients.delete(ctx.params.clientId!, actor(ctx), origin(ctx));
    ctx.status = 204;
  });

  router.post('/clients/:clientId/rotate-secret', requireScope('clients:write'), providerErrors, async (ctx) => {
    const body = parseOr400(rotateBody, ctx.request.body ?? {}, 'request body');
    ctx.body = await clients.rotateSecret(ctx.params.clientId!, body.graceSeconds, actor(ctx), origin(ctx));
  });

  router.post('/initial-access-tokens', requireScope('clients:write'), providerErrors, async (ctx) => {
    const body = parseOr400(iatBody, ctx.request.body ?? {}, 'request body');
    ctx.status = 201;
    ctx.body = await clients.issueInitialAccessToken({ expiresInSeconds: body.expiresInSeconds, policy: { ...body.policy, singleUse: body.singleUse } }, actor(ctx), origin(ctx));
  });
}
