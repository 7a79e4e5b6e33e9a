/** `/api/v1/links`: create, read, list, change the expiry of, delete links; add and remove recipients; report an access. */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import { sharingIdPattern } from '../sharing_id.ts';
import type { Links, Viewer } from '../links.ts';
import { callerOf, requireScope } from './auth.ts';
import { normalizeEmail } from '../emails.ts';
import { NotFoundError } from '../errors.ts';
import { parseOr400 } from './errors.ts';
import { linkView, recipientView } from './views.ts';

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z' });

const createLinkBody = z.strictObject({
  resource: z.string().trim().min(1, 'must not be empty').max(2048),
  recipients: z.array(z.string().max(320)).max(10_000),
  expiresAt: isoTime.optional(),
  createdBy: z.string().trim().min(1).max(256).optional(),
});
const patchLinkBody = z.strictObject({ expiresAt: isoTime.nullable() });
const addRecipientsBody = z.strictObject({ emails: z.array(z.string().max(320)).max(10_000) });
export const pageQuery = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
};
/** An empty query parameter (`?resource=`) means the filter is not set. */
const optionalText = (max: number) => z.preprocess((value) => (value === '' ? undefined : value), z.string().max(max).optional());
const listQuery = z.strictObject({ resource: optionalText(2048), recipient: optionalText(320), ...pageQuery });

export function linksRoutes(router: Router, links: Links, origin: (ctx: Context) => { ip?: string; userAgent?: string }): void {
  const viewer = (ctx: Context): Viewer => {
    const caller = callerOf(ctx);
    return { clientId: caller.clientId, admin: caller.admin };
  };

  // Named for what it checks: a router-wide param handler on a plain `id` would also judge
  // /users/:id (which shares this router) by the sharing-id pattern, and answer "no such link".
  router.param('sharingId', (id, ctx, next) => {
    if (!sharingIdPattern.test(id)) throw new NotFoundError('no such link');
    return next();
  });

  router.post('/links', requireScope('links:write'), async (ctx) => {
    const body = parseOr400(createLinkBody, ctx.request.body, 'request body');
    const link = await links.create(viewer(ctx), { ...body, expiresAt: body.expiresAt === undefined ? undefined : Date.parse(body.expiresAt) }, origin(ctx));
    ctx.status = 201;
    ctx.set('Location', `/api/v1/links/${link.id}`);
    ctx.body = await linkView(link, links);
  });

  router.get('/links', requireScope('links:read', 'links:write'), async (ctx) => {
    const query = parseOr400(listQuery, ctx.query, 'query');
    const recipient = query.recipient === undefined ? undefined : normalizeEmail(query.recipient);
    const page = await links.list(viewer(ctx), { resource: query.resource, recipient }, { cursor: query.cursor, limit: query.limit });
    ctx.body = { items: await Promise.all(page.items.map((link) => linkView(link, links))), nextCursor: page.nextCursor };
  });

  router.get('/links/:sharingId', requireScope('links:read', 'links:write'), async (ctx) => {
    ctx.body = await linkView(await links.get(viewer(ctx), ctx.params.sharingId!), links);
  });

  router.patch('/links/:sharingId', requireScope('links:write'), async (ctx) => {
    const body = parseOr400(patchLinkBody, ctx.request.body, 'request body');
    const link = await links.setExpiry(viewer(ctx), ctx.params.sharingId!, body.expiresAt === null ? null : Date.parse(body.expiresAt), origin(ctx));
    ctx.body = await linkView(link, links);
  });

  router.delete('/links/:sharingId', requireScope('links:write'), async (ctx) => {
    await links.delete(viewer(ctx), ctx.params.sharingId!, origin(ctx));
    ctx.status = 204;
  });

  router.post('/links/:sharingId/recipients', requireScope('links:write'), async (ctx) => {
    const body = parseOr400(addRecipientsBody, ctx.request.body, 'request body');
    ctx.body = await linkView(await links.addRecipients(viewer(ctx), ctx.params.sharingId!, body.emails, origin(ctx)), links);
  });

  // For a resource server that keeps its own session: is this person still on the link, and is it live?
  router.get('/links/:sharingId/recipients/:email', requireScope('links:read', 'links:write'), async (ctx) => {
    const { link, recipient } = await links.recipient(viewer(ctx), ctx.params.sharingId!, ctx.params.email!);
    ctx.body = { ...(await recipientView(recipient, links)), sharingId: link.id, live: links.isLiveNow(link) };
  });

  router.delete('/links/:sharingId/recipients/:email', requireScope('links:write'), async (ctx) => {
    ctx.body = await linkView(await links.removeRecipient(viewer(ctx), ctx.params.sharingId!, ctx.params.email!, origin(ctx)), links);
  });

  // The resource server served the recipient (a download), so the link's last access is true.
  router.post('/links/:sharingId/recipients/:email/access', requireScope('links:write'), async (ctx) => {
    await links.reportAccess(viewer(ctx), ctx.params.sharingId!, ctx.params.email!, origin(ctx));
    ctx.status = 204;
  });

}
