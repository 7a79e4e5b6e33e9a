/** Federation entries: the presets an operator names in a few lines, and the mistakes start-up refuses, each naming its field. */
import { expect } from 'chai';

import { parseConfig } from '../../config/load.ts';
import { randomSecret } from '../../src/keys.ts';
import { problemsOf } from '../support/config.ts';


const entra = { preset: 'entra', clientId: '00000000-1111-2222-3333-444444444444', clientSecret: 'app-secret' };
const google = { preset: 'google', clientId: 'guestpass.apps.googleusercontent.com', clientSecret: 'app-secret' };

describe('federation presets', () => {
  it('turns { preset: "entra", clientId, clientSecret } into a multi-tenant Entra entry', () => {
    const [entry] = parseConfig({ federation: [entra] }).federation;
    expect(entry).to.deep.include({
      id: 'entra',
      name: 'Microsoft work or school account',
      issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
      domains: [],
      members: false,
      tokenEndpointAuthMethod: 'client_secret_basic',
      claims: { email: 'email', emailVerified: 'xms_edov' },
    });
    expect(entry!.tenants).to.deep.include({
      discoveryUrl: 'https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration',
      excludeIssuers: ['https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0'],
      cacheSeconds: 3600,
      negativeCacheSeconds: 600,
      failureCacheSeconds: 60,
      timeoutMs: 3000,
      maxCachedDomains: 10000,
    });
  });

  it('turns { preset: "google", clientId, clientSecret } into a Workspace entry that needs hd to match', () => {
    const [entry] = parseConfig({ federation: [google] }).federation;
    expect(entry).to.deep.include({ id: 'google', issuer: 'https://accounts.google.com', claims: { email: 'email', emailVerified: 'email_verified', domain: 'hd' } });
    expect(entry!.tenants).to.deep.include({ mxHosts: ['google.com', 'googlemail.com'], excludeDomains: ['gmail.com', 'googlemail.com'] });
  });

  it('lets keys written next to a preset win, merging objects key by key', () => {
    const [entry] = parseConfig({ federation: [{ ...entra, id: 'work', name: 'Work account', tenants: { timeoutMs: 1500 }, tokenEndpointAuthMethod: 'client_secret_post' }] }).federation;
    expect(entry).to.deep.include({ id: 'work', name: 'Work account', tokenEndpointAuthMethod: 'client_secret_post' });
    expect(entry!.tenants).to.deep.include({ timeoutMs: 1500, discoveryUrl: 'https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration' });
  });

  it('parses both presets next to single-tenant entries in a production configuration', () => {
    const config = parseConfig({
      production: true,
      issuer: 'https://id.contoso.com',
      keys: { jwks: { keys: [{ kty: 'RSA' }] }, cookies: [randomSecret()], secrets: [randomSecret()] },
      redis: { url: 'redis://cache:6379' },
      smtp: { url: 'smtp://mail:25' },
      federation: [entra, google, { id: 'contoso', name: 'Contoso', issuer: 'https://login.contoso.com', clientId: 'c', clientSecret: randomSecret(), domains: ['contoso.com'], members: true }],
    });
    expect(config.federation.map((entry) => entry.id)).to.deep.equal(['entra', 'google', 'contoso']);
  });
});

describe('federation entry mistakes', () => {
  it('names the missing field of a preset entry, and an unknown preset', () => {
    expect(problemsOf(() => parseConfig({ federation: [{ preset: 'entra', clientId: 'a' }] }))).to.deep.equal(['federation[0].clientSecret: is required']);
    expect(problemsOf(() => parseConfig({ federation: [{ ...entra, preset: 'okta' }] }))).to.include('federation[0].preset: must be one of "entra", "google"');
  });

  it('refuses a multi-tenant entry that would make other organisations members', () => {
    expect(problemsOf(() => parseConfig({ federation: [{ ...entra, members: true }] }))).to.deep.equal(['federation[0].members: a multi-tenant entry serves other organisations, never members']);
  });

  it('refuses the pieces of a multi-tenant entry that do not fit together', () => {
    const base = { id: 'mt', name: 'MT', clientId: 'c', clientSecret: 's' };
    const template = 'https://login.example.com/{tenantid}/v2.0';
    const problems = (entry: Record<string, unknown>) => problemsOf(() => parseConfig({ federation: [{ ...base, ...entry }] }));
    expect(problems({ issuer: template })).to.deep.equal(['federation[0].tenants.discoveryUrl: required when issuer is a template with {tenantid} (how else is a domain\'s tenant found?)']);
    expect(problems({ issuer: 'https://login.example.com/{tenant}/v2.0', tenants: { discoveryUrl: 'https://login.example.com/{domain}/doc' } })).to.deep.equal([
      'federation[0].issuer: the only placeholder an issuer may hold is {tenantid}',
    ]);
    expect(problems({ issuer: template, tenants: { discoveryUrl: 'https://login.example.com/doc' } })).to.deep.equal([
      'federation[0].tenants.discoveryUrl: must be an http(s) URL with {domain} once in its path',
    ]);
    expect(problems({ issuer: 'https://login.example.com', tenants: { discoveryUrl: 'https://login.example.com/{domain}/doc' }, domains: ['a.com'] })).to.deep.equal([
      'federation[0].issuer: must be a template with {tenantid} when tenants.discoveryUrl is set (each tenant\'s issuer comes from its document)',
    ]);
    expect(problems({ issuer: template, tenants: { discoveryUrl: 'https://login.example.com/{domain}/doc' }, domains: ['a.com'] })).to.deep.equal([
      'federation[0].domains: an entry with an issuer template finds its domains itself; serve a domain with one fixed tenant through an entry of its own',
    ]);
    expect(problems({ issuer: 'https://accounts.example.com', tenants: { mxHosts: ['mail.example.com'] } })).to.deep.equal([
      'federation[0].claims.domain: required with tenants.mxHosts (e.g. "hd"): it is what proves the person\'s organisation owns the domain',
    ]);
    expect(problems({ issuer: template, tenants: { discoveryUrl: 'https://login.example.com/{domain}/doc', mxHosts: ['mail.example.com'] }, claims: { domain: 'hd' } })).to.include(
      'federation[0].tenants: set discoveryUrl or mxHosts, not both',
    );
    expect(problems({ issuer: 'https://accounts.example.com', tenants: {} })).to.deep.equal([
      'federation[0].tenants: set discoveryUrl (per-domain discovery documents) or mxHosts (a provider with one issuer)',
    ]);
    expect(problems({ issuer: 'https://accounts.example.com' })).to.deep.equal(['federation[0].domains: list at least one domain (or give the entry "tenants" to make it multi-tenant)']);
  });

  it('checks the values of tenants and claims field by field', () => {
    expect(problemsOf(() => parseConfig({ federation: [{ ...entra, tenants: { timeoutMs: 50, maxCachedDomains: 5, dnsServers: ['dns.example'] }, claims: { emailVerified: 'not a claim' } }] }))).to.have.members([
      'federation[0].claims.emailVerified: must be a claim name such as email_verified',
      'federation[0].tenants.dnsServers[0]: must be an IP address, optionally with :port',
      'federation[0].tenants.timeoutMs: must be at least 100',
      'federation[0].tenants.maxCachedDomains: must be at least 100',
    ]);
  });

  it('requires https discovery in production', () => {
    const problems = problemsOf(() =>
      parseConfig({ production: true, federation: [{ ...entra, issuer: 'http://login.example.com/{tenantid}/v2.0', tenants: { discoveryUrl: 'http://login.example.com/{domain}/doc' } }] }),
    );
    expect(problems).to.include.members(['federation[0].issuer: must be an https URL in production', 'federation[0].tenants.discoveryUrl: must be an https URL in production']);
  });
});
