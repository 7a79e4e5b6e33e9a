/**
 * Signing keys, cookie keys and secrets. In production they come from configuration (start-up
 * refuses to run without them). In development they are generated once and kept in
 * `<dataDir>/keys.json` (mode 0600), so a restart does not invalidate sessions and tokens.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';

import type { Config } from '../config/schema.ts';
import { ConfigError } from './errors.ts';
import type { Logger } from './log.ts';

export interface KeyMaterial {
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** Newest first: the first signs and seals, all verify and open. */
  secrets: string[];
}

const storedKeysSchema = z.object({
  jwks: z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) }),
  cookieKeys: z.array(z.string().min(32)).min(1),
  secrets: z.array(z.string().min(32)).min(1),
});

export async function loadKeyMaterial(config: Config, logger: Logger): Promise<KeyMaterial> {
  const { jwks, cookies, secrets } = config.keys;
  if (jwks && cookies && secrets) return { jwks: jwks as { keys: JWK[] }, cookieKeys: cookies, secrets };
  if (config.production) throw new ConfigError(['keys: jwks, cookies and secrets are required in production']);

  const generated = await developmentKeys(config.dataDir, logger);
  return {
    jwks: (jwks as { keys: JWK[] } | undefined) ?? generated.jwks,
    cookieKeys: cookies ?? generated.cookieKeys,
    secrets: secrets ?? generated.secrets,
  };
}

async function developmentKeys(dataDir: string, logger: Logger): Promise<KeyMaterial> {
  const file = join(dataDir, 'keys.json');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    const parsed = storedKeysSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new ConfigError([`${file}: not a guestpass key file; delete it to generate new development keys`]);
    return parsed.data as KeyMaterial;
  }
  const material = await generateKeyMaterial();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(material, null, 2)}\n`, { mode: 0o600 });
  logger.warn({ file }, 'generated development keys; configure keys.jwks, keys.cookies and keys.secrets for production');
  return material;
}

export async function generateKeyMaterial(): Promise<KeyMaterial> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const key: JWK = { ...jwk, alg: 'RS256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
  return { jwks: { keys: [key] }, cookieKeys: [randomSecret()], secrets: [randomSecret()] };
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
