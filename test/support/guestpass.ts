/**
 * Starts a real guestpass for a test: real HTTP on a free port, the in-memory store or the test
 * run's redis-server (under a key prefix of its own), mail over SMTP to a capture server, and a
 * relying party registered as client `rp`.
 */
import { Redis } from 'ioredis';

import type { Store } from '../../adapters/store.ts';
import { parseConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../src/clock.ts';
import { generateKeyMaterial, type KeyMaterial } from '../../src/keys.ts';
import { createLogger } from '../../src/log.ts';
import { createServer, type GuestpassServer } from '../../src/http_server.ts';
import type { ServerDeps } from '../../src/server.ts';
import { Browser, findForm, type PageResponse } from './browser.ts';
import { testRedisUrl, uniqueKeyPrefix } from './redis.ts';
import { freePort } from './redis_server.ts';
import { TestRelyingParty, type PendingAuthorization } from './relying_party.ts';
import { codeFrom, SmtpCapture } from './smtp.ts';

export const rpClient = {
  client_id: 'rp',
  client_secret: 'rp-secret-for-tests-only',
  client_name: 'Test File Host',
  redirect_uris: ['http://rp.test/callback'],
  post_logout_redirect_uris: ['http://rp.test/signed-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid email profile sharing offline_access',
  // The sign-in mechanics tests send codes without links; link rules have tests of their own.
  guestpass_open_sign_in: true,
};

/** An administrator's client: every link, the audit trail, the report. */
export const adminClient = {
  client_id: 'admin-console',
  client_secret: 'admin-secret-for-tests-only',
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'links:read links:write audit:read directory:read directory:write settings:write admin',
};

/** A resource server as SPEC §6 has it: one client that manages its links and signs people in to them. */
export const filesClient = {
  client_id: 'files',
  client_secret: 'files-secret-for-tests-only',
  client_name: 'Contoso Files',
  redirect_uris: ['http://files.test/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid email profile sharing links:read links:write',
};

let sharedKeys: Promise<KeyMaterial> | undefined;
/** One key set for the whole run: generating RSA keys per test would only cost time. */
export function testKeys(): Promise<KeyMaterial> {
  return (sharedKeys ??= generateKeyMaterial());
}

export interface StartOptions {
  store: 'memory' | 'redis';
  smtp: SmtpCapture;
  /** Merged over the test defaults. */
  config?: Record<string, unknown>;
  clock?: Clock;
  /** Reuse a key prefix (several instances sharing one Redis). */
  keyPrefix?: string;
  deps?: ServerDeps;
}

export interface TestGuestpass {
  server: GuestpassServer;
  issuer: string;
  config: Config;
  store: Store;
  keyPrefix: string;
  rp: TestRelyingParty;
  browser(headers?: Record<string, string>): Browser;
  close(): Promise<void>;
}

export async function startGuestpass(options: StartOptions): Promise<TestGuestpass> {
  // A test may pin the port (to restart an instance at the same issuer); otherwise a free one.
  const port = typeof options.config?.port === 'number' ? options.config.port : await freePort();
  // Several instances of one deployment share an issuer (a load balancer in front); a test may pass the first one's.
  const issuer = typeof options.config?.issuer === 'string' ? options.config.issuer : `http://127.0.0.1:${port}`;
  const keyPrefix = options.keyPrefix ?? uniqueKeyPrefix('gp');
  const config = parseConfig({
    port,
    issuer,
    logLevel: 'silent',
    clients: [rpClient, filesClient, adminClient],
    smtp: { url: options.smtp.url },
    outbox: { pollIntervalMs: 50, initialBackoffSeconds: 1 },
    ...(options.store === 'redis' ? { redis: { url: testRedisUrl(), keyPrefix } } : {}),
    ...options.config,
  });
  const server = await createServer(config, { keys: await testKeys(), logger: createLogger('silent'), clock: options.clock, ...options.deps });
  await server.listen(port, '127.0.0.1');
  const rp = await TestRelyingParty.discover(issuer, rpClient.client_id, rpClient.client_secret, rpClient.redirect_uris[0]!);
  return {
    server,
    issuer,
    config,
    store: server.store,
    keyPrefix,
    rp,
    browser: (headers) => new Browser(issuer, headers),
    async close() {
      await server.close();
      if (options.store === 'redis' && !options.keyPrefix) await deleteKeys(keyPrefix);
    },
  };
}

/**
 * A guestpass for one suite, and the SMTP capture it mails to: started before the suite's tests,
 * stopped after them. Its fields are the running instance's, so read them in tests and hooks.
 */
export class SuiteGuestpass implements TestGuestpass {
  #running: TestGuestpass | undefined;
  #smtp: SmtpCapture | undefined;

  async start(options: Omit<StartOptions, 'smtp'>): Promise<void> {
    this.#smtp = await new SmtpCapture().start();
    this.#running = await startGuestpass({ ...options, smtp: this.#smtp });
  }

  async close(): Promise<void> {
    await this.#running?.close();
    await this.#smtp?.stop();
  }

  get smtp(): SmtpCapture {
    return this.#started(this.#smtp);
  }
  get server(): GuestpassServer {
    return this.#started(this.#running).server;
  }
  get issuer(): string {
    return this.#started(this.#running).issuer;
  }
  get config(): Config {
    return this.#started(this.#running).config;
  }
  get store(): Store {
    return this.#started(this.#running).store;
  }
  get keyPrefix(): string {
    return this.#started(this.#running).keyPrefix;
  }
  get rp(): TestRelyingParty {
    return this.#started(this.#running).rp;
  }
  browser(headers?: Record<string, string>): Browser {
    return this.#started(this.#running).browser(headers);
  }

  #started<T>(value: T | undefined): T {
    if (value === undefined) throw new Error('useGuestpass starts guestpass in a before hook: read it inside tests and hooks');
    return value;
  }
}

/** The before/after of a suite that runs one guestpass (and an SMTP capture, `gp.smtp`). */
export function useGuestpass(options: Omit<StartOptions, 'smtp'>): SuiteGuestpass {
  const gp = new SuiteGuestpass();
  before(() => gp.start(options));
  after(() => gp.close());
  return gp;
}

/** Deletes the keys under a prefix, and only those. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', '500');
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

// --- the sign-in journey, step by step ---------------------------------------------------------

/** What a journey needs: a relying party and a way to open a browser on the provider. */
export type SignInTarget = Pick<TestGuestpass, 'rp' | 'browser'> & { readonly server?: Pick<TestGuestpass['server'], 'outbox'> };

export interface Journey {
  browser: Browser;
  pending: PendingAuthorization;
  page: PageResponse;
  /** Waits for what the email form hands over to run after its answer (`Outbox.later`), where the server is at hand. */
  settle?: () => Promise<void>;
}

/** Opens the authorization URL and lands on guestpass's first page. */
export async function openSignIn(gp: SignInTarget, parameters: Record<string, string> = {}, browser = gp.browser()): Promise<Journey> {
  const pending = await gp.rp.authorizationUrl(parameters);
  const page = await browser.get(pending.url);
  return { browser, pending, page, settle: 'server' in gp ? () => gp.server!.outbox.settled() : undefined };
}

/**
 * The email form, and the code page it leads to. Whom a code goes to is decided after the answer,
 * at a random moment (`Outbox.later`): where the server is at hand, this waits for that too, so
 * what a test reads next (the audit, the store) holds the outcome.
 */
export async function submitEmail(journey: Journey, email: string): Promise<PageResponse> {
  journey.page = await journey.browser.submit(journey.page, '/email', { email });
  await journey.settle?.();
  return journey.page;
}

export async function submitCode(journey: Journey, code: string, extra: Record<string, string> = {}): Promise<PageResponse> {
  journey.page = await journey.browser.submit(journey.page, '/code', { code, ...extra });
  return journey.page;
}

/** The whole journey: email, code from the mail, back at the relying party with tokens. */
export async function signIn(gp: SignInTarget, smtp: SmtpCapture, email: string, parameters: Record<string, string> = {}, browser?: Browser) {
  const journey = await openSignIn(gp, parameters, browser);
  const already = smtp.mailsTo(email).length;
  await submitEmail(journey, email);
  const mail = await smtp.waitForMail(email, { nth: already + 1 });
  const done = await submitCode(journey, codeFrom(mail));
  if (!done.leftTo) throw new Error(`sign-in did not return to the relying party: ${done.status} ${done.body.slice(0, 500)}`);
  const tokens = await gp.rp.redeem(journey.pending, done.leftTo);
  return { tokens, claims: tokens.claims()!, journey, mail };
}

export function csrfOf(page: PageResponse, actionSuffix: string): string {
  return findForm(page.body, actionSuffix).hidden.csrf ?? '';
}
