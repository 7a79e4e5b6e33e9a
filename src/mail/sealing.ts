/**
 * Queued mail has to carry its code until it is delivered, yet the store must not hold codes in
 * clear. So mail is sealed (AES-256-GCM, key derived with HKDF from the newest secret) before it
 * is queued and opened only by the worker that sends it. Older secrets still open, so rotating
 * secrets does not strand mail already queued. The admin console seals its cookies the same way,
 * under a purpose of its own.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

import { randomBytesPooled } from '../random_pool.ts';

const version = 'v1';

/** What a sealed value is for: each purpose has keys of its own, so one is never opened as another. */
export interface SealPurpose {
  salt: string;
  info: string;
}

const queuedMail: SealPurpose = { salt: 'guestpass-outbox', info: 'sealed-mail-v1' };

/** Derived keys by purpose and secret: the secrets are the configured few, and HKDF per seal showed in profiles. */
const derivedKeys = new Map<string, Buffer>();

function keyFor(secret: string, purpose: SealPurpose): Buffer {
  const id = `${purpose.salt}\u0000${purpose.info}\u0000${secret}`;
  let key = derivedKeys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, purpose.salt, purpose.info, 32));
    derivedKeys.set(id, key);
  }
  return key;
}

export function seal(secrets: readonly string[], value: unknown, purpose: SealPurpose = queuedMail): string {
  const iv = randomBytesPooled(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secrets[0]!, purpose), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [version, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Opens a sealed value with any of the secrets; undefined when none opens it (tampered, or its secret is gone). */
export function unseal<T>(secrets: readonly string[], sealed: string, purpose: SealPurpose = queuedMail): T | undefined {
  const [tag, iv, body, authTag] = sealed.split('.');
  if (tag !== version || !iv || !body || !authTag) return undefined;
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyFor(secret, purpose), Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(authTag, 'base64url'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      return JSON.parse(text) as T;
    } catch {
      // not this secret; try the next
    }
  }
  return undefined;
}
