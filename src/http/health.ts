/**
 * `GET /healthz`: the process is alive. `GET /readyz`: it can reach its store and its
 * configuration holds, so it can serve. A federation entry refused because its provider states
 * another issuer fails readiness on purpose (a rolling deployment with that mistake stops before
 * it replaces working instances); the instance itself goes on serving, email codes included.
 * The answer names the entry only: probes are often reachable from outside, and a configured
 * issuer may be an internal address. The log line has both issuers.
 *
 * Mail is reported, never a reason to fail: every instance shares the one relay, so taking
 * instances out of rotation for a relay outage would stop federated sign-ins, sessions and the
 * API too and deliver not one more mail, while the outbox retries queued codes by itself. The
 * answer says `mail.state` (`ok`, `degraded`: failing and retried, `down`: refused for good, e.g.
 * our credentials or sender) and since when; alert on it. Never the relay's error text: it may
 * name internal hosts. A process that is shutting down answers 503 `stopping`, so a load balancer
 * still holding a connection to it moves on.
 */
import Router from '@koa/router';

import type { Store } from '../../adapters/store.ts';
import type { IssuerMismatch } from '../federation.ts';
import type { TransportStatus } from '../mail/transport_health.ts';

export interface HealthSources {
  federationProblems?: () => IssuerMismatch[];
  /** What this instance has seen of the mail transport (the outbox knows). */
  mailStatus?: () => TransportStatus;
  /** True once the process has begun to shut down. */
  stopping?: () => boolean;
}

export function healthRouter(store: Pick<Store, 'ping' | 'kind'>, sources: HealthSources = {}): Router {
  const { federationProblems = () => [], mailStatus, stopping = () => false } = sources;
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const federation = federationProblems().map(({ id, problem }) => ({ id, problem }));
    const mail = mailStatus && mailReport(mailStatus());
    const detail = { ...(mail ? { mail } : {}), ...(federation.length > 0 ? { federation } : {}) };
    if (stopping()) {
      ctx.status = 503;
      ctx.body = { status: 'stopping', store: store.kind, error: 'temporarily_unavailable', error_description: 'this instance is shutting down', ...detail };
      return;
    }
    try {
      await store.ping();
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', store: store.kind, error: 'temporarily_unavailable', error_description: 'the store does not answer', ...detail };
      return;
    }
    if (federation.length > 0) {
      ctx.status = 503;
      ctx.body = {
        status: 'unavailable',
        store: store.kind,
        error: 'federation_misconfigured',
        error_description: `${federation.map((problem) => `federation entry "${problem.id}"`).join(', ')}: the provider states another issuer than the configured one (the log has both)`,
        ...detail,
      };
      return;
    }
    ctx.body = { status: 'ready', store: store.kind, ...detail };
  });
  return router;
}

function mailReport(status: TransportStatus): { state: TransportStatus['state']; failingSince?: string } {
  return { state: status.state, ...(status.failingSince === undefined ? {} : { failingSince: new Date(status.failingSince).toISOString() }) };
}
