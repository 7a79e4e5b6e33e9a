/**
 * `/admin/clients`: the relying parties, a page at a time, and one client's page (src/clients.ts,
 * as `GET /api/v1/clients`); for admins, registering a client, rotating a runtime client's
 * secret, deleting one and issuing initial access tokens, through the same `Clients` operations
 * the clients API calls, with the admin as the actor. A new secret or token is answered to the
 * POST itself, shown once, and never put in a URL.
 */
import type { Context } from 'koa';
import { errors as oidcErrors } from 'oidc-provider';
import { z } from 'zod';

import { StoreUnavailableError } from '../../../adapters/errors.ts';
import { TemporarilyUnavailable } from '../../../adapters/oidc_adapter.ts';
import { parseOr400 } from '../../../src/api/errors.ts';
import { registrableGrantTypes } from '../../../src/client_registration.ts';
import { defaultGraceSeconds, maxGraceSeconds, type Clients } from '../../../src/clients.ts';
import { InvalidRequestError, NotFoundError } from '../../../src/errors.ts';
import { requestOrigin } from '../../../src/http/request_origin.ts';
import { managementScopes } from '../../../src/provider.ts';
import { redirect303 } from '../../routes/context.ts';
import { csrfForm } from '../../routes/steps.ts';
import { actorOf, consoleUserOf, type ConsoleDeps } from '../context.ts';
import { acceptConsoleForm, consoleFormOf, consolePage, type Step } from '../steps.ts';
import { clientAdminForms, clientPage, shownOncePage } from '../views/client_forms.ts';
import { clientsPage } from '../views/clients.ts';
import { noticeFor } from './queries.ts';

const query = z.object({ cursor: z.string().max(512).optional(), done: z.string().max(64).optional() });
const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;
const hour = 60 * 60;

/** A checkbox group: absent, one value, or several (the form repeats the name). */
const checked = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.enum(values)).max(values.length)).transform((list) => [...new Set(list)]);
const box = z.literal('yes').optional();
const wholeHours = (min: number, max: number) => z.coerce.number<string>({ error: 'must be a whole number of hours' }).int('must be a whole number of hours').min(min).max(max);

const registerForm = csrfForm.extend({
  client_name: z.string().trim().min(1, 'is required').max(256),
  redirect_uris: z
    .string()
    .max(4000)
    .transform((text) => text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))
    .pipe(z.array(z.string().max(2000)).min(1, 'at least one, one per line').max(20)),
  refresh_token: box,
  scopes: checked(managementScopes),
  open_sign_in: box,
});
const rotateForm = csrfForm.extend({ graceHours: wholeHours(0, maxGraceSeconds / hour).default(defaultGraceSeconds / hour) });
const deleteForm = csrfForm.extend({ confirm: z.literal('yes', { error: 'tick the box to confirm' }) });
const iatForm = csrfForm.extend({
  expiresInHours: wholeHours(1, (30 * 24 * hour) / hour).default(24),
  singleUse: box,
  // A token that allows no grant type could register nothing (the API lets it be; the form says so).
  grantTypes: checked(registrableGrantTypes).refine((list) => list.length > 0, 'tick at least one'),
  scopes: checked(managementScopes),
  openSignIn: box,
});

function clientsOf(deps: ConsoleDeps): Clients {
  if (!deps.clients) throw new NotFoundError('no such page');
  return deps.clients;
}

function clientIdOf(ctx: Context): string {
  const id = ctx.params.clientId ?? '';
  if (!clientIdPattern.test(id)) throw new NotFoundError('no such client');
  return id;
}

/** oidc-provider's verdict on metadata (invalid_client_metadata, invalid_redirect_uri) as the page's message naming the field; its store outage as the console's 503. */
async function providerVerdicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TemporarilyUnavailable) throw new StoreUnavailableError(error);
    if (error instanceof oidcErrors.OIDCProviderError && error.status < 500) throw new InvalidRequestError(error.error_description ?? error.message);
    throw error;
  }
}

const frameOf = (deps: ConsoleDeps, ctx: Context) => ({ organizationName: deps.organizationName, user: consoleUserOf(ctx) });

export function showClients(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderClients(ctx) {
      const clients = clientsOf(deps);
      const { cursor, done } = parseOr400(query, ctx.query, 'query');
      const user = consoleUserOf(ctx);
      ctx.type = 'html';
      ctx.body = clientsPage({ ...frameOf(deps, ctx), notice: noticeFor(done) }, await clients.list({ cursor, limit: 50 }), user.role === 'admin' ? clientAdminForms(user.csrf, managementScopes) : '');
    },
  ];
}

export function showClient(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderClient(ctx) {
      const client = await providerVerdicts(() => clientsOf(deps).get(clientIdOf(ctx)));
      const user = consoleUserOf(ctx);
      ctx.type = 'html';
      ctx.body = clientPage(frameOf(deps, ctx), client, user.role === 'admin', user.csrf, defaultGraceSeconds / hour, maxGraceSeconds / hour);
    },
  ];
}

export function registerClient(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, registerForm),
    async function createClient(ctx) {
      const form = consoleFormOf(ctx, registerForm);
      const refresh = form.refresh_token === 'yes';
      const metadata = {
        client_name: form.client_name,
        redirect_uris: form.redirect_uris,
        grant_types: refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
        response_types: ['code'],
        scope: ['openid', 'email', 'profile', 'sharing', ...(refresh ? ['offline_access'] : []), ...form.scopes].join(' '),
        ...(form.open_sign_in === 'yes' ? { guestpass_open_sign_in: true } : {}),
      };
      const created = await providerVerdicts(() => clientsOf(deps).create(metadata, actorOf(ctx), requestOrigin(ctx), 'console'));
      ctx.type = 'html';
      ctx.body = shownOncePage(frameOf(deps, ctx), 'Client registered', `${form.client_name} can now sign people in.`, [['Client id', created.client_id]], { label: 'Client secret', value: created.client_secret ?? '' });
    },
  ];
}

export function rotateClientSecret(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, rotateForm),
    async function rotateSecret(ctx) {
      const form = consoleFormOf(ctx, rotateForm);
      const rotated = await providerVerdicts(() => clientsOf(deps).rotateSecret(clientIdOf(ctx), form.graceHours * hour, actorOf(ctx), requestOrigin(ctx)));
      const until = rotated.previousSecretValidUntil ? `The previous secret keeps working until ${rotated.previousSecretValidUntil.slice(0, 16).replace('T', ' ')} UTC.` : 'The previous secret no longer works.';
      ctx.type = 'html';
      ctx.body = shownOncePage(frameOf(deps, ctx), 'Secret rotated', until, [['Client id', rotated.client_id]], { label: 'New client secret', value: rotated.client_secret });
    },
  ];
}

export function deleteClient(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, deleteForm),
    async function deleteTheClient(ctx) {
      await providerVerdicts(() => clientsOf(deps).delete(clientIdOf(ctx), actorOf(ctx), requestOrigin(ctx), 'console'));
      redirect303(ctx, '/admin/clients?done=client_deleted');
    },
  ];
}

export function issueInitialAccessToken(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, iatForm),
    async function issueToken(ctx) {
      const form = consoleFormOf(ctx, iatForm);
      const policy = { grantTypes: form.grantTypes, scopes: form.scopes, openSignIn: form.openSignIn === 'yes', singleUse: form.singleUse === 'yes' };
      const issued = await providerVerdicts(() => clientsOf(deps).issueInitialAccessToken({ expiresInSeconds: form.expiresInHours * hour, policy }, actorOf(ctx), requestOrigin(ctx)));
      ctx.type = 'html';
      ctx.body = shownOncePage(
        frameOf(deps, ctx),
        'Initial access token issued',
        `Valid until ${issued.expiresAt.slice(0, 16).replace('T', ' ')} UTC${policy.singleUse ? ', for one registration' : ''}.`,
        [['Grant types', policy.grantTypes.join(' ') || 'none'], ['Management scopes', policy.scopes.join(' ') || 'none'], ['Open sign-in', policy.openSignIn ? 'allowed' : 'not allowed']],
        { label: 'Initial access token', value: issued.initial_access_token },
      );
    },
  ];
}
