/**
 * `/admin/people`: search the directory, invite a guest (with or without the mail), and for one
 * person disable or enable, end every session, delete — through `People`, `Invitations` and
 * `Directory`, as the management API does, with the admin as the actor.
 */
import { z } from 'zod';

import { personView } from '../../../src/api/views.ts';
import { adminClientId } from '../../../src/admin/client.ts';
import { normalizeEmail } from '../../../src/emails.ts';
import { NotFoundError } from '../../../src/errors.ts';
import { requestOrigin } from '../../../src/http/request_origin.ts';
import type { PersonRecord } from '../../../adapters/store.ts';
import { csrfForm } from '../../routes/steps.ts';
import { actorOf, consoleUserOf, type ConsoleDeps } from '../context.ts';
import { redirect303 } from '../../routes/context.ts';
import { acceptConsoleForm, consoleFormOf, consolePage, type Step } from '../steps.ts';
import { invitedPage, inviteForm, peoplePage, personPage } from '../views/people.ts';
import { noticeFor, pageCursor, parseQuery, text } from './queries.ts';

const searchQuery = z.object({ email: text(320), type: z.preprocess((value) => (value === '' ? undefined : value), z.enum(['adhoc', 'guest', 'member']).optional()), cursor: pageCursor, done: text(64) });
const inviteBody = csrfForm.extend({ email: z.string().trim().min(1).max(320), displayName: text(256), sendInvitationMail: z.literal('yes').optional() });
const confirmForm = csrfForm.extend({ confirm: z.literal('yes', { error: 'tick the box to confirm' }) });
const idPattern = /^[A-Za-z0-9-]{1,64}$/;

async function personOf(deps: ConsoleDeps, params: Record<string, string | undefined>): Promise<PersonRecord> {
  const id = params.personId ?? '';
  const person = idPattern.test(id) ? await deps.people.get(id) : undefined;
  if (!person) throw new NotFoundError('no such person');
  return person;
}

export function listPeople(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderPeople(ctx) {
      const user = consoleUserOf(ctx);
      const query = parseQuery(searchQuery, ctx.query);
      const found = await deps.people.list({ userType: query.type, emailPrefix: query.email && normalizeEmail(query.email) }, { cursor: query.cursor, limit: 25 });
      ctx.type = 'html';
      ctx.body = peoplePage({ organizationName: deps.organizationName, user, notice: noticeFor(query.done) }, query, { items: found.items.map(personView), nextCursor: found.nextCursor }, user.role === 'admin' ? inviteForm(user.csrf) : '');
    },
  ];
}

export function showPerson(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderPerson(ctx) {
      const user = consoleUserOf(ctx);
      const person = await personOf(deps, ctx.params);
      ctx.type = 'html';
      ctx.body = personPage({ organizationName: deps.organizationName, user, notice: noticeFor(typeof ctx.query.done === 'string' ? ctx.query.done : undefined) }, personView(person), deps.roles.of(person), user.role === 'admin', user.csrf);
    },
  ];
}

export function invite(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, inviteBody),
    async function inviteGuest(ctx) {
      const form = consoleFormOf(ctx, inviteBody);
      const mailed = form.sendInvitationMail === 'yes';
      const { person, inviteRedeemUrl } = await deps.invitations.create(adminClientId, { email: form.email, displayName: form.displayName, sendInvitationMail: mailed }, requestOrigin(ctx), actorOf(ctx));
      // Answered here rather than redirected: the redeem URL is shown once and never put in a URL.
      ctx.type = 'html';
      ctx.body = invitedPage({ organizationName: deps.organizationName, user: consoleUserOf(ctx) }, personView(person), inviteRedeemUrl, mailed);
    },
  ];
}

export function setDisabled(deps: ConsoleDeps, disabled: boolean): Step[] {
  return [
    ...acceptConsoleForm(deps, csrfForm),
    async function changeDisabled(ctx) {
      const person = await personOf(deps, ctx.params);
      await deps.directory.setDisabled(actorOf(ctx), person, disabled, requestOrigin(ctx));
      redirect303(ctx, `/admin/people/${person.id}?done=${disabled ? 'disabled' : 'enabled'}`);
    },
  ];
}

export function revokeSessions(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, csrfForm),
    async function endEverySession(ctx) {
      const person = await personOf(deps, ctx.params);
      await deps.directory.endSessions(actorOf(ctx), person, requestOrigin(ctx));
      redirect303(ctx, `/admin/people/${person.id}?done=sessions_revoked`);
    },
  ];
}

export function deletePerson(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, confirmForm),
    async function deleteThePerson(ctx) {
      await deps.directory.delete(actorOf(ctx), await personOf(deps, ctx.params), requestOrigin(ctx));
      redirect303(ctx, '/admin/people?done=person_deleted');
    },
  ];
}
