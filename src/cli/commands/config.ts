/**
 * `guestpass config check`: everything `serve` would refuse, without starting — the schema
 * (with "did you mean …?" for a mistyped key), what depends on what, the production
 * guardrails, the signing keys and each client's metadata as oidc-provider reads them. Local:
 * it connects to no Redis, no SMTP relay and no work-account provider.
 */
import type { Command } from 'commander';

import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { ConfigError } from '../../errors.ts';
import type { MailTransport } from '../../mail/transport.ts';
import { describeStore } from '../../store_factory.ts';
import { CliError, exitCodes, writeJson, writeLine, type CliIo } from '../io.ts';

interface CheckOptions {
  config?: string;
  json?: boolean;
  production?: boolean;
}

export function registerConfig(program: Command, io: CliIo): void {
  const group = program.command('config').description('check a configuration without starting');
  group
    .command('check')
    .description('validate CONFIG_FILE (or --config) and the environment as `serve` would, naming each bad field; exit 1 when invalid')
    .option('-c, --config <file>', 'configuration file (default: CONFIG_FILE)')
    .option('--production', 'check as NODE_ENV=production would run it')
    .option('--json', 'print {valid, problems} or {valid, summary} as JSON')
    .action(async (options: CheckOptions) => {
      const env = { ...io.env, ...(options.config ? { CONFIG_FILE: options.config } : {}), ...(options.production ? { NODE_ENV: 'production' } : {}) };
      const problems = await problemsOf(env);
      if (problems.length > 0) {
        if (options.json) writeJson(io.stdout, { valid: false, problems });
        else writeLine(io.stderr, `invalid configuration:\n  - ${problems.join('\n  - ')}`);
        throw new CliError(`${problems.length} ${problems.length === 1 ? 'problem' : 'problems'} in the configuration`, exitCodes.failed);
      }
      const summary = summarize(loadConfig(env));
      if (options.json) writeJson(io.stdout, { valid: true, summary });
      else writeLine(io.stdout, `configuration is valid\n${Object.entries(summary).map(([name, value]) => `  ${`${name}:`.padEnd(12)}${String(value)}`).join('\n')}`);
    });
}

async function problemsOf(env: CliIo['env']): Promise<string[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  // The provider as `serve` would build it, over a store and mail transport that go nowhere;
  // loaded only now, so that the other commands start without oidc-provider.
  const { MemoryStore } = await import('../../../adapters/memory.ts');
  const { generateKeyMaterial } = await import('../../keys.ts');
  const { createLogger } = await import('../../log.ts');
  const { assertClientsValid, createProvider } = await import('../../provider.ts');
  const { createGuestpass } = await import('../../server.ts');
  const store = new MemoryStore();
  const mailTransport: MailTransport = { description: 'none', send: async () => {}, close: async () => {} };
  const logger = createLogger('silent');
  const generated = config.keys.jwks && config.keys.cookies && config.keys.secrets ? undefined : await generateKeyMaterial();
  const keys = {
    jwks: (config.keys.jwks as { keys: [] } | undefined) ?? generated!.jwks,
    cookieKeys: config.keys.cookies ?? generated!.cookieKeys,
    secrets: config.keys.secrets ?? generated!.secrets,
  };
  const guestpass = await createGuestpass(config, { store, mailTransport, logger, keys });
  try {
    let provider;
    try {
      provider = createProvider(config, guestpass.providerConfiguration(), logger);
    } catch (error) {
      return [`keys.jwks: ${(error as Error).message}`];
    }
    await assertClientsValid(provider, guestpass.clients as { client_id: string }[]);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  } finally {
    await guestpass.close();
    await store.close();
  }
}

function summarize(config: Config): Record<string, string | number | boolean> {
  return {
    issuer: config.issuer,
    listen: `${config.host ?? '*'}:${config.port}`,
    production: config.production,
    store: describeStore(config),
    mail: config.smtp.url ? `SMTP ${new URL(config.smtp.url).host}` : `written to ${config.dataDir}/outbox/`,
    keys: config.keys.jwks ? 'configured' : `generated into ${config.dataDir}/keys.json`,
    clients: config.clients.length,
    federation: config.federation.length,
  };
}
