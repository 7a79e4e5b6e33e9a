/**
 * guestpass as a library. `createServer` builds the whole provider; the pieces below serve an
 * application that assembles its own oidc-provider (the "plugin" use): the storage adapters and
 * oidc-provider `Adapter`, the interaction routes and sign-in state machine, and the
 * configuration loader.
 */
export { createGuestpass, type Guestpass, type ServerDeps } from './server.ts';
export { createServer, type GuestpassServer } from './http_server.ts';
export { createProvider, providerConfiguration, claimsFor, scopeClaims, managementScopes, sharingIdPattern } from './provider.ts';
export { loadConfig, parseConfig } from '../config/load.ts';
export { configSchema, type Config } from '../config/schema.ts';
export type { Store } from '../adapters/store.ts';
export { MemoryStore } from '../adapters/memory.ts';
export { RedisStore, createRedisStore } from '../adapters/redis.ts';
export { oidcAdapterFor, TemporarilyUnavailable } from '../adapters/oidc_adapter.ts';
export { interactionRouter, type InteractionDeps } from '../interactions/router.ts';
export { SignInFlow } from '../interactions/sign_in/flow.ts';
export { loadExistingGrantFor, createGrant } from './grants.ts';
export { AuditLog } from './audit.ts';
export { Links } from './links.ts';
export { linkEligibility, type EligibilityCheck, type CodeEligibility } from './eligibility.ts';
export { Outbox } from './mail/outbox.ts';
export { createMailTransport, type MailTransport } from './mail/transport.ts';
export * from './errors.ts';
export type { Clock } from './clock.ts';
