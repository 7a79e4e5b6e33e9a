import { readFileSync } from 'node:fs';
import { expect } from 'chai';

import { configKeys, referenceDocument, withCurrentReference } from '../../config/reference.ts';

describe('the configuration reference in docs/configuration.md', () => {
  it('matches the schema (run `npm run config:reference -- --write` after changing it)', () => {
    const document = readFileSync(referenceDocument, 'utf8');
    expect(withCurrentReference(document) === document, 'docs/configuration.md is out of date with config/schema.ts').to.equal(true);
  });

  it('describes every key', () => {
    expect(configKeys().filter((key) => !key.description).map((key) => key.path)).to.deep.equal([]);
  });
});

describe('the example production configuration', () => {
  const example = () => JSON.parse(readFileSync(new URL('../../config/example.production.json', import.meta.url), 'utf8')) as Record<string, unknown>;

  it('is accepted by the schema', async () => {
    const { parseConfig } = await import('../../config/load.ts');
    const config = parseConfig({ ...example(), production: false });
    expect(config.issuer).to.equal('https://id.contoso.com');
    expect(config.demo.enabled).to.equal(false);
  });

  it('does not start in production until every placeholder is replaced, naming each', async () => {
    const { parseConfig } = await import('../../config/load.ts');
    const { ConfigError } = await import('../../src/errors.ts');
    let problems: string[] = [];
    try {
      parseConfig({ ...example(), production: true });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    const fields = problems.map((problem) => problem.slice(0, problem.indexOf(':')));
    expect(fields).to.include.members([
      'keys.jwks.keys[0].kid',
      'keys.jwks.keys[0].d',
      'keys.cookies[0]',
      'keys.secrets[0]',
      'clients[0].client_secret',
      'redis.password',
      'smtp.url',
    ]);
    expect(problems.every((problem) => !problem.includes('REPLACE-with')), 'a message never repeats the value').to.equal(true);
  });
});
