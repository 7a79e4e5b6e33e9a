/**
 * What `production: true` refuses (SPEC §8), beyond what the schema checks field by field:
 *
 * - a placeholder where a secret belongs: the `REPLACE…` values of
 *   `config/example.production.json`, the demo client's secret, test secrets, one character
 *   repeated. A deployment copied from the example and started before every value was filled
 *   in would otherwise sign tokens and seal mail with keys anyone can read in this repository;
 * - the in-memory store (everything is lost on restart and instances do not share it) and the
 *   file outbox (codes are written to disk instead of being mailed), and code mails queued
 *   without their random delay (a timing side channel, SPEC §2), unless `allowInProduction`
 *   names the exception.
 *
 * A message names the field and the fix, and never the value: a real secret that merely looks
 * like a placeholder must not end up in a log.
 */
import type { Config } from './schema.ts';

/** Words and shapes no real secret has. Matched case-insensitively; the first that matches is named. */
const placeholderMarkers: readonly [RegExp, string][] = [
  [/replace/i, 'REPLACE'],
  [/change[-_ .]?(me|it)/i, 'CHANGEME'],
  [/placeholder/i, 'placeholder'],
  [/not[-_ .]for[-_ .]production/i, 'not-for-production'],
  [/for[-_ .]tests?([-_ .]only)?/i, 'for-tests'],
  [/example/i, 'example'],
  [/your[-_ .]?(secret|password|key|token)/i, 'your-secret'],
  [/\b(todo|fixme|tbd)\b/i, 'TODO'],
  [/^<.*>$/, '<…>'],
  [/^\$\{.*\}$/, '${…}'],
  [/^(.)\1*$/s, 'one character repeated'],
  [/^(secret|password|passw0rd|changeit|default|test|admin|12345678.*)$/i, 'a well-known default'],
];

/** Why a value is a placeholder (the marker found), or undefined when it looks like a secret. */
export function placeholderMarker(value: string): string | undefined {
  return placeholderMarkers.find(([pattern]) => pattern.test(value))?.[1];
}

/** Every problem `production: true` finds in an otherwise valid configuration. */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const { field, value } of secretFields(config)) {
    const marker = placeholderMarker(value);
    if (marker) problems.push(`${field}: looks like a placeholder (${marker}), not a secret; ${fixFor(field)}`);
  }
  const { redis, smtp, allowInProduction } = config;
  if (!redis.url && !redis.sentinels && !redis.cluster && !allowInProduction.memoryStore) {
    problems.push(
      'redis: production needs Redis (REDIS_URL, or redis.sentinels or redis.cluster in the file): the in-memory store forgets every person, link and session on restart and is not shared between instances; set allowInProduction.memoryStore to true to accept that',
    );
  }
  if (!smtp.url && !allowInProduction.fileOutbox) {
    problems.push(
      `smtp.url: production needs an SMTP relay (SMTP_URL): without one codes are written to ${config.dataDir}/outbox/ instead of being mailed; set allowInProduction.fileOutbox to true to accept that`,
    );
  }
  if (!config.outbox.codeMailJitter && !allowInProduction.codeMailWithoutJitter) {
    problems.push(
      'outbox.codeMailJitter: production keeps code mails at a random moment after the answer: queued at once, the work a real mail causes tells a link\'s recipients from other addresses by timing; set allowInProduction.codeMailWithoutJitter to true to accept that',
    );
  }
  return problems;
}

interface SecretField {
  field: string;
  value: string;
}

function secretFields(config: Config): SecretField[] {
  const fields: SecretField[] = [];
  const add = (field: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') fields.push({ field, value });
  };
  config.keys.jwks?.keys.forEach((key, index) => {
    // Every string member of a JWK: a placeholder in `n` is as fatal as one in `d`.
    for (const [name, value] of Object.entries(key)) if (name !== 'kty' && name !== 'alg' && name !== 'use' && name !== 'crv') add(`keys.jwks.keys[${index}].${name}`, value);
  });
  config.keys.cookies?.forEach((value, index) => add(`keys.cookies[${index}]`, value));
  config.keys.secrets?.forEach((value, index) => add(`keys.secrets[${index}]`, value));
  add('keys.encryptionKey', config.keys.encryptionKey);
  config.clients.forEach((client, index) => add(`clients[${index}].client_secret`, client.client_secret));
  config.federation.forEach((entry, index) => add(`federation[${index}].clientSecret`, entry.clientSecret));
  add('redis.password', config.redis.password);
  add('redis.url', urlPassword(config.redis.url));
  add('smtp.url', urlPassword(config.smtp.url));
  add('metrics.bearerToken', config.metrics.bearerToken);
  return fields;
}

/** The password part of a URL (`smtp://user:pass@host`), decoded; none when there is none. */
function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const password = URL.parse(url)?.password;
  return password ? decodeURIComponent(password) : undefined;
}

function fixFor(field: string): string {
  if (field.startsWith('keys.jwks')) return 'generate a signing key with `guestpass keys generate`';
  if (field.startsWith('keys.')) return 'generate one with `guestpass keys generate` (or `openssl rand -base64 32`)';
  if (field.startsWith('clients[')) return 'set the secret the client was given, e.g. from `openssl rand -base64 32`';
  if (field === 'redis.url' || field === 'smtp.url') return 'put the real password in the URL (or its NAME_FILE variable)';
  return 'set the real value (env or a NAME_FILE variable keeps it out of the file)';
}
