/**
 * The owner's side: list the files, share one with email addresses, and see and change who has
 * each link — all through guestpass's management API, which is where links live. The file host
 * stores nothing about links itself.
 *
 * This example has no owner sign-in (the pages say so). A real host signs its owners in, checks
 * each may share the file, passes the owner as `createdBy`, and binds the CSRF token to their
 * session.
 *
 * Every POST: form parsed → other sites and missing CSRF tokens refused (http.ts) → fields
 * parsed with a schema → one API call → 303 back to the file's page, with guestpass's
 * `error_description` shown when it refused.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { BrowserState, Flash } from './browser_state.ts';
import type { FileCatalogue, SharedFile } from './file_catalogue.ts';
import { GuestpassApiError, type GuestpassClient, type Link } from './guestpass_client.ts';
import { ownerFormGuard, parseForm, readForm, redirect303, sendMessage, sendPage } from './http.ts';
import type { Log } from './log.ts';
import { ownerFilePage, ownerHomePage, shareUrl } from './pages.ts';

export interface OwnerRouteDeps {
  guestpass: GuestpassClient;
  catalogue: FileCatalogue;
  publicUrl: string;
  browserState: (ctx: Context) => BrowserState;
  log: Log;
  now: () => number;
}

const sharingIdPattern = /^[A-Za-z0-9_-]{22,64}$/;
const maxExpiryDays = 3650;

const shareForm = z.object({ emails: z.string().max(20_000).default(''), days: z.string().trim().max(8).default('') });
const addForm = z.object({ emails: z.string().max(20_000).default('') });

declare module 'koa' {
  interface DefaultState {
    file?: SharedFile;
  }
}

export function ownerRoutes(deps: OwnerRouteDeps): Router {
  const { guestpass, catalogue, publicUrl, browserState } = deps;
  const router = new Router();
  const guard = ownerFormGuard({ publicOrigin: new URL(publicUrl).origin, browserState });

  router.param('name', async (name, ctx, next) => {
    const file = await catalogue.find(name);
    if (!file) return sendMessage(ctx, 404, { title: 'No such file', text: `There is no file called “${name}” here.`, next: { href: '/', label: 'Go to your files' } });
    ctx.state.file = file;
    return next();
  });
  router.param('sharingId', (sharingId, ctx, next) => {
    if (!sharingIdPattern.test(sharingId)) return sendMessage(ctx, 404, { title: 'No such link', text: 'This link does not exist.', next: { href: '/', label: 'Go to your files' } });
    return next();
  });

  router.get('/', async (ctx) => {
    const state = browserState(ctx);
    sendPage(ctx, 200, ownerHomePage({ files: await catalogue.list(), csrf: state.csrfToken(), flash: state.takeFlash() }));
  });

  router.get('/files/:name', async (ctx) => {
    const file = ctx.state.file!;
    const state = browserState(ctx);
    const page = { file, csrf: state.csrfToken(), publicUrl, now: deps.now() };
    let links: Link[];
    try {
      links = await guestpass.linksFor(file.resource);
    } catch (error) {
      if (!(error instanceof GuestpassApiError)) throw error;
      deps.log('warn', 'management API refused', { status: error.status, error: error.error, during: error.during });
      const text = error.status >= 500 ? 'guestpass is not available right now, so the links of this file cannot be shown. Reload the page in a moment.' : setupProblem(error);
      return sendPage(ctx, error.status >= 500 ? 503 : 502, ownerFilePage({ ...page, links: undefined, flash: { kind: 'error', text } }));
    }
    sendPage(ctx, 200, ownerFilePage({ ...page, links, flash: state.takeFlash() }));
  });

  router.post('/files/:name/links', parseForm, guard, async (ctx) => {
    const file = ctx.state.file!;
    const form = readForm(ctx, shareForm);
    const typed = { emails: form.emails, days: form.days };
    await answer(ctx, file, async () => {
      const recipients = splitAddresses(form.emails);
      if (recipients.length === 0) return { flash: { kind: 'error', text: 'Enter at least one email address to share with.', form: typed } };
      const days = parseDays(form.days);
      if (days === 'invalid') return { flash: { kind: 'error', text: `The expiry must be a whole number of days from 1 to ${maxExpiryDays}, or empty for none.`, form: typed } };
      const link = await guestpass.createLink({
        resource: file.resource,
        recipients,
        expiresAt: days === undefined ? undefined : new Date(deps.now() + days * 24 * 60 * 60 * 1000).toISOString(),
      });
      deps.log('info', 'link created', { sharingId: link.id, recipients: link.recipients.length });
      const people = link.recipients.length === 1 ? '1 person' : `${link.recipients.length} people`;
      return {
        flash: { kind: 'notice', text: `Shared ${file.name} with ${people}. Send them the link below; only they can open it.`, linkUrl: shareUrl(publicUrl, link.id) },
        fragment: `link-${link.id}`,
      };
    }, typed);
  });

  router.post('/files/:name/links/:sharingId/recipients', parseForm, guard, async (ctx) => {
    const file = ctx.state.file!;
    const form = readForm(ctx, addForm);
    await answer(ctx, file, async () => {
      const link = await linkOf(file, ctx.params.sharingId!);
      if (!link) return { flash: linkGone };
      const emails = splitAddresses(form.emails);
      if (emails.length === 0) return { flash: { kind: 'error', text: 'Enter at least one email address to add.' }, fragment: `link-${link.id}` };
      const before = link.recipients.length;
      const after = (await guestpass.addRecipients(link.id, emails)).recipients.length;
      const added = after - before;
      return { flash: { kind: 'notice', text: added === 0 ? 'Everyone you entered already has this link.' : `Added ${added === 1 ? '1 person' : `${added} people`} to the link.` }, fragment: `link-${link.id}` };
    });
  });

  router.post('/files/:name/links/:sharingId/recipients/:email/remove', parseForm, guard, async (ctx) => {
    const file = ctx.state.file!;
    await answer(ctx, file, async () => {
      const link = await linkOf(file, ctx.params.sharingId!);
      if (!link) return { flash: linkGone };
      await guestpass.removeRecipient(link.id, ctx.params.email!);
      return { flash: { kind: 'notice', text: `${ctx.params.email!} can no longer open this link. A code already sent to them stops working too.` }, fragment: `link-${link.id}` };
    });
  });

  router.post('/files/:name/links/:sharingId/delete', parseForm, guard, async (ctx) => {
    const file = ctx.state.file!;
    await answer(ctx, file, async () => {
      const link = await linkOf(file, ctx.params.sharingId!);
      if (!link) return { flash: linkGone };
      await guestpass.deleteLink(link.id);
      deps.log('info', 'link deleted', { sharingId: link.id });
      return { flash: { kind: 'notice', text: `The link is deleted. Nobody can open it any more.` } };
    });
  });

  /** The link, if guestpass has it and it is for this file (a form for one file never changes another's link). */
  async function linkOf(file: SharedFile, sharingId: string): Promise<Link | undefined> {
    const link = await guestpass.findLink(sharingId);
    return link?.resource === file.resource ? link : undefined;
  }

  /** Runs one change, turns a refusal by guestpass into a message, and redirects 303 to the file's page. */
  async function answer(ctx: Context, file: SharedFile, change: () => Promise<{ flash: Flash; fragment?: string }>, typed?: Flash['form']): Promise<void> {
    let outcome: { flash: Flash; fragment?: string };
    try {
      outcome = await change();
    } catch (error) {
      if (!(error instanceof GuestpassApiError)) throw error;
      if (error.status >= 500 || error.during !== 'api' || error.status === 401 || error.status === 403) deps.log('warn', 'management API refused', { status: error.status, error: error.error, during: error.during });
      outcome = { flash: { kind: 'error', text: refusalText(error), form: typed } };
    }
    browserState(ctx).setFlash(outcome.flash);
    redirect303(ctx, `/files/${encodeURIComponent(file.name)}${outcome.fragment ? `#${outcome.fragment}` : ''}`);
  }

  return router;
}

const linkGone: Flash = { kind: 'error', text: 'That link no longer exists; someone may have deleted it a moment ago.' };

function refusalText(error: GuestpassApiError): string {
  if (error.status >= 500) return `guestpass is not available right now (${error.description}), so the change may not have been made. Reload the page to see, and try again.`;
  if (error.during !== 'api' || error.status === 401 || error.status === 403) return `${setupProblem(error)} Nothing was changed.`;
  return `guestpass refused: ${error.description}`;
}

/** What an operator needs to read when guestpass will not let this host in at all. */
function setupProblem(error: GuestpassApiError): string {
  return `guestpass does not let this file host manage links (${error.error}: ${error.description}). Check its client ID and secret, and that guestpass registers it with the client_credentials grant and the links:read and links:write scopes.`;
}

/** "a@x.org, b@y.org\nc@z.org" → three addresses; validating them is guestpass's job (it names the bad ones). */
function splitAddresses(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

function parseDays(text: string): number | undefined | 'invalid' {
  if (text === '') return undefined;
  if (!/^\d{1,4}$/.test(text)) return 'invalid';
  const days = Number(text);
  return days >= 1 && days <= maxExpiryDays ? days : 'invalid';
}
