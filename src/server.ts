/**
 * createServer(config, deps): builds a whole guestpass — store, mail outbox, audit, sign-in flow,
 * oidc-provider with our routes — without reading the environment. `src/main.ts` calls it for
 * `npm start`; tests call it with their own clock, store or mail transport; an application can
 * call it to embed guestpass (see README, "Use as a library").
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';

import type { Store } from '../adapters/store.ts';
import type { Config } from '../config/schema.ts';
import { interactionRouter } from '../interactions/router.ts';
import { SignInFlow, everyoneIsEligible, type EligibilityCheck } from '../interactions/sign_in.ts';
import { AuditLog } from './audit.ts';
import { systemClock, type Clock } from './clock.ts';
import { demoClientMetadata, demoRouter } from './dev/demo.ts';
import { assetsRouter } from './http/assets.ts';
import { healthRouter } from './http/health.ts';
import { requestLog } from './http/request_log.ts';
import { securityHeaders } from './http/security_headers.ts';
import { loadKeyMaterial, type KeyMaterial } from './keys.ts';
import { createLogger, type Logger } from './log.ts';
import { Outbox } from './mail/outbox.ts';
import { createMailTransport, type MailTransport } from './mail/transport.ts';
import { People } from './people.ts';
import { fixedPolicy, type PolicySource } from './policy.ts';
import { assertClientsValid, createProvider } from './provider.ts';
import { createStore } from './store_factory.ts';

/** What a caller may supply instead of what the configuration would build. */
export interface ServerDeps {
  clock?: Clock;
  logger?: Logger;
  /** A store the caller owns (and closes). */
  store?: Store;
  /** A mail transport the caller owns (and closes). */
  mailTransport?: MailTransport;
  keys?: KeyMaterial;
  /** Decides who may be sent a code (secure links, policy). Default: everyone. */
  eligibility?: EligibilityCheck;
}

export interface GuestpassServer {
  readonly config: Config;
  readonly provider: Provider;
  readonly store: Store;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly people: People;
  readonly policy: PolicySource;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Starts the HTTP server (port 0 picks a free one) and the outbox worker. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /** Stops accepting requests, drains the outbox worker, closes what this server opened. */
  close(): Promise<void>;
}

export async function createServer(config: Config, deps: ServerDeps = {}): Promise<GuestpassServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const keys = deps.keys ?? (await loadKeyMaterial(config, logger));
  const store = deps.store ?? (await createStore(config, logger));
  const mailTransport =
    deps.mailTransport ??
    createMailTransport({ smtpUrl: config.smtp.url, maxConnections: config.smtp.maxConnections, from: config.mail.from, dataDir: config.dataDir, logger });

  const audit = new AuditLog(store, clock, logger);
  const outbox = new Outbox({ store, transport: mailTransport, clock, logger, audit, secrets: keys.secrets, settings: config.outbox });
  const people = new People(store, clock, config.organization.domains);
  const policy = fixedPolicy(config.policy);
  const flow = new SignInFlow({
    store,
    clock,
    outbox,
    audit,
    people,
    secrets: keys.secrets,
    otpPolicy: async () => (await policy.get()).otp,
    codesPerIpPerHour: config.rateLimits.codesPerIpPerHour,
    organizationName: config.organization.name,
    eligibility: deps.eligibility ?? everyoneIsEligible,
  });

  const clients = [...config.clients, ...(config.demo.enabled ? [demoClientMetadata(config.issuer)] : [])];
  const provider = createProvider({ config, keys, store, people, policy, logger, clients: clients as never });
  await assertClientsValid(provider, clients);

  provider.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  provider.use(requestLog(logger));
  provider.use(healthRouter(store).routes());
  provider.use(assetsRouter().routes());
  provider.use(
    interactionRouter({ provider, flow, store, people, audit, policy, clock, logger, organizationName: config.organization.name, issuer: config.issuer }).routes(),
  );
  if (config.demo.enabled) provider.use(demoRouter(config.issuer).routes());

  let http: Server | undefined;
  return {
    config,
    provider,
    store,
    outbox,
    audit,
    people,
    policy,
    clock,
    logger,
    async listen(port = config.port, host) {
      http = createHttpServer(provider.callback());
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(port, host, () => resolve());
      });
      outbox.start();
      const actual = (http.address() as AddressInfo).port;
      return { port: actual, url: config.issuer };
    },
    async close() {
      await outbox.stop();
      if (http) {
        const server = http;
        http = undefined;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (!deps.mailTransport) await mailTransport.close();
      if (!deps.store) await store.close();
    },
  };
}
