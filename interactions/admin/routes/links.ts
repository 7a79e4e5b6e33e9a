/**
 * `/admin/links`: find links by recipient, resource or client; one link; change its expiry,
 * remove a recipient, delete it — through `Links`, the same operations the management API
 * calls, with the admin named as the actor in the audit.
 */
import { z } from 'zod';

import { linkView } from '../../../src/api/views.ts';
import { normalizeEmail } from '../../../src/emails.ts';
import { InvalidRequestError, NotFoundError } from '../../../src/errors.ts';
import { requestOrigin } from '../../../src/http/request_origin.ts';
import { sharingIdPattern } from '../../../src/sharing_id.ts';
import { csrfForm } from '../../routes/steps.ts';
import { consoleUserOf, consoleViewer, type ConsoleDeps } from '../context.ts';
import { redirect303 } from '../../routes/context.ts';
import { acceptConsoleForm, consoleFormOf, consolePage, type Step } from '../steps.ts';
import { linkPage, linksPage } from '../views/links.ts';
import { noticeFor, parseQuery, pageCursor, text } from './queries.ts';

const searchQuery = z.object({ resource: text(2048), recipient: text(320), client: text(256), cursor: pageCursor, done: text(64) });
const expiryForm = csrfForm.extend({ expiresAt: z.string().max(40) });
const recipientForm = csrfForm.extend({ email: z.string().min(1).max(320) });
const deleteForm = csrfForm.extend({ confirm: z.literal('yes', { error: 'tick the box to confirm' }) });

function sharingIdOf(params: Record<string, string | undefined>): string {
  const id = params.sharingId ?? '';
  if (!sharingIdPattern.test(id)) throw new NotFoundError('no such link');
  return id;
}

export function listLinks(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderLinks(ctx) {
      const query = parseQuery(searchQuery, ctx.query);
      const found = await deps.links.list(consoleViewer(ctx), { resource: query.resource, recipient: query.recipient && normalizeEmail(query.recipient), clientId: query.client }, { cursor: query.cursor, limit: 25 });
      ctx.type = 'html';
      ctx.body = linksPage({ organizationName: deps.organizationName, user: consoleUserOf(ctx), notice: noticeFor(query.done) }, query, {
        items: await Promise.all(found.items.map((link) => linkView(link, deps.links))),
        nextCursor: found.nextCursor,
      });
    },
  ];
}

export function showLink(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderLink(ctx) {
      const user = consoleUserOf(ctx);
      const link = await deps.links.get(consoleViewer(ctx), sharingIdOf(ctx.params));
      ctx.type = 'html';
      ctx.body = linkPage({ organizationName: deps.organizationName, user, notice: noticeFor(typeof ctx.query.done === 'string' ? ctx.query.done : undefined) }, await linkView(link, deps.links), user.role === 'admin', user.csrf);
    },
  ];
}

export function changeExpiry(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, expiryForm),
    async function setExpiry(ctx) {
      const id = sharingIdOf(ctx.params);
      const { expiresAt } = consoleFormOf(ctx, expiryForm);
      // datetime-local has no zone: the form says UTC, so it is read as UTC.
      const at = expiresAt.trim() === '' ? null : Date.parse(`${expiresAt.trim()}${/Z|[+-]\d\d:\d\d$/.test(expiresAt) ? '' : 'Z'}`);
      if (at !== null && Number.isNaN(at)) throw new InvalidRequestError('expiresAt: not a date and time');
      await deps.links.setExpiry(consoleViewer(ctx), id, at, requestOrigin(ctx));
      redirect303(ctx, `/admin/links/${id}?done=expiry_changed`);
    },
  ];
}

export function removeRecipient(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, recipientForm),
    async function removeFromLink(ctx) {
      const id = sharingIdOf(ctx.params);
      await deps.links.removeRecipient(consoleViewer(ctx), id, consoleFormOf(ctx, recipientForm).email, requestOrigin(ctx));
      redirect303(ctx, `/admin/links/${id}?done=recipient_removed`);
    },
  ];
}

export function deleteLink(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, deleteForm),
    async function deleteTheLink(ctx) {
      await deps.links.delete(consoleViewer(ctx), sharingIdOf(ctx.params), requestOrigin(ctx));
      redirect303(ctx, '/admin/links?done=link_deleted');
    },
  ];
}
