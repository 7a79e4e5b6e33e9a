/**
 * The commands that work on this machine alone — `--help`, `config check`, `keys generate` —
 * driven as an operator drives them: a child process, its output and its exit code.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

import { loadConfig, parseConfig } from '../../config/load.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';

function configFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'guestpass-cli-config-')), 'config.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('guestpass CLI: help, exit codes, config check, keys generate', () => {
  it('lists every command group in --help, and a group its subcommands', async () => {
    const help = await runCli(['--help'], cliEnvironment());
    expect(help.status).to.equal(0);
    for (const group of ['serve', 'config', 'keys', 'links', 'users', 'audit', 'report', 'settings', 'clients']) expect(help.stdout).to.match(new RegExp(`^  ${group}\\b`, 'm'));
    const users = await runCli(['users', '--help'], cliEnvironment());
    expect(users.status).to.equal(0);
    for (const command of ['list', 'invite', 'disable', 'enable', 'delete', 'revoke-sessions']) expect(users.stdout).to.match(new RegExp(`^  ${command}\\b`, 'm'));
    expect(users.stdout).to.contain('--client-id');
  });

  it('answers a mistyped command with exit code 2 and the command it probably meant', async () => {
    const result = await runCli(['links', 'lsit'], cliEnvironment());
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("unknown command 'lsit'").and.contain('Did you mean list?');
    expect(result.stdout).to.equal('');
    expect((await runCli(['audit', 'export', '--format', 'xml'], cliEnvironment({ GUESTPASS_ISSUER: 'http://127.0.0.1:9', GUESTPASS_CLIENT_ID: 'a', GUESTPASS_CLIENT_SECRET: 'b' }))).status).to.equal(2);
  });

  it('config check: accepts a valid configuration and summarizes it, as JSON too', async () => {
    const file = configFile({ issuer: 'https://id.contoso.com', clients: [{ client_id: 'files', client_secret: 'a-long-random-client-secret', redirect_uris: ['https://files.contoso.com/cb'] }] });
    const text = await runCli(['config', 'check', '--config', file], cliEnvironment({ REDIS_URL: 'redis://cache:6379' }));
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^configuration is valid$/m).and.contain('redis redis://cache:6379').and.contain('clients:    1');
    const json = await runCli(['config', 'check', '--json'], cliEnvironment({ CONFIG_FILE: file }));
    expect(json.status).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.include({ valid: true }).and.nested.include({ 'summary.issuer': 'https://id.contoso.com', 'summary.clients': 1 });
  });

  it('config check: names each bad field, suggests the key a typo meant, and exits 1 — without starting anything', async () => {
    const file = configFile({ policy: { otp: { lenght: 8 }, sharingLevle: 'existingGuests' }, smpt: { url: 'smtp://mail' }, clients: [{ client_id: 'files', redirect_uris: ['not a url'] }] });
    const result = await runCli(['config', 'check', '--config', file, '--json'], cliEnvironment({ PORT: 'eighty' }));
    expect(result.status).to.equal(1);
    const { valid, problems } = JSON.parse(result.stdout) as { valid: boolean; problems: string[] };
    expect(valid).to.equal(false);
    expect(problems).to.include.members([
      `policy.otp.lenght (in ${file}): unknown setting (did you mean policy.otp.length?)`,
      `policy.sharingLevle (in ${file}): unknown setting (did you mean policy.sharingLevel?)`,
      `smpt (in ${file}): unknown setting (did you mean smtp?)`,
      'port (env PORT): Invalid input: expected number, received NaN',
    ]);
    // Client metadata is checked as oidc-provider reads it, once the rest is valid.
    const client = await runCli(['config', 'check', '--config', configFile({ clients: [{ client_id: 'files', client_secret: 'a-long-random-client-secret', redirect_uris: ['not a url'] }] })], cliEnvironment());
    expect(client.status).to.equal(1);
    expect(client.stderr).to.contain('clients[0] (client_id "files"): redirect_uris must only contain valid uris');
  });

  it('config check --production: refuses the example file\'s placeholders, the in-memory store and the file outbox', async () => {
    const example = JSON.parse(readFileSync(new URL('../../config/example.production.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const result = await runCli(['config', 'check', '--production', '--config', configFile({ ...example, redis: {}, smtp: {} })], cliEnvironment());
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('keys.secrets[0]: looks like a placeholder (REPLACE), not a secret; generate one with `guestpass keys generate`');
    expect(result.stderr).to.contain('redis: production needs Redis').and.contain('allowInProduction.memoryStore');
    expect(result.stderr).to.contain('smtp.url: production needs an SMTP relay').and.contain('allowInProduction.fileOutbox');
    expect(result.stderr).to.not.contain('REPLACE-with');
  });

  it('keys generate: prints keys a production configuration accepts, as JSON or as variables', async () => {
    const json = await runCli(['keys', 'generate'], cliEnvironment());
    expect(json.status).to.equal(0);
    const { keys } = JSON.parse(json.stdout) as { keys: { jwks: { keys: Record<string, string>[] }; cookies: string[]; secrets: string[] } };
    expect(keys.jwks.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' }).and.have.property('d');
    const production = { production: true, issuer: 'https://id.contoso.com', redis: { url: 'redis://cache' }, smtp: { url: 'smtp://mail' } };
    expect(() => parseConfig({ ...production, keys })).to.not.throw();

    const env = await runCli(['keys', 'generate', '--format', 'env'], cliEnvironment());
    expect(env.status).to.equal(0);
    const variables = Object.fromEntries(env.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).replace(/^'|'$/g, '')]));
    expect(Object.keys(variables)).to.deep.equal(['KEYS_JWKS', 'KEYS_COOKIES', 'KEYS_SECRETS']);
    const fromVariables = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.contoso.com', REDIS_URL: 'redis://cache', SMTP_URL: 'smtp://mail', ...variables });
    expect(fromVariables.keys.secrets).to.have.length(1);
    expect(keys.secrets[0], 'each run draws new secrets').to.not.equal(fromVariables.keys.secrets![0]);
  });

  it('keys generate --out-dir: writes the files KEYS_*_FILE name, readable by the owner only, and never over existing ones', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'guestpass-keys-')), 'secrets');
    const first = await runCli(['keys', 'generate', '--out-dir', dir], cliEnvironment());
    expect(first.status, first.stderr).to.equal(0);
    for (const name of ['jwks.json', 'cookies', 'secrets']) expect(statSync(join(dir, name)).mode & 0o777, name).to.equal(0o600);
    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.contoso.com', REDIS_URL: 'redis://cache', SMTP_URL: 'smtp://mail', KEYS_JWKS_FILE: join(dir, 'jwks.json'), KEYS_COOKIES_FILE: join(dir, 'cookies'), KEYS_SECRETS_FILE: join(dir, 'secrets') });
    expect(config.keys.jwks?.keys).to.have.length(1);
    const before = readFileSync(join(dir, 'secrets'), 'utf8');
    const second = await runCli(['keys', 'generate', '--out-dir', dir], cliEnvironment());
    expect(second.status).to.equal(1);
    expect(second.stderr).to.contain('exists; move it away first');
    expect(readFileSync(join(dir, 'secrets'), 'utf8')).to.equal(before);
  });
});
