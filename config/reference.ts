/**
 * `npm run config:reference`: prints the Markdown reference of every configuration key and
 * environment variable, read from the zod schema itself (through its JSON Schema), so the
 * reference cannot drift from what `loadConfig` accepts. Keys without a description are listed
 * all the same and named on stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

import { environmentFormats, environmentVariables, type EnvironmentVariable } from './load.ts';
import { configSchema, domainNamePattern } from './schema.ts';

type JsonSchema = z.core.JSONSchema.BaseSchema;

export interface ConfigKey {
  /** Dotted path; `[]` stands for every item of an array (`federation[].id`). */
  path: string;
  type: string;
  /** Markdown: the default, `required`, or a dash. */
  defaultValue: string;
  /** Markdown: range, allowed values, pattern. */
  allowed: string;
  description: string | undefined;
}

/** Every key of the configuration, parents before children, in the order of the schema. */
export function configKeys(): ConfigKey[] {
  const root = z.toJSONSchema(configSchema, { io: 'input' });
  const keys: ConfigKey[] = [];
  walkProperties(root, root, '', keys);
  return keys;
}

function walkProperties(root: JsonSchema, node: JsonSchema, prefix: string, keys: ConfigKey[]): void {
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (typeof child === 'boolean') continue;
    const schema = resolve(root, child);
    const path = `${prefix}${name}`;
    const items = arrayItems(root, schema);
    const defaultValue = 'default' in schema ? formatValue(schema.default) : required.has(name) ? 'required' : '—';
    const description = schema.description ?? (items && items.description);
    keys.push({ path, type: typeOf(root, schema), defaultValue, allowed: allowedValues(root, schema), description: description && trimRedundant(description, schema) });
    if (isObject(schema)) walkProperties(root, schema, `${path}.`, keys);
    if (items && isObject(items)) walkProperties(root, items, `${path}[].`, keys);
  }
}

function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (ref === undefined || !ref.startsWith('#/$defs/')) return schema;
  const target = root.$defs?.[ref.slice('#/$defs/'.length)];
  if (!target) throw new Error(`config reference: unresolved ${ref}`);
  return { ...resolve(root, target), ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$ref')) };
}

function isObject(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.properties !== undefined;
}

function arrayItems(root: JsonSchema, schema: JsonSchema): JsonSchema | undefined {
  if (schema.type !== 'array' || typeof schema.items !== 'object' || Array.isArray(schema.items)) return undefined;
  return resolve(root, schema.items);
}

function typeOf(root: JsonSchema, schema: JsonSchema): string {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.map((alternative) => typeOf(root, resolve(root, alternative))).join(' or ');
  const items = arrayItems(root, schema);
  if (items) return `${typeOf(root, items)}[]`;
  if (Array.isArray(schema.type)) return schema.type.join(' or ');
  if (schema.type === 'string' && schema.format === 'uri') return 'URL';
  return schema.type ?? 'any';
}

function allowedValues(root: JsonSchema, schema: JsonSchema): string {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    return alternatives
      .map((alternative) => resolve(root, alternative))
      .map((alternative) => (alternative.type === 'null' ? '`null`' : allowedValues(root, alternative)))
      .filter(Boolean)
      .join(', or ');
  }
  const parts: string[] = [];
  if (schema.enum) parts.push(`one of ${schema.enum.map(formatValue).join(', ')}`);
  if (schema.const !== undefined) parts.push(`only ${formatValue(schema.const)}`);
  const { minimum, maximum } = schema;
  if (minimum !== undefined && maximum !== undefined) parts.push(`${minimum}–${maximum}`);
  else if (minimum !== undefined) parts.push(`≥ ${minimum}`);
  else if (maximum !== undefined) parts.push(`≤ ${maximum}`);
  if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} ${schema.minLength === 1 ? 'character' : 'characters'}`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  // JSON Schema carries RegExp#source, where "/" is escaped; unescaped it reads better and means the same.
  if (schema.pattern === domainNamePattern.source) parts.push('a domain name, e.g. `contoso.com`');
  else if (schema.pattern !== undefined) parts.push(`matches ${code(schema.pattern.replaceAll('\\/', '/'))}`);
  if (schema.minItems !== undefined) parts.push(`at least ${schema.minItems} ${schema.minItems === 1 ? 'item' : 'items'}`);
  if (schema.maxItems !== undefined) parts.push(`at most ${schema.maxItems} items`);
  const items = arrayItems(root, schema);
  if (items && !isObject(items)) {
    const each = allowedValues(root, items);
    if (each) parts.push(`each ${each}`);
  }
  // A loose object (client metadata, a JWK) passes keys the schema does not name.
  const open = (object: JsonSchema | undefined) => object !== undefined && isObject(object) && object.additionalProperties !== undefined && object.additionalProperties !== false;
  if (open(schema)) parts.push('other keys allowed');
  if (open(items)) parts.push('items may have other keys');
  return parts.join('; ');
}

/** `boundedInt` repeats its default and range in the description; the table has columns for them. */
function trimRedundant(description: string, schema: JsonSchema): string {
  const repeated = ` Default ${String(schema.default)}, allowed ${schema.minimum}–${schema.maximum}.`;
  return description.endsWith(repeated) ? description.slice(0, -repeated.length) : description;
}

function formatValue(value: unknown): string {
  return code(typeof value === 'string' && value !== '' ? value : JSON.stringify(value));
}

/** Inline code that survives a Markdown table: pipes escaped, backticks fenced by longer runs. */
function code(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length)) + 1);
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded.replaceAll('|', '\\|')}${fence}`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** The environment variables `loadConfig` reads, besides the keys they set. */
const otherEnvironmentVariables = [
  ['CONFIG_FILE', '—', '—', 'Path of a JSON file with any of the keys below, merged over the defaults; the other variables override it.'],
  [
    'NAME_FILE',
    '—',
    '—',
    'For each variable below: the path of a file holding its value instead (container and systemd secrets, e.g. `KEYS_SECRETS_FILE=/run/secrets/guestpass-secrets`); a trailing newline is dropped. Setting both `NAME` and `NAME_FILE` is an error.',
  ],
  [
    'NODE_ENV',
    '`production`',
    '—',
    '`production` sets `production: true` unless the file sets `production`; it also turns the demo client off by default.',
  ],
] as const;

export function configReference(): string {
  const keys = configKeys();
  const byPath = new Map(keys.map((key) => [key.path, key]));
  const keyRows = keys.map((key) => [code(key.path), cell(key.type), key.defaultValue, key.allowed || '—', cell(key.description ?? '—')]);
  const environmentRows = [
    ...otherEnvironmentVariables.map(([name, sets, defaultValue, meaning]) => [code(name), sets, defaultValue, meaning]),
    ...(Object.entries(environmentVariables) as [EnvironmentVariable, string][]).map(([name, path]) => {
      const key = byPath.get(path);
      if (!key) throw new Error(`config reference: ${name} sets ${path}, which the schema does not have`);
      const formatNote = { json: ' As JSON.', list: ' Separated by commas or whitespace.' } as const;
      const format = environmentFormats[name];
      const note = format ? formatNote[format] : '';
      return [code(name), code(path), key.defaultValue, cell(`${key.description ?? '—'}${note}`)];
    }),
  ];
  return [
    '<!-- Generated by `npm run config:reference -- --write` from config/schema.ts and config/load.ts; edit those, not this. -->',
    '',
    '### Environment variables',
    '',
    table(['variable', 'sets', 'default', 'description'], environmentRows),
    '',
    '### Keys of the configuration file',
    '',
    'Dotted paths into the JSON file; `[]` stands for each item of an array.',
    '',
    table(['key', 'type', 'default', 'allowed', 'description'], keyRows),
    '',
  ].join('\n');
}

export const referenceMarkers = { start: '<!-- config-reference:start -->', end: '<!-- config-reference:end -->' } as const;

/** Where the generated reference lives. */
export const referenceDocument = new URL('../docs/configuration.md', import.meta.url);

/** The document with its reference section replaced by the current reference. */
export function withCurrentReference(document: string): string {
  const start = document.indexOf(referenceMarkers.start);
  const end = document.indexOf(referenceMarkers.end);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md lacks the ${referenceMarkers.start} … ${referenceMarkers.end} markers`);
  return `${document.slice(0, start + referenceMarkers.start.length)}\n${configReference()}${document.slice(end)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--write')) {
    writeFileSync(referenceDocument, withCurrentReference(readFileSync(referenceDocument, 'utf8')));
  } else {
    process.stdout.write(configReference());
  }
  const undocumented = configKeys().filter((key) => !key.description);
  if (undocumented.length > 0) {
    console.error(`config:reference: no description for ${undocumented.map((key) => key.path).join(', ')}`);
  }
}
