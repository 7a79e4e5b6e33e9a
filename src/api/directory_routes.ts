/** The directory API (SPEC §6): people (shown as `PersonView`), invitations, ending sessions. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { PersonRecord } from '../../adapters/store.ts';
import type { RequestOrigin } from '../audit.ts';
import type { Directory } from '../directory.ts';
import { locales, type Locale } from '../i18n/index.ts';
import type { Invitations } from '../invitations.ts';
import type { People } from '../people.ts';
import { callerOf, requireScope } from './auth.ts';
import { normalizeEmail } from '../emails.ts';
import { NotFoundError } from '../errors.ts';
import { parseOr400 } from './errors.ts';
import { pageQuery } from './links_routes.ts';
import { personView, type InvitationView } from './views.ts';

const usersQuery = z.strictObject({
  type: z.enum(['adhoc', 'guest', 'member']).optional(),
  email: z.preprocess((value) => (value === '' ? undefined : value), z.string().transform(normalizeEmail).pipe(z.string().max(320)).optional()),
  ...pageQuery,
});
const group = z.string().trim().min(1, 'a group name must not be empty').max(128);
const patchUserBody = z
  .strictObject({
    disabled: z.boolean().optional(),
    groups: z.array(group).max(100).optional(),
    displayName: z.string().trim().min(1).max(256).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one of disabled, groups, displayName' });
const invitationBody = z.strictObject({
  email: z.string().max(320),
  displayName: z.string().trim().min(1).max(256).optional(),
  redirectUrl: z.string().max(2048).optional(),
  sendInvitationMail: z.boolean().optional(),
  locale: z.enum(Object.keys(locales) as [Locale, ...Locale[]]).optional(),
});

export interface DirectoryDeps {
  people: People;
  invitations: Invitations;
  directory: Directory;
  origin: (ctx: Context) => RequestOrigin;
}

export function directoryRoutes(router: Router, { people, invitations, directory, origin }: DirectoryDeps): void {
  const idPattern = /^[A-Za-z0-9-]{1,64}$/;
  const find = async (id: string): Promise<PersonRecord> => {
    const person = idPattern.test(id) ? await people.get(id) : undefined;
    if (!person) throw new NotFoundError('no such user');
    return person;
  };
  const actor = (ctx: Context) => ({ type: 'client' as const, id: callerOf(ctx).clientId });

  router.get('/users', requireScope('directory:read', 'directory:write'), async (ctx) => {
    const query = parseOr400(usersQuery, ctx.query, 'query');
    const page = await people.list({ userType: query.type, emailPrefix: query.email }, { cursor: query.cursor, limit: query.limit });
    ctx.body = { items: page.items.map(personView), nextCursor: page.nextCursor };
  });

  router.get('/users/:id', requireScope('directory:read', 'directory:write'), async (ctx) => {
    ctx.body = personView(await find(String(ctx.params.id)));
  });

  router.patch('/users/:id', requireScope('directory:write'), async (ctx) => {
    const body = parseOr400(patchUserBody, ctx.request.body, 'request body');
    const before = await find(String(ctx.params.id));
    let person = before;
    if (body.groups !== undefined || body.displayName !== undefined) {
      person = (await people.setProfile(before.id, { groups: body.groups, displayName: body.displayName })) ?? person;
    }
    if (body.disabled !== undefined) person = await directory.setDisabled(actor(ctx), person, body.disabled, origin(ctx));
    ctx.body = personView(person);
  });

  router.delete('/users/:id', requireScope('directory:write'), async (ctx) => {
    await directory.delete(actor(ctx), await find(String(ctx.params.id)), origin(ctx));
    ctx.status = 204;
  });

  router.post('/users/:id/revoke-sessions', requireScope('directory:write'), async (ctx) => {
    const ended = await directory.endSessions(actor(ctx), await find(String(ctx.params.id)), origin(ctx));
    ctx.body = ended;
  });

  router.post('/invitations', requireScope('directory:write'), async (ctx) => {
    const body = parseOr400(invitationBody, ctx.request.body, 'request body');
    const { person, inviteRedeemUrl } = await invitations.create(callerOf(ctx).clientId, body, origin(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/users/${person.id}`);
    ctx.body = { user: personView(person), inviteRedeemUrl } satisfies InvitationView;
  });
}
