/**
 * What a relying party may show of itself (src/client_presentation.ts): which `logo_uri`,
 * `policy_uri` and `tos_uri` registration accepts, what a page keeps of a stored client, and the
 * image origin its CSP then allows. Registration runs through oidc-provider's own client schema.
 */
import { expect } from 'chai';
import Provider from 'oidc-provider';

import { MemoryStore } from '../../adapters/memory.ts';
import { parseConfig } from '../../config/load.ts';
import { AuditLog } from '../../src/audit.ts';
import { clientPresentationOf, maxShownNameLength, presentationImageSources, presentationUriProblem } from '../../src/client_presentation.ts';
import { systemClock } from '../../src/clock.ts';
import { linkEligibility } from '../../src/eligibility.ts';
import { LinkAccess } from '../../src/link_access.ts';
import { Links } from '../../src/links.ts';
import { createLogger } from '../../src/log.ts';
import { People } from '../../src/people.ts';
import { fixedPolicy } from '../../src/policy.ts';
import { providerConfiguration } from '../../src/provider.ts';
import { Sessions } from '../../src/sessions.ts';
import { providerPages } from '../../interactions/views/provider_pages.ts';
import { testKeys } from '../support/guestpass.ts';

const production = { issuer: 'https://id.contoso.com', production: true };
const developmentHttp = { issuer: 'http://localhost:3000', production: false };
const developmentHttps = { issuer: 'https://id.contoso.test', production: false };

describe('client presentation metadata', () => {
  it('accepts https URLs everywhere', () => {
    for (const rules of [production, developmentHttp, developmentHttps]) {
      expect(presentationUriProblem('logo_uri', 'https://cdn.files.example/logo.png?v=2', rules)).to.equal(undefined);
    }
  });

  it('refuses script, data, file and relative URLs, and URLs carrying credentials, naming the field', () => {
    for (const rules of [production, developmentHttp]) {
      expect(presentationUriProblem('policy_uri', 'javascript:alert(1)', rules)).to.equal('policy_uri must be an https URL');
      expect(presentationUriProblem('logo_uri', 'data:image/png;base64,iVBORw0KGgo=', rules)).to.equal('logo_uri must be an https URL');
      expect(presentationUriProblem('logo_uri', 'data:text/html,<script>alert(1)</script>', rules)).to.equal('logo_uri must be an https URL');
      expect(presentationUriProblem('tos_uri', 'file:///etc/passwd', rules)).to.equal('tos_uri must be an https URL');
      expect(presentationUriProblem('tos_uri', '/terms', rules)).to.equal('tos_uri must be an https URL');
      expect(presentationUriProblem('logo_uri', 'https://user:secret@cdn.files.example/logo.png', rules)).to.equal('logo_uri must not carry a user name or password');
      expect(presentationUriProblem('logo_uri', 42, rules)).to.equal('logo_uri must be a string');
    }
  });

  it('refuses http in production, allows it in development only on a loopback host of an http issuer', () => {
    expect(presentationUriProblem('logo_uri', 'http://cdn.files.example/logo.png', production)).to.equal('logo_uri must be an https URL in production');
    expect(presentationUriProblem('tos_uri', 'http://localhost:8080/terms', production)).to.equal('tos_uri must be an https URL in production');
    for (const loopback of ['http://localhost:8080/logo.png', 'http://127.0.0.1:8080/logo.png', 'http://[::1]:8080/logo.png']) {
      expect(presentationUriProblem('logo_uri', loopback, developmentHttp), loopback).to.equal(undefined);
    }
    expect(presentationUriProblem('logo_uri', 'http://cdn.files.example/logo.png', developmentHttp)).to.match(/^logo_uri may be an http URL only on a loopback host/);
    expect(presentationUriProblem('logo_uri', 'http://localhost.evil.example/logo.png', developmentHttp)).to.match(/^logo_uri may be an http URL only on a loopback host/);
    expect(presentationUriProblem('logo_uri', 'http://localhost:8080/logo.png', developmentHttps), 'no mixed content').to.equal('logo_uri must be an https URL: the pages are served over https');
  });

  it('keeps on a page only the usable URLs of a stored client, normalised, and a bounded, single-line name', () => {
    const shown = clientPresentationOf(
      { clientName: '  Contoso\nFiles\u0000  ', logoUri: 'javascript:alert(1)', policyUri: 'HTTPS://Files.Example/privacy', tosUri: 'http://files.example/terms' },
      production,
    );
    expect(shown).to.deep.equal({ name: 'Contoso Files', logoUri: undefined, policyUri: 'https://files.example/privacy', tosUri: undefined });
    const long = clientPresentationOf({ clientName: 'x'.repeat(5000) }, production).name!;
    expect([...long]).to.have.length(maxShownNameLength);
    expect(long.endsWith('…')).to.equal(true);
    expect(clientPresentationOf({ clientName: ' \t ' }, production).name).to.equal(undefined);
    expect(clientPresentationOf({ clientName: 'Files \u202egnp.exe\u202c' }, production).name, 'no bidi override').to.equal('Files gnp.exe');
    expect(clientPresentationOf({}, production)).to.deep.equal({ name: undefined, logoUri: undefined, policyUri: undefined, tosUri: undefined });
  });

  it('lets images come from exactly the logo\'s origin, and from nowhere new when the logo is the issuer\'s own', () => {
    expect(presentationImageSources({ logoUri: 'https://cdn.files.example:8443/a/logo.png' }, production.issuer)).to.deep.equal(['https://cdn.files.example:8443']);
    expect(presentationImageSources({ logoUri: 'https://id.contoso.com/assets/rp.png' }, production.issuer)).to.deep.equal([]);
    expect(presentationImageSources({ policyUri: 'https://files.example/privacy' }, production.issuer)).to.deep.equal([]);
  });
});

describe('registering a client with presentation metadata', () => {
  async function providerFor(rules: { issuer: string; production: boolean }) {
    const config = { ...parseConfig({ issuer: rules.issuer, trustProxy: rules.issuer.startsWith('https:') }), production: rules.production };
    const store = new MemoryStore();
    const people = new People(store, systemClock, []);
    const policy = fixedPolicy(config.policy);
    const logger = createLogger('silent');
    const access = new LinkAccess({ store, sessions: new Sessions(store, logger), clock: systemClock, logger });
    const links = new Links({ store, clock: systemClock, audit: new AuditLog(store, systemClock, logger), people, policy, access, maxRecipients: 10 });
    const eligibility = linkEligibility({ links, people, policy, openSignInClients: new Set() });
    const configuration = providerConfiguration({ config, clock: systemClock, keys: await testKeys(), store, people, policy, eligibility, clients: [], pages: providerPages({ organizationName: config.organization.name }) });
    return new Provider(rules.issuer, configuration);
  }

  const client = { client_id: 'files', client_secret: 'files-secret', redirect_uris: ['https://files.example/callback'] };

  async function refusal(provider: Provider, metadata: Record<string, unknown>): Promise<{ error: string; description: string } | undefined> {
    try {
      await provider.Client.validate({ ...client, ...metadata });
      return undefined;
    } catch (error) {
      const { error: code, error_description: description } = error as { error: string; error_description: string };
      return { error: code, description };
    }
  }

  it('refuses non-https logo, policy and terms URLs in production with invalid_client_metadata naming the field', async () => {
    const provider = await providerFor(production);
    expect(await refusal(provider, { logo_uri: 'http://cdn.files.example/logo.png' })).to.deep.equal({ error: 'invalid_client_metadata', description: 'logo_uri must be an https URL in production' });
    expect(await refusal(provider, { policy_uri: 'http://files.example/privacy' })).to.deep.equal({ error: 'invalid_client_metadata', description: 'policy_uri must be an https URL in production' });
    expect(await refusal(provider, { tos_uri: 'javascript:alert(document.cookie)' })).to.deep.equal({ error: 'invalid_client_metadata', description: 'tos_uri must be an https URL' });
    expect(await refusal(provider, { logo_uri: 'data:image/svg+xml,<svg onload=alert(1)>' })).to.deep.equal({ error: 'invalid_client_metadata', description: 'logo_uri must be an https URL' });
    expect(await refusal(provider, { client_name: 'Contoso Files', logo_uri: 'https://cdn.files.example/logo.png', policy_uri: 'https://files.example/privacy', tos_uri: 'https://files.example/terms' })).to.equal(undefined);
  });

  it('accepts http on a loopback host in development, and nothing else over http', async () => {
    const provider = await providerFor(developmentHttp);
    expect(await refusal(provider, { logo_uri: 'http://localhost:8080/logo.png', tos_uri: 'http://127.0.0.1:8080/terms' })).to.equal(undefined);
    expect((await refusal(provider, { policy_uri: 'http://files.example/privacy' }))?.description).to.match(/^policy_uri may be an http URL only on a loopback host/);
  });
});
