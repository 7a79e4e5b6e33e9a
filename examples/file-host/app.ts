/**
 * A small file host that shares files through guestpass secure links — an example to copy
 * from. It is one guestpass client doing two jobs (docs/resource-servers.md, "Secure links:
 * the resource-server guide"):
 *
 * - owners share a file with email addresses: the host creates a link through the management
 *   API (`client_credentials`) and shows `<publicUrl>/s/<sharing_id>` to send;
 * - recipients open that URL, prove their address at guestpass (authorization code flow with
 *   PKCE and `sharing_id`), and download the file.
 *
 * Routes:
 *
 *   GET  /                                                  owner: the files, a share form for each
 *   GET  /files/:name                                       owner: a file's links and their recipients
 *   POST /files/:name/links                                 owner: share (create a link)
 *   POST /files/:name/links/:sharingId/recipients           owner: add people
 *   POST /files/:name/links/:sharingId/recipients/:email/remove   owner: remove one person
 *   POST /files/:name/links/:sharingId/delete               owner: delete the link
 *   GET  /s/:sharingId                                      recipient: sign in, then the download page
 *   GET  /callback                                          recipient: back from guestpass
 *   GET  /s/:sharingId/download                             recipient: the file
 *
 * The host keeps no state of its own (links live at guestpass, sign-ins in signed cookies), so
 * several instances with the same `sessionKeys` can run side by side.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Koa from 'koa';
import { z } from 'zod';

import { BrowserState } from './browser_state.ts';
import { FileCatalogue } from './file_catalogue.ts';
import { GuestpassClient } from './guestpass_client.ts';
import { errorPages, requestLog, securityHeaders } from './http.ts';
import { jsonLinesLog, type Log } from './log.ts';
import { ownerRoutes } from './owner_routes.ts';
import { stylesheet } from './pages.ts';
import { recipientRoutes } from './recipient_routes.ts';

export interface FileHostOptions {
  /** guestpass's issuer URL, e.g. https://id.contoso.com. */
  guestpassIssuer: string;
  clientId: string;
  clientSecret: string;
  /** Where people reach this host, e.g. https://files.contoso.com: links and the redirect URI are made from it. */
  publicUrl: string;
  /** The directory whose files can be shared. Default: `files/` next to this file. */
  filesDir?: string;
  /** Keys that sign the host's cookies, newest first, each at least 32 characters. Default: random at each start (restarting signs everyone out). */
  sessionKeys?: string[];
  /** Allow `http://` for guestpass and this host — development and tests only. */
  allowInsecureHttp?: boolean;
  /** Where log lines go. Default: JSON lines on stdout. */
  log?: Log;
  /** For tests: the clock, and the fetch every request to guestpass goes through. */
  now?: () => number;
  fetch?: typeof fetch;
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, ''));
const optionsSchema = z
  .object({
    guestpassIssuer: httpUrl,
    clientId: z.string().min(1, 'is required'),
    clientSecret: z.string().min(1, 'is required'),
    publicUrl: httpUrl.refine((url) => new URL(url).pathname === '/', 'must be an origin without a path, e.g. https://files.contoso.com'),
    filesDir: z.string().min(1).default(join(import.meta.dirname, 'files')),
    sessionKeys: z.array(z.string().min(32, 'each session key must be at least 32 characters')).min(1).optional(),
    allowInsecureHttp: z.boolean().default(false),
  })
  .superRefine((options, problems) => {
    if (options.allowInsecureHttp) return;
    for (const field of ['guestpassIssuer', 'publicUrl'] as const) {
      if (options[field].startsWith('http:')) problems.addIssue({ code: 'custom', path: [field], message: 'must be https (set allowInsecureHttp for local development)' });
    }
  });

export function createFileHost(options: FileHostOptions): Koa {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`file host: invalid options: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const settings = parsed.data;
  const log = options.log ?? jsonLinesLog;
  const now = options.now ?? Date.now;
  const sessionKeys = settings.sessionKeys ?? [randomBytes(32).toString('base64url')];
  const https = settings.publicUrl.startsWith('https:');

  const guestpass = new GuestpassClient({
    issuer: settings.guestpassIssuer,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri: `${settings.publicUrl}/callback`,
    allowInsecureHttp: settings.allowInsecureHttp,
    now,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const catalogue = new FileCatalogue(settings.filesDir);
  const browserState = (ctx: Koa.Context) => new BrowserState(ctx, { keys: sessionKeys, now });
  const deps = { guestpass, catalogue, publicUrl: settings.publicUrl, browserState, log, now };

  const app = new Koa();
  app.use(requestLog(log));
  app.use(securityHeaders({ https }));
  app.use(errorPages(log));
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/style.css') return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = 'css';
    ctx.body = stylesheet;
  });
  app.use(ownerRoutes(deps).routes());
  app.use(recipientRoutes(deps).routes());
  // koa logs errors that reach it; errorPages answers them all, so this only sees socket errors.
  app.silent = true;
  return app;
}

export interface RunningFileHost {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Creates the host and listens; `port` defaults to the public URL's. */
export async function startFileHost(options: FileHostOptions & { port?: number; host?: string }): Promise<RunningFileHost> {
  const app = createFileHost(options);
  const publicUrl = new URL(options.publicUrl);
  const port = options.port ?? (Number(publicUrl.port) || (publicUrl.protocol === 'https:' ? 443 : 80));
  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => resolve());
  });
  return {
    url: publicUrl.origin,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
