/**
 * One server under test, in a child process of its own so the driver's event loop never takes
 * turns from it. The parent sends a `ServerSpec`, this answers `{ type: 'ready' }` once the
 * server listens, and closes and exits on `{ type: 'stop' }`.
 *
 * guestpass is built only through its public entry (`parseConfig` + `createServer`), so the
 * bench keeps working while its internals are refactored.
 */
import { parseConfig } from '../../config/load.ts';
import { createServer } from '../../src/http_server.ts';
import { startBaseline } from '../baseline/app.ts';

export type SystemName = 'guestpass' | 'baseline';
export type StoreName = 'redis' | 'memory';

export interface ServerSpec {
  system: SystemName;
  store: StoreName;
  port: number;
  issuer: string;
  redisUrl?: string | undefined;
  keyPrefix: string;
  smtpUrl: string;
  dataDir: string;
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  secrets: string[];
  clients: Record<string, unknown>[];
  /** guestpass's `outbox.codeMailJitter` (default on): off, to show what the side-channel defence costs. */
  codeMailJitter?: boolean | undefined;
}

export type ServerMessage = { type: 'ready' } | { type: 'failed'; message: string };

/**
 * The rate limit every sign-in of the bench would hit, raised to its maximum: all sign-ins come
 * from 127.0.0.1. Per-address limits need no change, as every sign-in uses a new address.
 */
const benchRateLimits = { codesPerIpPerHour: 100_000 };

async function start(spec: ServerSpec): Promise<() => Promise<void>> {
  if (spec.system === 'baseline') {
    const baseline = await startBaseline({
      issuer: spec.issuer,
      port: spec.port,
      redisUrl: spec.store === 'redis' ? spec.redisUrl : undefined,
      keyPrefix: spec.keyPrefix,
      smtpUrl: spec.smtpUrl,
      jwks: spec.jwks,
      cookieKeys: spec.cookieKeys,
      clients: spec.clients as never,
    });
    return () => baseline.close();
  }
  const config = parseConfig({
    port: spec.port,
    issuer: spec.issuer,
    logLevel: 'error',
    dataDir: spec.dataDir,
    organization: { name: 'Bench' },
    clients: spec.clients,
    smtp: { url: spec.smtpUrl },
    keys: { jwks: spec.jwks, cookies: spec.cookieKeys, secrets: spec.secrets },
    rateLimits: benchRateLimits,
    ...(spec.codeMailJitter === false ? { outbox: { codeMailJitter: false } } : {}),
    ...(spec.store === 'redis' ? { redis: { url: spec.redisUrl, keyPrefix: spec.keyPrefix } } : {}),
  });
  const server = await createServer(config);
  await server.listen(spec.port, '127.0.0.1');
  return () => server.close();
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

process.once('message', (spec: ServerSpec) => {
  start(spec).then(
    (close) => {
      process.on('message', (message: { type?: string }) => {
        if (message.type !== 'stop') return;
        close().finally(() => process.exit(0));
      });
      send({ type: 'ready' });
    },
    (error: unknown) => {
      send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
});
// The parent gone (killed, crashed) means this server has no one to serve.
process.on('disconnect', () => process.exit(0));
