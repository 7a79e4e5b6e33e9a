/**
 * `guestpass settings get|set`: the sharing policy (SPEC §5), the same object as `policy` in
 * the configuration file. `set` changes the keys it is given and keeps the others: it reads the
 * policy, changes it, and writes it back only if nobody changed it meanwhile (`If-Match`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

import { CliError, UsageError, writeJson, type CliIo } from '../io.ts';
import { connectionOptions, managementClient } from '../management.ts';

type Policy = Record<string, unknown>;

export function registerSettings(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('settings').description('the sharing policy: get, set'));

  group
    .command('get')
    .description('print the policy in force (JSON)')
    .action(async (_options: unknown, command: Command) => {
      writeJson(io.stdout, await managementClient(command, io).get<Policy>('settings:write', '/settings'));
    });

  group
    .command('set')
    .description('change the policy: key=value pairs (dotted keys; values are JSON, or text), or --file with a whole policy')
    .argument('[changes...]', 'e.g. sharingLevel=existingGuests otp.length=8 domains.block=\'["mailinator.com"]\'')
    .option('--file <file>', 'replace the whole policy with this JSON file (keys left out get their defaults)')
    .action(async (changes: string[], options: { file?: string }, command: Command) => {
      if (options.file && changes.length > 0) throw new UsageError('give either key=value changes or --file, not both');
      if (!options.file && changes.length === 0) throw new UsageError('nothing to change: give key=value pairs or --file');
      const api = managementClient(command, io);
      const current = await api.request<Policy>('settings:write', 'GET', '/settings');
      const next = options.file ? readPolicyFile(options.file) : applyChanges(current.body, changes);
      const etag = current.headers.get('etag');
      const response = await api.request<Policy>('settings:write', 'PUT', '/settings', { body: next, headers: etag ? { 'if-match': etag } : {} });
      writeJson(io.stdout, response.body);
    });
}

function readPolicyFile(path: string): Policy {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${path} must hold a JSON object`);
    return parsed as Policy;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path} as JSON (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** `a.b=value` pairs over a copy of `policy`; a value is JSON when it parses as JSON, text otherwise. */
export function applyChanges(policy: Policy, changes: readonly string[]): Policy {
  const next = structuredClone(policy);
  for (const change of changes) {
    const equals = change.indexOf('=');
    if (equals <= 0) throw new UsageError(`"${change}" is not key=value`);
    const path = change.slice(0, equals).split('.');
    if (path.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) throw new UsageError(`"${change.slice(0, equals)}" is not a settings key`);
    const text = change.slice(equals + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    let node = next;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null || Array.isArray(node[key])) node[key] = {};
      node = node[key] as Policy;
    }
    node[path.at(-1)!] = value;
  }
  return next;
}
