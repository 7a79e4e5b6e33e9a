/**
 * `guestpass keys generate`: a signing key (RS256 JWKS), a cookie key and a secret, freshly
 * drawn — as the `keys` object of the configuration file, as environment variables, or as the
 * files `KEYS_*_FILE` variables name (mode 0600, never over an existing file). For static keys.
 *
 * `guestpass keys status` and `guestpass keys rotate`: managed keys through the management API
 * (`GET /api/v1/keys`, `POST /api/v1/keys/rotate`, scope `admin`); no key material is printed.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';

import { generateKeyMaterial } from '../../keys.ts';
import { CliError, UsageError, writeJson, writeLine, type CliIo } from '../io.ts';
import { connectionOptions, managementClient } from '../management.ts';

interface GenerateOptions {
  format: string;
  outDir?: string;
}

export function registerKeys(program: Command, io: CliIo): void {
  const group = program.command('keys').description('signing keys, cookie keys and secrets');
  group
    .command('generate')
    .description('generate keys.jwks, keys.cookies and keys.secrets (print them, or write the files KEYS_*_FILE can name)')
    .option('-f, --format <format>', 'json: {"keys": …} for the configuration file; env: KEYS_JWKS=… lines', 'json')
    .option('-o, --out-dir <dir>', 'write jwks.json, cookies and secrets into this directory (mode 0600) instead of printing')
    .action(async (options: GenerateOptions) => {
      if (!['json', 'env'].includes(options.format)) throw new UsageError(`--format must be json or env, not "${options.format}"`);
      const material = await generateKeyMaterial();
      const keys = { jwks: material.jwks, cookies: material.cookieKeys, secrets: material.secrets };
      if (options.outDir) {
        await mkdir(options.outDir, { recursive: true, mode: 0o700 });
        const files = { 'jwks.json': JSON.stringify(keys.jwks), cookies: keys.cookies.join('\n'), secrets: keys.secrets.join('\n') };
        for (const [name, content] of Object.entries(files)) {
          const path = join(options.outDir, name);
          try {
            // "wx": an existing key file is never overwritten; rotating keys is a deliberate act.
            writeFileSync(path, `${content}\n`, { mode: 0o600, flag: 'wx' });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${path} exists; move it away first (keys are not overwritten)`);
            throw error;
          }
        }
        writeLine(io.stdout, `wrote ${Object.keys(files).map((name) => join(options.outDir!, name)).join(', ')}`);
        writeLine(io.stdout, `use them with KEYS_JWKS_FILE=${join(options.outDir, 'jwks.json')} KEYS_COOKIES_FILE=${join(options.outDir, 'cookies')} KEYS_SECRETS_FILE=${join(options.outDir, 'secrets')}`);
        return;
      }
      if (options.format === 'env') {
        writeLine(io.stdout, `KEYS_JWKS='${JSON.stringify(keys.jwks)}'`);
        writeLine(io.stdout, `KEYS_COOKIES=${keys.cookies.join(',')}`);
        writeLine(io.stdout, `KEYS_SECRETS=${keys.secrets.join(',')}`);
        return;
      }
      writeJson(io.stdout, { keys });
    });

  connectionOptions(group.command('status').description('managed keys: the active generation, a pending one, the next scheduled rotation and the published key ids (JSON)')).action(
    async (_options: unknown, command: Command) => {
      writeJson(io.stdout, await managementClient(command, io).get('admin', '/keys'));
    },
  );

  connectionOptions(
    group.command('rotate').description('managed keys: make a new generation now; it is published at once and used after keys.leadTimeSeconds (JSON)'),
  ).action(async (_options: unknown, command: Command) => {
    const response = await managementClient(command, io).request('admin', 'POST', '/keys/rotate');
    writeJson(io.stdout, response.body);
  });
}
