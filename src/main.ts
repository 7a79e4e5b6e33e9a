/**
 * `npm start`: the only place that reads process.env. Loads the configuration (stopping with
 * exit code 1 and the names of bad fields when it is invalid), starts guestpass and says how to
 * try it.
 */
import { relative, resolve } from 'node:path';

import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { demoClientId, demoClientSecret } from './dev/demo.ts';
import { ConfigError } from './errors.ts';
import { createServer } from './server.ts';
import { describeStore } from './store_factory.ts';

async function main(): Promise<void> {
  const config = configOrExit(() => loadConfig(process.env));
  const server = await configOrExit(() => createServer(config));
  await server.listen(config.port);
  console.log(banner(config));

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** Invalid configuration ends start-up with exit code 1 and the names of the bad fields, no stack trace. */
function configOrExit<T>(step: () => T): T {
  const fail = (error: unknown): never => {
    if (error instanceof ConfigError) {
      console.error(`guestpass: ${error.message}`);
      process.exit(1);
    }
    throw error;
  };
  try {
    const result = step();
    return (result instanceof Promise ? result.catch(fail) : result) as T;
  } catch (error) {
    return fail(error);
  }
}

function banner(config: Config): string {
  const outbox = relative(process.cwd(), resolve(config.dataDir, 'outbox')) || '.';
  const lines = [
    '',
    `guestpass is listening on ${config.issuer}`,
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
  return `${lines.join('\n')}\n`;
}

await main();
