/**
 * `guestpass clients list|show|add|update|rotate-secret|remove|initial-access-token`: relying
 * parties at runtime (docs/clients.md). A secret is printed once, on add and rotate-secret.
 */
import type { Command } from 'commander';

import { CliError, UsageError, writeJson, writeLine, writeTable, type CliIo } from '../io.ts';
import { connectionOptions, managementClient, positiveInteger } from '../management.ts';

interface ClientView {
  client_id: string;
  client_name?: string;
  client_secret?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  scope?: string;
  readOnly: boolean;
  registeredAt: string | null;
  previousSecretValidUntil?: string | null;
}

/** A span of time: `3600`, `90s`, `30m`, `24h`, `7d`; seconds. */
function duration(name: string) {
  return (value: string): number => {
    const match = /^(\d+)([smhd]?)$/.exec(value);
    if (!match) throw new UsageError(`${name} must be a span like 3600, 90m, 24h or 7d, not "${value}"`);
    return Number(match[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  };
}

function jsonObject(name: string) {
  return (value: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new UsageError(`${name} must be a JSON object, e.g. '{"logo_uri":"https://files.example.com/logo.png"}'`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${name} must be a JSON object`);
    return parsed as Record<string, unknown>;
  };
}

interface MetadataOptions {
  name?: string;
  redirectUri?: string[];
  grantType?: string[];
  scope?: string;
  metadata?: Record<string, unknown>;
}

function metadataOf(options: MetadataOptions): Record<string, unknown> {
  return {
    ...options.metadata,
    ...(options.name !== undefined ? { client_name: options.name } : {}),
    ...(options.redirectUri ? { redirect_uris: options.redirectUri } : {}),
    ...(options.grantType ? { grant_types: options.grantType } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
  };
}

function withMetadataOptions(command: Command): Command {
  return command
    .option('--name <name>', 'client_name, shown to the people signing in')
    .option('--redirect-uri <uri...>', 'redirect_uris (https when the issuer is)')
    .option('--grant-type <type...>', 'grant_types: authorization_code, refresh_token, client_credentials')
    .option('--scope <scopes>', 'scope: the scopes it may ask for, space-separated')
    .option('--metadata <json>', 'any other client metadata, as a JSON object', jsonObject('--metadata'));
}

export function registerClients(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('clients').description('relying parties: list, show, add, update, rotate-secret, remove, initial-access-token'));
  const clientPath = (id: string) => `/clients/${encodeURIComponent(id)}`;

  group
    .command('list')
    .description('every client: the configuration file\'s (read-only) and those registered at runtime')
    .option('--limit <n>', 'clients per page (1–100)', positiveInteger('--limit', 100), 50)
    .option('--all', 'follow every page, not just the first')
    .option('--json', 'print the clients as a JSON array')
    .action(async (options: { limit: number; all?: boolean; json?: boolean }, command: Command) => {
      const clients: ClientView[] = [];
      for await (const page of managementClient(command, io).pages<ClientView>('clients:read', '/clients', { limit: options.limit })) {
        clients.push(...page);
        if (!options.all) break;
      }
      if (options.json) return writeJson(io.stdout, clients);
      writeTable(
        io.stdout,
        ['CLIENT ID', 'NAME', 'SOURCE', 'REGISTERED'],
        clients.map((one) => [one.client_id, one.client_name ?? '-', one.readOnly ? 'config' : 'runtime', one.registeredAt ?? '-']),
      );
    });

  group
    .command('show')
    .description('one client\'s metadata (never its secret)')
    .argument('<client-id>')
    .option('--json', 'print the client as JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const shown = await managementClient(command, io).get<ClientView>('clients:read', clientPath(id));
      if (options.json) return writeJson(io.stdout, shown);
      for (const [field, value] of Object.entries(shown)) writeLine(io.stdout, `${field}: ${Array.isArray(value) ? value.join(' ') : String(value)}`);
    });

  withMetadataOptions(group.command('add').description('create a client; prints its id and secret (the secret only this once)'))
    .option('--json', 'print the client, with its secret, as JSON')
    .action(async (options: MetadataOptions & { json?: boolean }, command: Command) => {
      const created = await managementClient(command, io).request<ClientView>('clients:write', 'POST', '/clients', { body: metadataOf(options) });
      if (options.json) return writeJson(io.stdout, created.body);
      writeLine(io.stdout, `client_id=${created.body.client_id}`);
      if (created.body.client_secret) {
        writeLine(io.stdout, `client_secret=${created.body.client_secret}`);
        writeLine(io.stderr, 'the secret is shown only now: store it where the relying party reads it');
      }
    });

  withMetadataOptions(group.command('update').description('change a client\'s metadata (a runtime client; the configuration file\'s are read-only)'))
    .argument('<client-id>')
    .option('--json', 'print the client as JSON')
    .action(async (id: string, options: MetadataOptions & { json?: boolean }, command: Command) => {
      const changes = metadataOf(options);
      if (Object.keys(changes).length === 0) throw new UsageError('nothing to change: give --name, --redirect-uri, --grant-type, --scope or --metadata');
      const updated = await managementClient(command, io).request<ClientView>('clients:write', 'PATCH', clientPath(id), { body: changes });
      if (options.json) return writeJson(io.stdout, updated.body);
      writeLine(io.stderr, `updated ${id}`);
    });

  group
    .command('rotate-secret')
    .description('a new secret; the previous one keeps working for the grace period')
    .argument('<client-id>')
    .option('--grace <span>', 'how long the previous secret keeps working: 0 (not at all) up to 30d', duration('--grace'), 86_400)
    .option('--json', 'print the client, with its new secret, as JSON')
    .action(async (id: string, options: { grace: number; json?: boolean }, command: Command) => {
      const rotated = await managementClient(command, io).request<ClientView>('clients:write', 'POST', `${clientPath(id)}/rotate-secret`, { body: { graceSeconds: options.grace } });
      if (options.json) return writeJson(io.stdout, rotated.body);
      writeLine(io.stdout, `client_secret=${rotated.body.client_secret}`);
      writeLine(io.stderr, rotated.body.previousSecretValidUntil ? `the previous secret works until ${rotated.body.previousSecretValidUntil}` : 'the previous secret no longer works');
    });

  group
    .command('remove')
    .description('delete a runtime client: it can no longer sign anyone in or get tokens')
    .argument('<client-id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      await managementClient(command, io).request('clients:write', 'DELETE', clientPath(id));
      writeLine(io.stderr, `removed ${id}`);
    });

  group
    .command('initial-access-token')
    .description('a token a relying party registers itself with (RFC 7591, POST <issuer>/reg); prints it')
    .option('--expires-in <span>', 'how long it can be used: 60s up to 30d', duration('--expires-in'), 86_400)
    .option('--single-use', 'it registers one client only')
    .option('--policy <json>', 'what the new client may ask for: {"grantTypes":[…],"scopes":[…],"openSignIn":false}', jsonObject('--policy'))
    .option('--json', 'print {initial_access_token, expiresAt, policy} as JSON')
    .action(async (options: { expiresIn: number; singleUse?: boolean; policy?: Record<string, unknown>; json?: boolean }, command: Command) => {
      const body = { expiresInSeconds: options.expiresIn, singleUse: options.singleUse === true, ...(options.policy ? { policy: options.policy } : {}) };
      const issued = await managementClient(command, io).request<{ initial_access_token: string; expiresAt: string }>('clients:write', 'POST', '/initial-access-tokens', { body });
      if (!issued.body.initial_access_token) throw new CliError('the server answered without a token');
      if (options.json) return writeJson(io.stdout, issued.body);
      writeLine(io.stdout, issued.body.initial_access_token);
      writeLine(io.stderr, `valid until ${issued.body.expiresAt}${options.singleUse ? ', for one registration' : ''}`);
    });
}
