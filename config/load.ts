/**
 * Turns the environment and the optional CONFIG_FILE into one validated Config.
 * Every problem is reported with the field it concerns and where the value came from, so a
 * mistyped key or an out-of-range value stops start-up with a message a person can act on.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';

import { brandingProblems } from './branding.ts';
import { ConfigError } from './errors.ts';
import { federationProblems, withFederationPresets } from './federation.ts';
import { productionProblems } from './production.ts';
import { configSchema, type Config } from './schema.ts';
import { nearestConfigKey } from './suggest.ts';

/** The environment variables guestpass reads, and the config field each one sets. */
export const environmentVariables = {
  PORT: 'port',
  HOST: 'host',
  ISSUER: 'issuer',
  REDIS_URL: 'redis.url',
  REDIS_PASSWORD: 'redis.password',
  SMTP_URL: 'smtp.url',
  MAIL_FROM: 'mail.from',
  LOG_LEVEL: 'logLevel',
  KEYS_JWKS: 'keys.jwks',
  KEYS_COOKIES: 'keys.cookies',
  KEYS_SECRETS: 'keys.secrets',
  KEYS_ENCRYPTION_KEY: 'keys.encryptionKey',
  METRICS_BEARER_TOKEN: 'metrics.bearerToken',
} as const;

export type EnvironmentVariable = keyof typeof environmentVariables;

/** How a variable's text becomes its field's value, when it is not plain text. */
export const environmentFormats: Partial<Record<EnvironmentVariable, 'json' | 'list'>> = {
  KEYS_JWKS: 'json',
  KEYS_COOKIES: 'list',
  KEYS_SECRETS: 'list',
};

/** The console admin of the embedded default (`npm start` without CONFIG_FILE): docs/console.md. */
export const embeddedDefaultAdmin = 'admin@example.com';

type Environment = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Environment): Config {
  const fileName = env.CONFIG_FILE?.trim() || undefined;
  const fromFile = fileName ? readConfigFile(fileName) : {};
  const { overrides: fromEnv, sources: envSources } = environmentOverrides(env);
  const merged = deepMerge(fromFile, fromEnv);
  if (env.NODE_ENV === 'production') merged.production ??= true;
  const demoDefault = !fileName && merged.production !== true;
  return parseConfig(merged, { fileName, envSources, demoDefault });
}

interface ConfigSources {
  /** The file the input came from, named in messages. */
  fileName?: string | undefined;
  /** Which variable set a field, for the fields the environment set (`keys.secrets` → `KEYS_SECRETS_FILE`). */
  envSources?: Record<string, string>;
  /** Whether the demo client is on when the input does not say. */
  demoDefault?: boolean;
}

export function parseConfig(input: Record<string, unknown>, sources: ConfigSources = {}): Config {
  const result = configSchema.safeParse(withFederationPresets(input));
  if (!result.success) {
    throw new ConfigError(result.error.issues.flatMap((issue) => describeIssue(issue, sources)));
  }
  const config = result.data;
  const issuer = config.issuer ?? `http://localhost:${config.port}`;
  const problems = crossFieldProblems({ ...config, issuer });
  // Port 0 asks the system for a free port, known only once listening: the issuer every token and
  // discovery names cannot be derived from it.
  if (config.port === 0 && config.issuer === undefined) {
    const source = sources.envSources?.port ? ` (env ${sources.envSources.port})` : '';
    problems.push(`port${source}: 0 picks a free port when listening, so the default issuer (http://localhost:PORT) cannot name it; set issuer (ISSUER) to the URL it is reached at, or a fixed port`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  config.demo.enabled ??= sources.demoDefault ?? false;
  // The embedded default has a console admin whose codes land in the dev outbox; a file names its own.
  if (sources.demoDefault && input.admin === undefined) config.admin.emails = [embeddedDefaultAdmin];
  return { ...config, issuer };
}

function readConfigFile(fileName: string): Record<string, unknown> {
  const path = resolve(fileName);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError([`CONFIG_FILE: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([`CONFIG_FILE: ${path} is not valid JSON (${(cause as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`CONFIG_FILE: ${path} must hold a JSON object`]);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The fields the environment sets. Every variable may instead name a file that holds its value
 * (`NAME_FILE`, the container and systemd convention for secrets); its trailing newline is not
 * part of the value.
 */
function environmentOverrides(env: Environment): { overrides: Record<string, unknown>; sources: Record<string, string> } {
  const overrides: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, field] of Object.entries(environmentVariables) as [EnvironmentVariable, string][]) {
    const direct = env[name];
    const fileName = env[`${name}_FILE`];
    const hasDirect = direct !== undefined && direct !== '';
    const hasFile = fileName !== undefined && fileName !== '';
    if (hasDirect && hasFile) {
      problems.push(`${name}, ${name}_FILE: both are set; keep one`);
      continue;
    }
    if (!hasDirect && !hasFile) continue;
    const source = hasFile ? `${name}_FILE` : name;
    let text: string;
    if (hasFile) {
      try {
        text = readFileSync(resolve(fileName), 'utf8').replace(/\r?\n$/, '');
      } catch (cause) {
        problems.push(`${source}: cannot read ${resolve(fileName)} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`);
        continue;
      }
    } else {
      text = direct!;
    }
    const value = environmentValue(environmentFormats[name], text);
    if (value === undefined) {
      problems.push(`${source}: not valid JSON (${field} takes a JSON object)`);
      continue;
    }
    setPath(overrides, field.split('.'), value);
    sources[field] = source;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { overrides, sources };
}

function environmentValue(format: 'json' | 'list' | undefined, text: string): unknown {
  if (format === 'list') return text.split(/[\s,]+/).filter(Boolean);
  if (format !== 'json') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeIssue(issue: z.core.$ZodIssue, { fileName, envSources = {} }: ConfigSources): string[] {
  const field = issue.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`)).join('') || '(root)';
  // A value from a variable may be refused deep inside (`keys.jwks.keys[0].kty`): name the variable that set its parent.
  const envField = Object.keys(envSources).find((path) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`));
  const source = envField ? ` (env ${envSources[envField]})` : fileName ? ` (in ${fileName})` : '';
  if (issue.code === 'unrecognized_keys') {
    const base = field === '(root)' ? '' : `${field}.`;
    return issue.keys.map((key) => {
      const suggestion = nearestConfigKey(`${base}${key}`);
      return `${base}${key}${source}: unknown setting${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
    });
  }
  return [`${field}${source}: ${plainMessage(issue)}`];
}

/** zod's wording, made plainer for the common cases. */
function plainMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  if (issue.code === 'too_small' && issue.origin === 'number') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return issue.message;
}

function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const clientIds = new Set<string>();
  config.clients.forEach((client, index) => {
    if (clientIds.has(client.client_id)) problems.push(`clients[${index}].client_id: duplicate client_id "${client.client_id}"`);
    clientIds.add(client.client_id);
  });
  problems.push(...federationProblems(config));
  problems.push(...brandingProblems(config));
  problems.push(...keyModeProblems(config));
  if (config.production) {
    problems.push(...productionProblems(config));
    if (keyMode(config) === 'static') {
      if (!config.keys.jwks) problems.push('keys.jwks: required in production in static key mode (a JWKS of private signing keys), or set keys.encryptionKey for managed keys');
      if (!config.keys.cookies) problems.push('keys.cookies: required in production in static key mode (cookie signing keys)');
      if (!config.keys.secrets) problems.push('keys.secrets: required in production in static key mode (secrets for code HMACs)');
    }
    if (config.demo.enabled) problems.push('demo.enabled: the demo client must not run in production');
    if (!config.issuer.startsWith('https://')) problems.push('issuer: must be an https URL in production');
    if (config.metrics.enabled && !config.metrics.bearerToken && config.metrics.port === undefined) {
      problems.push('metrics.bearerToken: required in production unless metrics.port serves /metrics on a listener of its own (the counts tell who was sent a code)');
    }
  }
  return problems;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = out[key];
    out[key] =
      isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Static keys when any are given or no key-encryption key is, managed otherwise (docs/operations.md). */
export function keyMode(config: Pick<Config, 'keys'>): 'static' | 'managed' {
  const { mode, jwks, cookies, secrets, encryptionKey } = config.keys;
  if (mode) return mode;
  return encryptionKey && !jwks && !cookies && !secrets ? 'managed' : 'static';
}

function keyModeProblems(config: Config): string[] {
  const { mode, jwks, cookies, secrets, encryptionKey, leadTimeSeconds, pollIntervalSeconds } = config.keys;
  const problems: string[] = [];
  // Every instance must have read a new key before any instance signs with it.
  if (keyMode(config) === 'managed' && pollIntervalSeconds >= leadTimeSeconds) problems.push(`keys.pollIntervalSeconds: must be shorter than keys.leadTimeSeconds (${leadTimeSeconds})`);
  if (mode !== 'managed') return problems;
  if (!encryptionKey) problems.push('keys.encryptionKey: required in managed key mode (the keyring is sealed with it)');
  for (const [field, value] of [['jwks', jwks], ['cookies', cookies], ['secrets', secrets]] as const) {
    if (value) problems.push(`keys.${field}: not used in managed key mode; remove it, or set keys.mode to "static"`);
  }
  return problems;
}
