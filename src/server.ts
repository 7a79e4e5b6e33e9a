/**
 * Two ways to run guestpass, neither reading the environment:
 *
 * - `createServer(config, deps)` (src/http_server.ts): the whole provider on its own HTTP server
 *   (what `guestpass serve` and the tests use), with a graceful `shutdown`.
 * - `createGuestpass(config, deps)`: the pieces — store, outbox, audit, sign-in flow — plus the
 *   oidc-provider configuration they need and a `mount(provider)` for their routes, for an
 *   application that builds its own oidc-provider around them; `mountInHost` serves the plugin
 *   (src/plugin/), where the application keeps its own Provider configuration (docs/library.md).
 */
import type { Server } from 'node:http';
import type Provider from 'oidc-provider';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import type { ClientMetadata, Configuration } from 'oidc-provider';

import type { Store } from '../adapters/store.ts';
import { keyMode } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { consoleAssetsRouter, consoleRouter } from '../interactions/admin/router.ts';
import { consoleRelyingParty, type ConsoleRelyingParty } from '../interactions/admin/relying_party.ts';
import { interactionRouter, type InteractionDeps } from '../interactions/router.ts';
import { assetsRouter } from '../interactions/routes/assets.ts';
import { federationCallbackRouter } from '../interactions/routes/federation_callback.ts';
import { invitationRoutes } from '../interactions/routes/invitations.ts';
import { resumeOnce } from '../interactions/routes/resume_once.ts';
import { SignInFlow } from '../interactions/sign_in/flow.ts';
import { providerPages } from '../interactions/views/provider_pages.ts';
import { adminClientMetadata, adminClientSecret, consoleEligibility } from './admin/client.ts';
import { ConsoleRoles } from './admin/roles.ts';
import { apiMiddleware } from './api/router.ts';
import { AuditLog } from './audit.ts';
import { brandingOf } from './branding.ts';
import { systemClock, type Clock } from './clock.ts';
import { demoClientMetadata, demoRouter } from './dev/demo.ts';
import { Directory } from './directory.ts';
import { linkEligibility, type EligibilityCheck } from './eligibility.ts';
import { federationPlanner } from './federation_planner.ts';
import { LinkAccess } from './link_access.ts';
import { LinkChecks } from './link_checks.ts';
import { Links } from './links.ts';
import { listenForMetrics, Metrics, metricsRouter } from './metrics.ts';
import { healthRouter } from './http/health.ts';
import { closeServer, withDeadline } from './http/lifecycle.ts';
import { routesOf } from './http/route_gate.ts';
import { requestLog } from './http/request_log.ts';
import { cachePublicMetadata, securityHeaders } from './http/security_headers.ts';
import { errorsAsHttpErrors } from './http/errors.ts';
import { trustedEdge } from './http/trusted_edge.ts';
import { loadKeyMaterial, type KeyMaterial } from './keys.ts';
import { openManagedKeys, type ManagedKeys, type RotationOutcome } from './keyring/managed_keys.ts';
import { createLogger, type Logger } from './log.ts';
import { Outbox } from './mail/outbox.ts';
import { createMailTransport, type MailTransport } from './mail/transport.ts';
import { People } from './people.ts';
import { StorePolicySource } from './policy.ts';
import { Federation } from './federation.ts';
import { Invitations, invitationsClientMetadata } from './invitations.ts';
import { Sessions } from './sessions.ts';
import { Clients } from './clients.ts';
import { auditRegistrations } from './client_events.ts';
import { acceptPreviousSecretsInGrace } from './client_secret_grace.ts';
import { requestCache } from '../adapters/request_cache.ts';
import { assertClientsValid, openSignInMetadata, providerConfiguration } from './provider.ts';
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
  /** Decides who may be sent a code. Default: the secure-link rules of SPEC §2 (src/eligibility.ts). */
  eligibility?: EligibilityCheck;
}

export interface Guestpass {
  readonly config: Config;
  readonly store: Store;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly people: People;
  readonly links: Links;
  readonly federation: Federation;
  readonly invitations: Invitations;
  readonly sessions: Sessions;
  /** The sweep of link checks (expiries, revocations to finish); `sweep()` handles what is due now. */
  readonly linkChecks: LinkChecks;
  readonly policy: StorePolicySource;
  readonly flow: SignInFlow;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly keys: KeyMaterial;
  /** Managed keys (`keys.mode: managed`): the keyring in the store, its rotation and status. Undefined with static keys. */
  readonly keyring: ManagedKeys | undefined;
  /** The clients of the configuration, plus the demo client when it is on. */
  readonly clients: ClientMetadata[];
  /** The oidc-provider configuration guestpass needs; merge your own settings over it. */
  providerConfiguration(): Configuration;
  /** Adds guestpass's routes (sign-in pages, assets, health, demo) to a Provider, and checks its clients. */
  mount(provider: Provider): Promise<void>;
  /**
   * The plugin's `mount` (src/plugin/): guestpass's pages, assets, work-account and invitation
   * routes in a host application's Provider. The sign-in pages answer only for interactions
   * `ownsInteraction` says are guestpass's, and only they get guestpass's security headers;
   * every other request goes on to the host's own routes. No health, management API, metrics
   * or demo: those belong to the host (or to `createServer`).
   */
  mountInHost(provider: Provider, ownsInteraction: (ctx: Context, uid: string) => Promise<boolean>): Promise<void>;
  /** Drops audit events older than `audit.retentionDays` (also done hourly once started). */
  trimAudit(): Promise<void>;
  /** Starts the outbox worker, the hourly audit trim and the sweep of link checks. */
  start(): void;
  /** Stops the outbox worker and closes what guestpass opened. */
  close(): Promise<void>;
  /**
   * For a process that is shutting down: `/readyz` answers 503 from now on, the outbox worker
   * stops after sending what requests handed over and what is due (see `Outbox.drain`), then
   * everything closes. Call it once the HTTP server has stopped taking requests.
   */
  drainAndClose(timeoutMs: number): Promise<void>;
  /** Makes `/readyz` answer 503 `stopping`; called when a shutdown begins. */
  markStopping(): void;
}

export async function createGuestpass(config: Config, deps: ServerDeps = {}): Promise<Guestpass> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const store = deps.store ?? (await createStore(config, logger));
  const mailTransport =
    deps.mailTransport ??
    createMailTransport({ smtpUrl: config.smtp.url, maxConnections: config.smtp.maxConnections, from: config.mail.from, dataDir: config.dataDir, logger });

  const metrics = config.metrics.enabled ? new Metrics() : undefined;
  const branding = brandingOf(config.organization, config.issuer);
  const audit = new AuditLog(store, clock, logger, metrics && ((event) => metrics.auditEvent(event)));
  const auditRotation = async (outcome: RotationOutcome) => {
    await audit.record('KeysRotated', { actor: { type: 'system', id: 'key-schedule' }, detail: { generation: outcome.generation, activatesAt: outcome.activatesAt, kids: outcome.kids } });
  };
  const managedKeys = deps.keys || keyMode(config) === 'static' ? undefined : await openManagedKeys(config, store, clock, logger, auditRotation).catch(async (error: unknown) => {
    if (!deps.store) await store.close();
    throw error;
  });
  const keys = deps.keys ?? managedKeys?.material ?? (await loadKeyMaterial(config, logger));
  const outbox = new Outbox({
    store,
    transport: mailTransport,
    clock,
    logger,
    audit,
    secrets: keys.secrets,
    settings: config.outbox,
    onAttempt: metrics && ((outcome) => metrics.mailDelivery(outcome)),
  });
  const people = new People(store, clock, config.organization.domains);
  const policy = new StorePolicySource({ store, initial: config.policy, clock, logger });
  const sessions = new Sessions(store, logger);
  const linkAccess = new LinkAccess({ store, sessions, clock, logger });
  const links = new Links({ store, clock, audit, people, policy, access: linkAccess, maxRecipients: config.links.maxRecipients });
  const linkChecks = new LinkChecks({ store, access: linkAccess, audit, clock, logger, intervalSeconds: config.links.checkIntervalSeconds });
  const federation = new Federation({
    entries: config.federation,
    issuer: config.issuer,
    store,
    clock,
    logger,
    people,
    organizationDomains: config.organization.domains,
    allowPrivateNetworkCalls: config.allowPrivateNetworkCalls,
  });
  const roles = new ConsoleRoles(config.admin, people);
  const adminSecret = adminClientSecret(keys.secrets);
  const clients = [
    ...config.clients,
    invitationsClientMetadata(config.issuer),
    adminClientMetadata(config.issuer, adminSecret),
    ...(config.demo.enabled ? [demoClientMetadata(config.issuer)] : []),
  ] as ClientMetadata[];
  const staticOpenSignIn = new Set(clients.filter((client) => client[openSignInMetadata] === true).map((client) => client.client_id));
  const staticIds = new Set(clients.map((client) => client.client_id));
  // A dynamic client has open sign-in only if its registration policy allowed it (src/client_registration.ts).
  const openSignInClients = {
    has: async (clientId: string) => staticOpenSignIn.has(clientId) || (!staticIds.has(clientId) && (await store.findModel('Client', clientId))?.[openSignInMetadata] === true),
  };
  const redirectOrigins = new Set(config.clients.flatMap((client) => (client.redirect_uris ?? []).flatMap((uri) => URL.parse(uri)?.origin ?? [])));
  const invitations = new Invitations({
    store,
    clock,
    people,
    audit,
    outbox,
    issuer: config.issuer,
    organizationName: config.organization.name,
    redirectOrigins,
    invitationMailsPerHour: config.rateLimits.invitationMailsPerAddressPerHour,
  });
  // The console's client sends codes only to its admins and auditors; every other client keeps its rules.
  const eligibility = consoleEligibility({ roles, policy, people }, deps.eligibility ?? linkEligibility({ links, people, policy, openSignInClients }));
  const planner = federationPlanner(federation, policy);
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
    eligibility,
    federation: planner,
  });

  // Retention: every instance trims hourly; trimming twice is harmless.
  let stopping = false;
  let auditTrimmer: NodeJS.Timeout | undefined;
  let metricsServer: Server | undefined;
  let consoleClient: ConsoleRelyingParty | undefined;
  const trimAudit = () => store.trimAudit(clock.now() - config.audit.retentionDays * 24 * 60 * 60 * 1000);
  const trimAuditInBackground = () => {
    trimAudit().catch((error: unknown) => logger.warn({ err: error }, 'audit trim failed'));
  };

  const interactionDeps = (provider: Provider): InteractionDeps => ({
    provider,
    flow,
    links,
    federation,
    planner,
    eligibility,
    invitations,
    store,
    people,
    audit,
    policy,
    clock,
    logger,
    branding,
    supportContact: config.organization.supportContact,
    issuer: config.issuer,
  });

  const close = async () => {
    clearInterval(auditTrimmer);
    managedKeys?.stop();
    await linkChecks.stop();
    if (metricsServer) await closeServer(metricsServer);
    await consoleClient?.close();
    await outbox.stop();
    if (!deps.mailTransport) await mailTransport.close();
    if (!deps.store) await store.close();
  };

  return {
    config,
    store,
    outbox,
    audit,
    people,
    policy,
    flow,
    clock,
    logger,
    keys,
    keyring: managedKeys,
    clients,
    links,
    federation,
    invitations,
    sessions,
    linkChecks,
    providerConfiguration: () => providerConfiguration({ config, clock, keys, store, people, policy, eligibility, clients, pages: providerPages(branding.page) }),
    async mount(provider) {
      sessions.attach(provider);
      managedKeys?.attach(provider);
      // First, so every later step of a request shares what it read (adapters/request_cache.ts).
      provider.use(requestCache);
      provider.use(errorsAsHttpErrors);
      // Koa then takes the scheme from X-Forwarded-Proto, which `trustedEdge` pins to the issuer's;
      // the client address, Host and X-Forwarded-Host it decides itself, whatever `trustProxy` says.
      // Set here rather than left to the application: with `proxy` off, an https issuer behind a TLS
      // proxy would refuse to set its Secure cookies.
      provider.proxy = true;
      provider.use(trustedEdge(config.issuer, config.trustProxy));
      provider.use(securityHeaders({ https: config.issuer.startsWith('https:'), imageSources: branding.imageSources }));
      provider.use(cachePublicMetadata(provider));
      // Each router only for the paths its routes could match (src/http/route_gate.ts).
      provider.use(requestLog(logger, metrics && ((method, path, status, seconds) => metrics.request(method, path, status, seconds))));
      provider.use(routesOf(healthRouter(store, { federationProblems: () => federation.problems(), mailStatus: () => outbox.transportStatus(), stopping: () => stopping })));
      if (metrics && config.metrics.port === undefined) provider.use(routesOf(metricsRouter(metrics, config.metrics.bearerToken)));
      provider.use(resumeOnce(store, clock, branding.page));
      provider.use(routesOf(assetsRouter(branding.stylesheet)));
      provider.use(routesOf(federationCallbackRouter(federation, branding.page)));
      provider.use(routesOf(invitationRoutes({ invitations, people, issuer: config.issuer, branding: branding.page })));
      provider.use(routesOf(interactionRouter(interactionDeps(provider))));
      acceptPreviousSecretsInGrace(provider, store, clock);
      auditRegistrations(provider, audit, logger);
      const runtimeClients = new Clients({ provider, store, audit, clock, issuer: config.issuer, staticClients: clients });
      consoleClient = consoleRelyingParty(provider, config.issuer, adminSecret);
      provider.use(routesOf(consoleAssetsRouter()));
      const directory = new Directory({ people, sessions, audit });
      const consoleSettings = { issuer: config.issuer, organizationName: config.organization.name, secrets: keys.secrets, sessionMinutes: config.admin.sessionMinutes };
      provider.use(routesOf(consoleRouter({ provider, relyingParty: consoleClient, roles, links, people, directory, invitations, policy, audit, clients: runtimeClients, store, clock, logger, ...consoleSettings })));
      provider.use(apiMiddleware({ issuer: config.issuer, jwks: keys.jwks, keyring: managedKeys, store, links, people, invitations, sessions, policy, audit, clients: runtimeClients, clock, logger }));
      if (config.demo.enabled) provider.use(routesOf(demoRouter(config.issuer, clock)));
      await assertClientsValid(provider, clients as { client_id: string }[]);
    },
    async mountInHost(provider, ownsInteraction) {
      sessions.attach(provider);
      // The host owns its Provider's signing and cookie keys; managed keys rotate guestpass's secrets only.
      provider.use(requestCache);
      const headers = securityHeaders({ https: config.issuer.startsWith('https:'), imageSources: branding.imageSources });
      const edge = trustedEdge(config.issuer, config.trustProxy);
      const interactions = interactionRouter(interactionDeps(provider)).routes();
      const ours = compose<Context>([errorsAsHttpErrors, edge, headers, assetsRouter(branding.stylesheet).routes(), federationCallbackRouter(federation, branding.page).routes(), invitationRoutes({ invitations, people, issuer: config.issuer, branding: branding.page }).routes()] as Middleware[]);
      const ourPages = compose<Context>([edge, headers, interactions] as Middleware[]);
      provider.use(resumeOnce(store, clock, branding.page));
      provider.use(async (ctx, next) => {
        const interaction = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/|$)/.exec(ctx.path);
        if (interaction) return (await ownsInteraction(ctx, interaction[1]!)) ? ourPages(ctx, next) : next();
        if (/^\/(assets\/(guestpass|branding)\.|federation\/|invitations\/)/.test(ctx.path)) return ours(ctx, next);
        return next();
      });
      await assertClientsValid(provider, clients as { client_id: string }[]);
    },
    trimAudit,
    start() {
      outbox.start();
      if (metrics && config.metrics.port !== undefined) metricsServer = listenForMetrics(metrics, config.metrics, logger);
      // In the background: an unreachable provider must not hold up start-up, nor a code sign-in.
      void federation.checkProviders();
      trimAuditInBackground();
      auditTrimmer = setInterval(trimAuditInBackground, 60 * 60 * 1000);
      auditTrimmer.unref();
      linkChecks.start();
      managedKeys?.start();
    },
    close,
    markStopping() {
      stopping = true;
    },
    async drainAndClose(timeoutMs) {
      stopping = true;
      // A relay that hangs must not hold the process past its deadline; what is left stays queued.
      const drained = await withDeadline(outbox.drain(), timeoutMs);
      if (!drained) logger.warn({ timeoutMs }, 'the outbox did not finish within the shutdown timeout; queued mail stays for the next instance');
      await close();
    },
  };
}
