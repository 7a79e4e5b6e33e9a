/**
 * The grace period of a rotated client secret: after `POST /api/v1/clients/:id/rotate-secret`
 * the previous secret keeps working for `client_secret_basic` and `client_secret_post` until the
 * grace period ends, so a relying party can roll its configuration out without downtime.
 *
 * oidc-provider checks those two methods with `Client.prototype.compareClientSecret` (awaited in
 * lib/shared/client_auth.js), and only there; this wraps that one method: the current secret
 * first, as oidc-provider does, and only when it does not match, the previous one, kept in the
 * store as a SHA-256 digest (never in clear) with the end of its grace period. Every instance
 * reads the same record, so rotation takes effect everywhere at once. `client_secret_jwt` (HMAC
 * with the secret) is not covered: such a client switches at rotation time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type Provider from 'oidc-provider';
import { z } from 'zod';

import { TemporarilyUnavailable } from '../adapters/oidc_adapter.ts';
import type { RecordStore } from '../adapters/store.ts';
import type { Clock } from './clock.ts';
import { isStoreUnavailable } from './errors.ts';

const namespace = 'clientSecretGrace';
const graceRecord = z.object({ digest: z.string(), until: z.number() });

function digestOf(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Keeps `previousSecret` working for `graceSeconds` (0: not at all, and any earlier grace ends). */
export async function startGrace(store: Pick<RecordStore, 'putRecord' | 'deleteRecord'>, clock: Clock, clientId: string, previousSecret: string | undefined, graceSeconds: number): Promise<void> {
  if (!previousSecret || graceSeconds <= 0) {
    await store.deleteRecord(namespace, clientId);
    return;
  }
  await store.putRecord(namespace, clientId, { digest: digestOf(previousSecret), until: clock.now() + graceSeconds * 1000 }, graceSeconds);
}

export async function endGrace(store: Pick<RecordStore, 'deleteRecord'>, clientId: string): Promise<void> {
  await store.deleteRecord(namespace, clientId);
}

export function acceptPreviousSecretsInGrace(provider: Provider, store: Pick<RecordStore, 'getRecord'>, clock: Clock): void {
  const prototype = provider.Client.prototype as unknown as { compareClientSecret(this: { clientId: string }, actual: string): boolean | Promise<boolean>; clientId: string };
  const current = prototype.compareClientSecret;
  prototype.compareClientSecret = async function compareWithGrace(actual: string): Promise<boolean> {
    if (await current.call(this, actual)) return true;
    const stored = await store.getRecord(namespace, this.clientId).catch((error: unknown) => {
      throw isStoreUnavailable(error) ? new TemporarilyUnavailable(error) : error;
    });
    const grace = graceRecord.safeParse(stored);
    if (!grace.success || clock.now() >= grace.data.until || typeof actual !== 'string') return false;
    return timingSafeEqual(Buffer.from(digestOf(actual)), Buffer.from(grace.data.digest.padEnd(43).slice(0, 43)));
  };
}
