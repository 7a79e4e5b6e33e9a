/**
 * Issuer identifiers of upstream providers, and the one spelling difference guestpass forgives.
 *
 * An issuer is an https URL without query or fragment, compared as a string (OIDC Core §2): the
 * ID token's `iss` must be exactly what the provider's discovery document states, and that exact
 * string is the key of every linked identity. Operators, though, copy issuers by hand, and
 * `https://idp.example/` and `https://idp.example` (or `…/realms/x/` and `…/realms/x`) are the
 * same provider: OIDC Discovery §4 removes a terminating "/" before appending
 * `/.well-known/openid-configuration`, so both spellings share one discovery document and cannot
 * name two different providers. Any other difference (host, port, path, scheme) can, and is a
 * contradiction, never a match.
 *
 * It sits in config/ because loading the configuration needs it already (two entries may not
 * name one issuer), and config/ imports nothing of src/; the domain imports it from here.
 */

/** The issuer without a terminating "/": the form two spellings of one provider share. */
export function normalizeIssuer(issuer: string): string {
  const url = new URL(issuer);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
}

/** Whether two issuer strings name one provider: equal, or equal but for a trailing slash. */
export function sameIssuer(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return normalizeIssuer(a) === normalizeIssuer(b);
  } catch {
    return false;
  }
}

/** The spellings an identity of this issuer may have been stored under: as given first, then the other. */
export function issuerSpellings(issuer: string): [string, string] {
  return [issuer, issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`];
}

/** Where the discovery document of an issuer is (OIDC Discovery §4), whichever its spelling. */
export function discoveryDocumentUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
}

/**
 * Multi-tenant providers (Microsoft Entra) give each tenant an issuer of its own, all of one
 * shape: `https://login.microsoftonline.com/{tenantid}/v2.0`. A tenant's issuer fits the template
 * when it is the template with the placeholder replaced by one tenant ID: one path segment of
 * letters, digits, `-` and `_` (so never `.` or `..`, which would name another path). It is
 * compared exactly: a tenant's issuer is what its own document states, never a spelling.
 */
export const tenantIdPlaceholder = '{tenantid}';

const tenantIdPattern = /^[A-Za-z0-9_-]{1,128}$/;

export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes(tenantIdPlaceholder);
}

export function fitsIssuerTemplate(template: string, issuer: string): boolean {
  const [before = '', after = '', extra] = template.split(tenantIdPlaceholder);
  if (extra !== undefined || !issuer.startsWith(before) || !issuer.endsWith(after)) return false;
  return tenantIdPattern.test(issuer.slice(before.length, issuer.length - after.length));
}

/** The origin every tenant of a template shares (its host is fixed; only the path varies). */
export function templateOrigin(template: string): string {
  return new URL(template.replace(tenantIdPlaceholder, 'tenant')).origin;
}
