/**
 * `guestpass serve`: the production start (and `npm start`). Loads the configuration (invalid:
 * exit 1 naming each bad field, no stack trace), listens on `PORT` at `HOST`, says how to try
 * it, and on SIGTERM or SIGINT stops accepting, lets requests in flight finish, drains the
 * outbox and exits 0. A second signal does not wait any longer: exit 1 at once.
 */
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';

import type { Config } from '../../../config/schema.ts';
import { ConfigError, UnsupportedStoreError } from '../../errors.ts';
import type { GuestpassServer } from '../../http_server.ts';
import { Exit, exitCodes, writeLine, type CliIo } from '../io.ts';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run guestpass (configuration from CONFIG_FILE and the environment; see docs/configuration.md)')
    .option('-c, --config <file>', 'configuration file (sets CONFIG_FILE)')
    .action(async (options: { config?: string }) => {
      const code = await serve(options.config ? { ...io.env, CONFIG_FILE: options.config } : io.env, io);
      if (code !== exitCodes.ok) throw new Exit(code);
    });
}

/** Runs until a signal stops it; resolves to the exit code. */
export async function serve(env: CliIo['env'], io: CliIo): Promise<number> {
  // Loaded here rather than at the top: the other commands start without oidc-provider.
  const { loadConfig } = await import('../../../config/load.ts');
  const { createServer } = await import('../../http_server.ts');
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    return configFailure(error, io);
  }
  let server: GuestpassServer;
  try {
    server = await createServer(config);
  } catch (error) {
    return configFailure(error, io);
  }
  let port: number;
  try {
    ({ port } = await server.listen(config.port, config.host));
  } catch (error) {
    await server.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      writeLine(io.stderr, `guestpass: cannot listen on ${config.host ?? 'all interfaces'} port ${config.port} (${code}); set PORT or HOST`);
      return exitCodes.failed;
    }
    throw error;
  }
  writeLine(io.stdout, await banner(config, port));

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    io.onSignal((signal) => {
      if (stopping) {
        server.logger.warn({ signal }, 'second signal: stopping without waiting');
        resolveExit(exitCodes.failed);
        return;
      }
      stopping = true;
      // Logged once the listener is closed (shutdown closes it before its first await): whoever
      // reads the line may rely on new connections being refused.
      const stopped = server.shutdown();
      server.logger.info({ signal, timeoutSeconds: config.shutdownTimeoutSeconds }, 'shutting down: finishing requests in flight and the outbox');
      stopped.then(
        ({ clean }) => {
          server.logger.info({ clean }, 'stopped');
          resolveExit(exitCodes.ok);
        },
        (error: unknown) => {
          server.logger.error({ err: error }, 'shutdown failed');
          resolveExit(exitCodes.failed);
        },
      );
    });
  });
}

/** Invalid configuration, or a Redis too old to run on: said in a line, no stack trace. Anything else is a bug: rethrown. */
function configFailure(error: unknown, io: CliIo): number {
  if (error instanceof UnsupportedStoreError) {
    writeLine(io.stderr, `guestpass: redis: ${error.message}`);
    return exitCodes.failed;
  }
  if (!(error instanceof ConfigError)) throw error;
  writeLine(io.stderr, `guestpass: ${error.message}`);
  return exitCodes.failed;
}

async function banner(config: Config, port: number): Promise<string> {
  const { demoClientId, demoClientSecret } = await import('../../dev/demo.ts');
  const { describeStore } = await import('../../store_factory.ts');
  const outbox = relative(process.cwd(), resolve(config.dataDir, 'outbox')) || '.';
  const lines = [
    '',
    `guestpass is listening on ${config.issuer}${config.host ? ` (bound to ${config.host}:${port})` : ''}`,
    `  discovery: ${config.issuer}/.well-known/openid-configuration`,
    `  store:     ${describeStore(config)}`,
    `  mail:      ${config.smtp.url ? `SMTP ${new URL(config.smtp.url).host}` : `written to ${outbox}/ as .eml files (set SMTP_URL to send real mail)`}`,
  ];
  if (config.demo.enabled) {
    lines.push(
      '',
      'Try a sign-in:',
      `  1. open ${config.issuer}/demo and press "Sign in"`,
      '  2. enter an email address: the code is mailed to it (without SMTP, look in',
      `     ${outbox}/ — the log names the file)`,
      '  3. enter the code: the demo page shows the ID token claims',
      '',
      'Or use your own relying party with the demo client:',
      `  client_id=${demoClientId}  client_secret=${demoClientSecret}`,
      `  redirect_uri=${config.issuer}/demo/callback   (PKCE S256 required)`,
    );
  }
  lines.push(...consoleLines(config, outbox));
  return `${lines.join('\n')}\n`;
}

/** How to open the admin console, when anyone may (docs/console.md). */
function consoleLines(config: Config, outbox: string): string[] {
  const { emails, auditorEmails, groups } = config.admin;
  if (emails.length + auditorEmails.length + groups.admin.length + groups.auditor.length === 0) return [];
  const lines = ['', `Admin console: ${config.issuer}/admin`];
  if (emails.length > 0) lines.push(`  sign in as ${emails.length === 1 ? emails[0] : `one of ${emails.join(', ')}`}${config.smtp.url ? '' : ` (without SMTP the code is in ${outbox}/, the newest .eml file)`}`);
  return lines;
}
