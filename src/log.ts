/**
 * Logging. Codes, tokens, secrets and cookies never reach a log (ASVS 5.0 16.2.5): request
 * lines carry the path without its query string (which may hold `code=` or tokens) and without
 * the token of a redeem URL, known sensitive fields are redacted wherever they appear, and every
 * string of every line is scrubbed of secret parameters, bearer tokens and URL passwords.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const redactedPaths = [
  'code',
  '*.code',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'client_secret',
  '*.client_secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
];

export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'guestpass' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { err: (error: Error) => scrubbed(pino.stdSerializers.err(error)) },
    // Secrets can hide in any string — an error message quoting a URL, a path: every line is scrubbed.
    formatters: { log: (object) => scrubbed(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

/** The path of a URL without its query, and without secrets the path itself carries: what a request log may show. */
export function loggablePath(url: string): string {
  const query = url.indexOf('?');
  return redactSecrets(query === -1 ? url : url.slice(0, query));
}

/** Parameters whose values are secrets (or single-use proofs) wherever they appear in a URL or form. */
const secretParameters = /\b(code|state|token|access_token|refresh_token|id_token|client_secret|client_assertion|code_verifier|registration_access_token|invitation|password)=[^&\s"'#]+/gi;

/**
 * Removes what may never be logged from a text: the invitation token in a redeem URL's path,
 * secret query or form parameters, a bearer token, and the password of a URL's user info.
 */
export function redactSecrets(text: string): string {
  return text
    // Any spelling the router accepts: it matches case-insensitively and decodes %-escapes.
    .replace(/(\/invitations\/)(?!done(?:[/?#\s"'&]|$))[A-Za-z0-9_%-]{16,}/gi, '$1[redacted]')
    .replace(secretParameters, '$1=[redacted]')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@/\s]+@/gi, '$1[redacted]@');
}

function scrubbed(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (depth > 5 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubbed(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubbed(item, depth + 1)]));
}
