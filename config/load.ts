/**
 * Turns the environment and the optional CONFIG_FILE into one validated Config.
 * Every problem is reported with the field it concerns and where the value came from, so a
 * mistyped key or an out-of-range value stops start-up with a message a person can act on.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';

import { ConfigError } from '../src/errors.ts';
import { federationProblems, withFederationPresets } from './federation.ts';
import { configSchema, type Config } from './schema.ts';

/** The environment variables guestpass reads, and the config field each one sets. */
export const environmentVariables = {
  PORT: 'port',
  ISSUER: 'issuer',
  REDIS_URL: 'redis.url',
  SMTP_URL: 'smtp.url',
  MAIL_FROM: 'mail.from',
  LOG_LEVEL: 'logLevel',
} as const;

type Environment = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Environment): Config {
  const fileName = env.CONFIG_FILE?.trim() || undefined;
  const fromFile = fileName ? readConfigFile(fileName) : {};
  const fromEnv = environmentOverrides(env);
  const merged = deepMerge(fromFile, fromEnv);
  if (env.NODE_ENV === 'production') merged.production ??= true;
  const demoDefault = !fileName && merged.production !== true;
  return parseConfig(merged, { fileName, envSet: fromEnv, demoDefault });
}

interface ConfigSources {
  /** The file the input came from, named in messages. */
  fileName?: string | undefined;
  /** The part of the input that came from environment variables. */
  envSet?: Record<string, unknown>;
  /** Whether the demo client is on when the input does not say. */
  demoDefault?: boolean;
}

export function parseConfig(input: Record<string, unknown>, sources: ConfigSources = {}): Config {
  const result = configSchema.safeParse(withFederationPresets(input));
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, sources)));
  }
  const config = result.data;
  const issuer = config.issuer ?? `http://localhost:${config.port}`;
  const problems = crossFieldProblems({ ...config, issuer });
  if (problems.length > 0) throw new ConfigError(problems);
  config.demo.enabled ??= sources.demoDefault ?? false;
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

function environmentOverrides(env: Environment): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(environmentVariables)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(overrides, field.split('.'), value);
  }
  return overrides;
}

function describeIssue(issue: z.core.$ZodIssue, { fileName, envSet = {} }: ConfigSources): string {
  const field = issue.path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`)).join('') || '(root)';
  const envName = Object.entries(environmentVariables).find(([, path]) => path === field)?.[0];
  const fromEnv = envName !== undefined && getPath(envSet, field.split('.')) !== undefined;
  const source = fromEnv ? ` (env ${envName})` : fileName ? ` (in ${fileName})` : '';
  if (issue.code === 'unrecognized_keys') {
    const base = field === '(root)' ? '' : `${field}.`;
    return `${issue.keys.map((key) => `${base}${key}`).join(', ')}${source}: unknown setting`;
  }
  return `${field}${source}: ${plainMessage(issue)}`;
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
  if (config.production) {
    if (!config.keys.jwks) problems.push('keys.jwks: required in production (a JWKS of private signing keys)');
    if (!config.keys.cookies) problems.push('keys.cookies: required in production (cookie signing keys)');
    if (!config.keys.secrets) problems.push('keys.secrets: required in production (secrets for code HMACs)');
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

function getPath(source: unknown, path: string[]): unknown {
  let node = source;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
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
