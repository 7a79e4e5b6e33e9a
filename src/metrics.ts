/**
 * Prometheus metrics (prom-client), off unless `metrics.enabled`. What happens is counted from
 * the audit trail itself — every operation of SPEC §7 by result — so the counts and the trail
 * cannot disagree; plus mail deliveries, store outages and request durations. Labels are
 * bounded (operation names, outcomes, the first path segment): never an address or an id.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

import type { AuditEvent } from '../adapters/store.ts';
import type { Logger } from './log.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly #auditEvents = new Counter({
    name: 'guestpass_audit_events_total',
    help: 'Audit events recorded, by operation and result (codes sent, withheld, rejected, sign-ins, link changes, …).',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });
  readonly #mail = new Counter({
    name: 'guestpass_mail_deliveries_total',
    help: 'Outbox delivery attempts, by outcome (sent, retrying, failed, expired).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #storeUnavailable = new Counter({
    name: 'guestpass_store_unavailable_total',
    help: 'Requests answered 503 because the store did not answer.',
    registers: [this.registry],
  });
  readonly #requests = new Histogram({
    name: 'guestpass_http_request_duration_seconds',
    help: 'HTTP request durations, by method, area (first path segment) and status class.',
    labelNames: ['method', 'area', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'guestpass_' });
  }

  auditEvent(event: AuditEvent): void {
    this.#auditEvents.inc({ operation: event.operation, result: event.result });
  }

  mailDelivery(outcome: string): void {
    this.#mail.inc({ outcome });
  }

  request(method: string, path: string, status: number, seconds: number): void {
    if (status === 503) this.#storeUnavailable.inc();
    this.#requests.observe({ method, area: areaOf(path), status: `${Math.floor(status / 100)}xx` }, seconds);
  }
}

const knownAreas = new Set(['interaction', 'auth', 'token', 'me', 'session', 'jwks', 'api', 'federation', 'invitations', 'assets', 'demo', '.well-known', 'healthz', 'readyz', 'metrics']);

/** The first path segment when it is one of ours, so the label's values stay few. */
function areaOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  return knownAreas.has(first) ? first : 'other';
}

/** `GET /metrics`, with a bearer token when one is configured. */
export function metricsRouter(metrics: Metrics, bearerToken: string | undefined): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (bearerToken !== undefined && !sameSecret(ctx.get('authorization'), `Bearer ${bearerToken}`)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="guestpass metrics"');
      ctx.body = { error: 'invalid_token', error_description: 'metrics need the configured bearer token' };
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `/metrics` on a listener of its own (`metrics.port`), so it can stay on an internal network. */
export function listenForMetrics(metrics: Metrics, settings: { port?: number | undefined; host?: string | undefined; bearerToken?: string | undefined }, logger: Logger): Server {
  const app = new Koa();
  app.use(metricsRouter(metrics, settings.bearerToken).routes());
  const server = createServer(app.callback());
  server.on('error', (error) => logger.error({ err: error, port: settings.port }, 'the metrics listener could not start'));
  server.listen(settings.port, settings.host, () => logger.info({ port: settings.port, host: settings.host ?? 'all interfaces' }, 'metrics listening'));
  return server;
}
