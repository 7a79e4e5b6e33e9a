/**
 * The baseline: a bare oidc-provider 9 application that signs people in with an emailed 6-digit
 * code — the least a careful application needs for the same sign-in guestpass does, and so
 * the yardstick of `npm run bench:signin`.
 *
 * Steps: the interaction shows an email form; its POST stores a hash of a fresh code for the
 * interaction and hands the mail to a pooled SMTP transport without waiting for it; the code
 * form checks the code, creates a grant for the requested scopes, and finishes the interaction
 * with login and consent at once. The account id is the address itself: no directory, no
 * audit log, no rate limits or lockout, no CSRF token beyond oidc-provider's own interaction
 * cookie, no durable outbox. Everything guestpass does beyond this is what the ratio prices.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { Redis } from 'ioredis';
import nodemailer, { type Transporter } from 'nodemailer';
import Provider, { type ClientMetadata, type Configuration } from 'oidc-provider';
import { z } from 'zod';

import { memoryCodeStore, redisCodeStore, type CodeStore } from './codes.ts';
import { redisAdapterFor } from './redis_adapter.ts';

export interface BaselineOptions {
  issuer: string;
  port: number;
  /** `undefined`: oidc-provider's own in-memory adapter. */
  redisUrl?: string | undefined;
  keyPrefix: string;
  smtpUrl: string;
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  clients: ClientMetadata[];
}

export interface RunningBaseline {
  url: string;
  close(): Promise<void>;
}

const codeTtlSeconds = 600;
const maxAttempts = 5;
const day = 24 * 60 * 60;

export async function startBaseline(options: BaselineOptions): Promise<RunningBaseline> {
  const redis = options.redisUrl ? new Redis(options.redisUrl) : undefined;
  const codes = redis ? redisCodeStore(redis, options.keyPrefix) : memoryCodeStore();
  const mailer = nodemailer.createTransport({ url: options.smtpUrl, pool: true, maxConnections: 5 } as never);
  const provider = new Provider(options.issuer, providerConfiguration(options, redis));
  provider.use(interactionRouter(provider, codes, mailer).routes());

  const http: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => http.listen(options.port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      mailer.close();
      redis?.disconnect();
    },
  };
}

function providerConfiguration(options: BaselineOptions, redis: Redis | undefined): Configuration {
  return {
    ...(redis ? { adapter: redisAdapterFor(redis, options.keyPrefix) } : {}),
    clients: options.clients,
    jwks: options.jwks as Configuration['jwks'],
    cookies: { keys: options.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'email'],
    // As guestpass: claims asked for by scope go into the ID token, so both tokens carry the same.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, email: sub, email_verified: true }) };
    },
    // guestpass's lifetimes, so the two keep state for as long.
    ttl: { AccessToken: 60 * 60, AuthorizationCode: 60, IdToken: 60 * 60, Interaction: 60 * 60, Session: 30 * day, Grant: 30 * day },
  };
}

const emailForm = z.object({ email: z.email().max(254) });
const codeForm = z.object({ code: z.string().regex(/^\d{6}$/) });

function interactionRouter(provider: Provider, codes: CodeStore, mailer: Transporter): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '8kb' });

  router.get('/', async (ctx) => {
    const { uid, prompt } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name !== 'login') ctx.throw(400, `unsupported prompt ${prompt.name}`);
    const pending = await codes.get(uid);
    ctx.type = 'html';
    ctx.body = pending ? codePage(uid, pending.email) : emailPage(uid);
  });

  router.post('/email', parseForm, async (ctx) => {
    const { uid, prompt } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name !== 'login') ctx.throw(400, `unsupported prompt ${prompt.name}`);
    const form = emailForm.safeParse(ctx.request.body);
    if (!form.success) return ctx.throw(400, 'enter an email address');
    const email = form.data.email.trim().toLowerCase();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await codes.put(uid, { email, digest: digest(code), attempts: 0 }, codeTtlSeconds);
    mailer
      .sendMail({
        from: 'baseline <no-reply@localhost>',
        to: email,
        subject: 'Your sign-in code',
        text: `Your sign-in code:\n\n    ${code}\n\nIt works for 10 minutes, once.\n`,
        html: `<p>Your sign-in code:</p><p style="font-size:28px;font-weight:bold">${code}</p><p>It works for 10 minutes, once.</p>`,
      })
      .catch((error: unknown) => console.error('baseline: mail not sent', error));
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}`);
  });

  router.post('/code', parseForm, async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const { uid, params } = details;
    const pending = await codes.get(uid);
    const form = codeForm.safeParse(ctx.request.body);
    if (!pending || !form.success || !sameDigest(digest(form.data.code), pending.digest)) {
      if (pending) {
        if (pending.attempts + 1 >= maxAttempts) await codes.delete(uid);
        else await codes.put(uid, { ...pending, attempts: pending.attempts + 1 }, codeTtlSeconds);
      }
      ctx.status = 303;
      ctx.redirect(`/interaction/${uid}`);
      return;
    }
    await codes.delete(uid);
    const grant = new provider.Grant({ accountId: pending.email, clientId: String(params.client_id) });
    grant.addOIDCScope(String(params.scope));
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: pending.email }, consent: { grantId } }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
  });

  return router;
}

function digest(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

function emailPage(uid: string): string {
  return page(
    'Verify your email',
    `<form method="post" action="/interaction/${escape(uid)}/email"><label>Email <input type="email" name="email" autocomplete="email" required></label><button>Send code</button></form>`,
  );
}

function codePage(uid: string, email: string): string {
  return page(
    'Enter your code',
    `<p>A code is on its way to ${escape(email)}.</p><form method="post" action="/interaction/${escape(uid)}/code"><label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label><button>Continue</button></form>`,
  );
}
