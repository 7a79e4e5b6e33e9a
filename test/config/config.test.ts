/** Invalid configuration stops start-up with a message naming every bad field. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

import { loadConfig, parseConfig } from '../../config/load.ts';
import { loadKeyMaterial } from '../../src/keys.ts';
import { createLogger } from '../../src/log.ts';
import { problemsOf } from '../support/config.ts';


function fileWith(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'guestpass-config-')), 'config.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('configuration', () => {
  it('applies the SPEC defaults', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(3000);
    expect(config.issuer).to.equal('http://localhost:3000');
    expect(config.mail.from).to.equal('guestpass <no-reply@localhost>');
    expect(config.policy.otp).to.deep.equal({
      length: 6,
      ttlSeconds: 600,
      maxAttemptsPerCode: 5,
      resendCooldownSeconds: 60,
      maxCodesPerHour: 5,
      lockoutAfterFailures: 10,
      lockoutSeconds: 900,
    });
    expect(config.policy).to.include({ sharingLevel: 'newAndExistingGuests', reverificationDays: 30, guestUpgrade: 'automatic' });
    expect(config.demo.enabled, 'the embedded default has the demo client').to.equal(true);
    expect(config.admin.emails, 'the embedded default has a console admin, whose codes land in the dev outbox').to.deep.equal(['admin@example.com']);
  });

  it('takes the environment over the file, and the file over the defaults', () => {
    const file = fileWith({ port: 4000, mail: { from: 'Files <files@contoso.com>' }, policy: { otp: { length: 8 } } });
    const config = loadConfig({ CONFIG_FILE: file, PORT: '5000', ISSUER: 'https://id.contoso.com', SMTP_URL: 'smtp://mail:25', REDIS_URL: 'redis://cache:6379' });
    expect(config.port).to.equal(5000);
    expect(config.issuer).to.equal('https://id.contoso.com');
    expect(config.mail.from).to.equal('Files <files@contoso.com>');
    expect(config.policy.otp.length).to.equal(8);
    expect(config.smtp.url).to.equal('smtp://mail:25');
    expect(config.redis.url).to.equal('redis://cache:6379');
    expect(config.demo.enabled, 'a configuration file turns the demo client off').to.equal(false);
    expect(config.admin.emails, 'and names its own console admins').to.deep.equal([]);
  });

  it('names every bad field, with where its value came from', () => {
    const file = fileWith({ policy: { otp: { length: 4, ttlSeconds: 99999, lenght: 6 }, domains: { allow: ['a.com'], block: ['b.com'] }, sharingLevel: 'everyone' } });
    const problems = problemsOf(() => loadConfig({ CONFIG_FILE: file, PORT: 'eighty', REDIS_URL: 'http://cache' }));
    expect(problems).to.include.members([
      'port (env PORT): Invalid input: expected number, received NaN',
      'redis.url (env REDIS_URL): must start with redis:// or rediss://',
      `policy.otp.length (in ${file}): must be at least 6`,
      `policy.otp.ttlSeconds (in ${file}): must be at most 1800`,
      `policy.otp.lenght (in ${file}): unknown setting (did you mean policy.otp.length?)`,
      `policy.domains (in ${file}): set allow or block, not both`,
      `policy.sharingLevel (in ${file}): must be one of "newAndExistingGuests", "existingGuests", "organizationOnly"`,
    ]);
  });

  it('checks fields that depend on each other', () => {
    expect(problemsOf(() => parseConfig({ clients: [{ client_id: 'a' }, { client_id: 'a' }] }))).to.deep.equal(['clients[1].client_id: duplicate client_id "a"']);
    // Port 0 is a free port chosen when listening: the default issuer cannot name it.
    expect(problemsOf(() => loadConfig({ PORT: '0' }))).to.deep.equal([
      'port (env PORT): 0 picks a free port when listening, so the default issuer (http://localhost:PORT) cannot name it; set issuer (ISSUER) to the URL it is reached at, or a fixed port',
    ]);
    expect(parseConfig({ port: 0, issuer: 'https://id.example.org' }).issuer).to.equal('https://id.example.org');
    expect(problemsOf(() => parseConfig({ redis: { url: 'redis://a', cluster: [{ host: 'b', port: 1 }] } }))).to.deep.equal(['redis: set only one of url, sentinels or cluster']);
    const entry = { id: 'contoso', name: 'Contoso', issuer: 'https://login.contoso.com', clientId: 'c', clientSecret: 's', domains: ['contoso.com'] };
    expect(problemsOf(() => parseConfig({ federation: [entry, { ...entry, id: 'other', issuer: 'https://login.other.com' }] }))).to.deep.equal([
      'federation[1].domains: contoso.com is already served by "contoso"',
    ]);
    // One provider, two entries: a linked identity (keyed by issuer) could belong to either; a trailing slash makes no other provider.
    expect(problemsOf(() => parseConfig({ federation: [entry, { ...entry, id: 'again', issuer: 'https://login.contoso.com/', domains: ['contoso.org'] }] }))).to.deep.equal([
      'federation[1].issuer: https://login.contoso.com/ is already the issuer of "contoso"',
    ]);
    expect(problemsOf(() => parseConfig({ federation: [{ ...entry, issuer: 'https://login.contoso.com/?tenant=1' }] }))).to.deep.equal([
      'federation[0].issuer: must have no query or fragment (an issuer identifier has neither)',
    ]);
  });

  it('refuses to run in production without keys, with the demo client or over plain http', () => {
    const problems = problemsOf(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.contoso.com' }));
    expect(problems).to.include.members([
      'keys.jwks: required in production in static key mode (a JWKS of private signing keys), or set keys.encryptionKey for managed keys',
      'keys.cookies: required in production in static key mode (cookie signing keys)',
      'keys.secrets: required in production in static key mode (secrets for code HMACs)',
      'issuer: must be an https URL in production',
    ]);
    expect(problemsOf(() => parseConfig({ production: true, demo: { enabled: true } }))).to.include('demo.enabled: the demo client must not run in production');
    // Managed keys need no static ones.
    expect(problemsOf(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.contoso.com', KEYS_ENCRYPTION_KEY: 'a-real-looking-key-encryption-key-9f8e7d6c5b4a' })).filter((problem) => problem.startsWith('keys.'))).to.deep.equal([]);
  });

  it('says when CONFIG_FILE cannot be read or is not JSON', () => {
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: '/nonexistent/guestpass.json' }))[0]).to.match(/^CONFIG_FILE: cannot read \/nonexistent\/guestpass\.json \(ENOENT\)$/);
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: fileWith('{ nope') }))[0]).to.match(/^CONFIG_FILE: .* is not valid JSON/);
    expect(problemsOf(() => loadConfig({ CONFIG_FILE: fileWith('[1]') }))[0]).to.match(/must hold a JSON object$/);
  });

  it('stops `npm start` with exit code 1 and the field names, for bad values and for bad client metadata', () => {
    const cases = [
      { file: { policy: { otp: { maxAttemptsPerCode: 0 } } }, expected: 'policy.otp.maxAttemptsPerCode' },
      { file: { clients: [{ client_id: 'files', client_secret: 'secret', redirect_uris: ['not a url'] }] }, expected: 'clients[0] (client_id "files"): redirect_uris must only contain valid uris' },
    ];
    for (const { file, expected } of cases) {
      const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-data-'));
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, CONFIG_FILE: fileWith({ ...file, dataDir }), PORT: '0', ISSUER: 'http://localhost:3999', REDIS_URL: '', SMTP_URL: '' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status, result.stderr).to.equal(1);
      expect(result.stderr).to.contain('guestpass: invalid configuration:');
      expect(result.stderr).to.contain(expected);
      expect(result.stderr).to.not.match(/\n\s+at /, 'no stack trace');
    }
  });

  it('keeps development keys in dataDir, so a restart keeps tokens valid', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-keys-'));
    const config = parseConfig({ dataDir });
    const logger = createLogger('silent');
    const first = await loadKeyMaterial(config, logger);
    const second = await loadKeyMaterial(config, logger);
    expect(second).to.deep.equal(first);
    expect(first.jwks.keys[0]).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')).secrets).to.deep.equal(first.secrets);
  });
});
