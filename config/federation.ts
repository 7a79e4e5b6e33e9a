/**
 * Federation entries beyond what the schema checks field by field: the presets an operator
 * names instead of writing an entry out, and the rules between an entry's fields and between
 * entries. Presets are applied to the raw input, before the schema, so a mistake in what the
 * operator wrote next to a preset is reported under its own field like any other.
 */
import { isIssuerTemplate, normalizeIssuer, tenantIdPlaceholder } from './issuers.ts';
import type { Config, FederationEntry, FederationPreset } from './schema.ts';

/** The placeholder of a per-domain discovery URL. */
export const domainPlaceholder = '{domain}';

/**
 * What each preset fills in; keys the operator writes next to `preset` win (objects are merged
 * key by key, lists replaced). Each is documented with its registration steps in docs/federation.md.
 */
export const federationPresets: Record<FederationPreset, Record<string, unknown>> = {
  // Microsoft Entra ID, work and school accounts of any organisation ("Accounts in any
  // organizational directory"). Each tenant has its own issuer; the per-domain discovery document
  // names the tenant that has verified a domain. Entra sends no email_verified: xms_edov (an
  // optional claim, with `email`) says the tenant has verified the domain of the address.
  entra: {
    id: 'entra',
    name: 'Microsoft work or school account',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    claims: { email: 'email', emailVerified: 'xms_edov' },
    tenants: {
      discoveryUrl: 'https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration',
      // Personal Microsoft accounts (outlook.com, hotmail.com, …) live in this one tenant: no organisation vouches for them.
      excludeIssuers: ['https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0'],
    },
  },
  // Google Workspace: one issuer for every organisation; `hd` names the organisation's domain.
  // Google publishes no per-domain document, so a domain whose mail Google handles is offered
  // the upgrade, and `hd` equal to the address's domain is what links.
  google: {
    id: 'google',
    name: 'Google Workspace account',
    issuer: 'https://accounts.google.com',
    claims: { email: 'email', emailVerified: 'email_verified', domain: 'hd' },
    tenants: {
      mxHosts: ['google.com', 'googlemail.com'],
      // Consumer Google accounts carry no `hd` and could never link: do not send their people to Google.
      excludeDomains: ['gmail.com', 'googlemail.com'],
    },
  },
};

/** The configuration input with every federation entry's preset filled in (unknown presets are left for the schema to report). */
export function withFederationPresets(input: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(input.federation)) return input;
  return {
    ...input,
    federation: input.federation.map((entry: unknown) => {
      if (!isPlainObject(entry) || typeof entry.preset !== 'string' || !Object.hasOwn(federationPresets, entry.preset)) return entry;
      return mergeOver(federationPresets[entry.preset as FederationPreset], entry);
    }),
  };
}

/** Problems between the fields of federation entries, each naming its field. */
export function federationProblems(config: Config): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const domains = new Map<string, string>();
  const issuers = new Map<string, string>();
  config.federation.forEach((entry, index) => {
    const field = (name: string) => `federation[${index}].${name}`;
    if (ids.has(entry.id)) problems.push(`${field('id')}: duplicate id "${entry.id}"`);
    ids.add(entry.id);
    const issuer = new URL(entry.issuer);
    if (issuer.search || issuer.hash) problems.push(`${field('issuer')}: must have no query or fragment (an issuer identifier has neither)`);
    // Linked identities are keyed by issuer, so two entries with one issuer could not tell whose a person's identity is.
    const sameIssuerAs = issuers.get(normalizeIssuer(entry.issuer));
    if (sameIssuerAs) problems.push(`${field('issuer')}: ${entry.issuer} is already the issuer of "${sameIssuerAs}"`);
    issuers.set(normalizeIssuer(entry.issuer), entry.id);
    for (const domain of entry.domains) {
      const other = domains.get(domain);
      if (other) problems.push(`${field('domains')}: ${domain} is already served by "${other}"`);
      domains.set(domain, entry.id);
    }
    problems.push(...tenancyProblems(entry, field));
    if (config.production) {
      if (!entry.issuer.startsWith('https://')) problems.push(`${field('issuer')}: must be an https URL in production`);
      if (entry.tenants?.discoveryUrl?.startsWith('http://')) problems.push(`${field('tenants.discoveryUrl')}: must be an https URL in production`);
    }
  });
  return problems;
}

function tenancyProblems(entry: FederationEntry, field: (name: string) => string): string[] {
  const template = isIssuerTemplate(entry.issuer);
  if (entry.issuer.replaceAll(tenantIdPlaceholder, '').includes('{')) {
    return [`${field('issuer')}: the only placeholder an issuer may hold is ${tenantIdPlaceholder}`];
  }
  if (entry.issuer.split(tenantIdPlaceholder).length > 2) return [`${field('issuer')}: may hold ${tenantIdPlaceholder} once`];
  const { tenants } = entry;
  if (!tenants) {
    if (template) return [`${field('tenants.discoveryUrl')}: required when issuer is a template with ${tenantIdPlaceholder} (how else is a domain's tenant found?)`];
    return entry.domains.length === 0 ? [`${field('domains')}: list at least one domain (or give the entry "tenants" to make it multi-tenant)`] : [];
  }
  const problems: string[] = [];
  // A multi-tenant entry vouches for people of organisations the operator never named: never members of the operator's own.
  if (entry.members) problems.push(`${field('members')}: a multi-tenant entry serves other organisations, never members`);
  if (tenants.discoveryUrl && tenants.mxHosts) problems.push(`${field('tenants')}: set discoveryUrl or mxHosts, not both`);
  if (!tenants.discoveryUrl && !tenants.mxHosts) problems.push(`${field('tenants')}: set discoveryUrl (per-domain discovery documents) or mxHosts (a provider with one issuer)`);
  if (tenants.discoveryUrl !== undefined) {
    if (!validDiscoveryUrl(tenants.discoveryUrl)) problems.push(`${field('tenants.discoveryUrl')}: must be an http(s) URL with ${domainPlaceholder} once in its path`);
    if (!template) problems.push(`${field('issuer')}: must be a template with ${tenantIdPlaceholder} when tenants.discoveryUrl is set (each tenant's issuer comes from its document)`);
    if (template && entry.domains.length > 0) {
      problems.push(`${field('domains')}: an entry with an issuer template finds its domains itself; serve a domain with one fixed tenant through an entry of its own`);
    }
  }
  if (tenants.mxHosts) {
    if (template) problems.push(`${field('issuer')}: must be the provider's one issuer with tenants.mxHosts, not a template`);
    if (!entry.claims.domain) problems.push(`${field('claims.domain')}: required with tenants.mxHosts (e.g. "hd"): it is what proves the person's organisation owns the domain`);
  } else if (tenants.dnsServers) {
    problems.push(`${field('tenants.dnsServers')}: only used with tenants.mxHosts`);
  }
  return problems;
}

function validDiscoveryUrl(template: string): boolean {
  if (template.split(domainPlaceholder).length !== 2) return false;
  const url = URL.parse(template.replace(domainPlaceholder, 'contoso.com'));
  return url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && template.indexOf(domainPlaceholder) > url.origin.length;
}

function mergeOver(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = merged[key];
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? mergeOver(existing, value) : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
