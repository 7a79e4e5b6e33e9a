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
  it('is accepted by the schema', async () => {
    const { parseConfig } = await import('../../config/load.ts');
    const example = JSON.parse(readFileSync(new URL('../../config/example.production.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const config = parseConfig({ ...example, production: true });
    expect(config.issuer).to.equal('https://id.contoso.com');
    expect(config.demo.enabled).to.equal(false);
  });
});
