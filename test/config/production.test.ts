/**
 * What production refuses (SPEC §8): placeholder secrets, the in-memory store and the file
 * outbox unless `allowInProduction` names them; and secrets from the environment or from the
 * files `NAME_FILE` variables name (the container and systemd conventions).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

import { loadConfig, parseConfig } from '../../config/load.ts';
import { placeholderMarker } from '../../config/production.ts';
import { generateKeyMaterial, randomSecret } from '../../src/keys.ts';
import { problemsOf } from '../support/config.ts';


function secretFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'guestpass-secret-')), 'secret');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

const keys = await generateKeyMaterial();
const realKeys = { jwks: keys.jwks, cookies: keys.cookieKeys, secrets: keys.secrets };
const production = { production: true, issuer: 'https://id.contoso.com', keys: realKeys, redis: { url: 'redis://cache:6379' }, smtp: { url: 'smtp://mail:25' } };

describe('production guardrails', () => {
  it('starts with real secrets, Redis and SMTP', () => {
    expect(() => parseConfig(production)).to.not.throw();
  });

  it('refuses the in-memory store and the file outbox, naming the field, why, and the option that allows it', () => {
    const problems = problemsOf(() => parseConfig({ ...production, redis: {}, smtp: {} }));
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^redis: production needs Redis \(REDIS_URL, .*set allowInProduction\.memoryStore to true to accept that$/);
    expect(problems[1]).to.match(/^smtp\.url: production needs an SMTP relay \(SMTP_URL\).*set allowInProduction\.fileOutbox to true to accept that$/);
    expect(() => parseConfig({ ...production, redis: {}, smtp: {}, allowInProduction: { memoryStore: true, fileOutbox: true } })).to.not.throw();
  });

  it('keeps the random delay of code mails unless allowInProduction names the exception (a timing side channel)', () => {
    const problems = problemsOf(() => parseConfig({ ...production, outbox: { codeMailJitter: false } }));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^outbox\.codeMailJitter: production keeps code mails at a random moment.*set allowInProduction\.codeMailWithoutJitter to true to accept that$/);
    expect(parseConfig(production).outbox.codeMailJitter, 'on by default').to.equal(true);
    expect(() => parseConfig({ ...production, outbox: { codeMailJitter: false }, allowInProduction: { codeMailWithoutJitter: true } })).to.not.throw();
    expect(() => parseConfig({ ...production, outbox: { codeMailJitter: 'no' } })).to.throw(/outbox\.codeMailJitter/);
  });

  it('refuses placeholder secrets wherever a secret goes, naming the field and never the value', () => {
    const placeholder = 'REPLACE-with-a-long-random-secret-of-yours';
    const problems = problemsOf(() =>
      parseConfig({
        ...production,
        keys: { ...realKeys, cookies: [realKeys.cookies[0], placeholder], secrets: ['changeme-changeme-changeme-changeme'] },
        clients: [{ client_id: 'files', client_secret: 'demo-secret-not-for-production', redirect_uris: ['https://files.contoso.com/cb'] }],
        federation: [{ id: 'contoso', name: 'Contoso', issuer: 'https://login.contoso.com', clientId: 'gp', clientSecret: '<client secret>', domains: ['contoso.com'] }],
        redis: { url: 'redis://:your-password@cache:6379' },
        smtp: { url: 'smtp://guestpass:REPLACE-smtp-password@smtp.contoso.com:587' },
        metrics: { enabled: true, bearerToken: 'x'.repeat(40) },
      }),
    );
    expect(problems.map((problem) => problem.slice(0, problem.indexOf(':')))).to.deep.equal([
      'keys.cookies[1]',
      'keys.secrets[0]',
      'clients[0].client_secret',
      'federation[0].clientSecret',
      'redis.url',
      'smtp.url',
      'metrics.bearerToken',
    ]);
    expect(problems[0]).to.equal('keys.cookies[1]: looks like a placeholder (REPLACE), not a secret; generate one with `guestpass keys generate` (or `openssl rand -base64 32`)');
    for (const problem of problems) expect(problem).to.not.match(/REPLACE-|changeme-|demo-secret|your-password|x{10}/);
  });

  it('tells placeholders from generated secrets', () => {
    for (const value of ['REPLACE', 'CHANGEME', 'change-me-please-now', 'placeholder', 'secret', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '<secret>', '${SECRET}', 'rp-secret-for-tests-only']) {
      expect(placeholderMarker(value), value).to.be.a('string');
    }
    for (let index = 0; index < 200; index += 1) expect(placeholderMarker(randomSecret())).to.equal(undefined);
    expect(placeholderMarker('Zm9vYmFyLWJhei1xdXV4LTE5ODQ=')).to.equal(undefined);
  });
});

describe('secrets from the environment and from NAME_FILE variables', () => {
  it('reads keys, URLs and tokens from variables, and from the files their _FILE variables name', () => {
    const jwksFile = secretFile(`${JSON.stringify(realKeys.jwks)}\n`);
    const config = loadConfig({
      NODE_ENV: 'production',
      ISSUER: 'https://id.contoso.com',
      HOST: '127.0.0.1',
      KEYS_JWKS_FILE: jwksFile,
      KEYS_COOKIES: `${realKeys.cookies[0]}, ${randomSecret()}`,
      KEYS_SECRETS_FILE: secretFile(`${realKeys.secrets[0]}\n${randomSecret()}\n`),
      REDIS_URL_FILE: secretFile('redis://:s3cr3t-Redis-pass@cache:6379\n'),
      SMTP_URL: 'smtp://gp:Mail-pass-4711@mail:587',
    });
    expect(config.host).to.equal('127.0.0.1');
    expect(config.keys.jwks).to.deep.equal(realKeys.jwks);
    expect(config.keys.cookies).to.have.length(2);
    expect(config.keys.cookies![0]).to.equal(realKeys.cookies[0]);
    expect(config.keys.secrets).to.have.length(2);
    expect(config.keys.secrets![0]).to.equal(realKeys.secrets[0]);
    expect(config.redis.url, 'the trailing newline is not part of the value').to.equal('redis://:s3cr3t-Redis-pass@cache:6379');
  });

  it('names the variable when its file cannot be read, when both forms are set, and when its value is refused', () => {
    expect(problemsOf(() => loadConfig({ KEYS_SECRETS_FILE: '/nonexistent/secret' }))).to.deep.equal(['KEYS_SECRETS_FILE: cannot read /nonexistent/secret (ENOENT)']);
    expect(problemsOf(() => loadConfig({ SMTP_URL: 'smtp://a', SMTP_URL_FILE: secretFile('smtp://b') }))).to.deep.equal(['SMTP_URL, SMTP_URL_FILE: both are set; keep one']);
    expect(problemsOf(() => loadConfig({ KEYS_JWKS: '{"keys": [' }))).to.deep.equal(['KEYS_JWKS: not valid JSON (keys.jwks takes a JSON object)']);
    expect(problemsOf(() => loadConfig({ KEYS_SECRETS_FILE: secretFile('too-short\n') }))).to.deep.equal(['keys.secrets[0] (env KEYS_SECRETS_FILE): must be at least 32 characters']);
  });
});
