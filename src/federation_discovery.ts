/**
 * Discovering a work-account provider, and holding its discovery document to the federation
 * entry that names it.
 *
 * - The issuer the document states is the one guestpass uses from then on: openid-client checks
 *   the ID token's `iss` and the callback's `iss` (RFC 9207) against it exactly, and linked
 *   identities are keyed by it. The configured issuer must name the same provider, a trailing
 *   slash aside (config/issuers.ts); a document stating another issuer means the entry points at
 *   the wrong place (or something answers there that is not the provider), so the entry is
 *   refused rather than trusted.
 * - The document says how the provider authenticates clients at its token endpoint; the log
 *   says which method each entry uses, warns when the provider does not list it, and when the
 *   provider refuses guestpass's credentials says what the likely cause is.
 */
import * as client from 'openid-client';

import type { FederationEntry } from '../config/schema.ts';
import { discoveryDocumentUrl, sameIssuer } from '../config/issuers.ts';
import type { Logger } from './log.ts';

/** A federation entry whose provider states another issuer than the configured one. */
export interface IssuerMismatch {
  id: string;
  problem: 'issuer_mismatch';
  configuredIssuer: string;
  discoveredIssuer: string;
}

export class IssuerMismatchError extends Error {
  constructor(readonly mismatch: IssuerMismatch) {
    super(
      `federation entry "${mismatch.id}" is refused: its configured issuer ${mismatch.configuredIssuer} is not the issuer its provider's discovery document states, ${mismatch.discoveredIssuer}`,
    );
    this.name = 'IssuerMismatchError';
  }
}

/** A provider that does not answer in this time is unavailable for now, not a reason to hang a page. */
const discoveryTimeoutSeconds = 10;

/** OIDC Discovery §3: a document without `token_endpoint_auth_methods_supported` means this one. */
const defaultAuthMethods = ['client_secret_basic'];

/** Reads the provider's discovery document and checks it against the entry; throws IssuerMismatchError. */
export async function discoverProvider(entry: FederationEntry, logger: Logger): Promise<client.Configuration> {
  const authentication = entry.tokenEndpointAuthMethod === 'client_secret_post' ? client.ClientSecretPost(entry.clientSecret) : client.ClientSecretBasic(entry.clientSecret);
  // Given the document's own URL, openid-client reads it without comparing issuers itself (it
  // would compare them byte for byte); the comparison, with its one forgiven difference, is ours.
  const configuration = await client.discovery(discoveryDocumentUrl(entry.issuer), entry.clientId, undefined, authentication, {
    // Plain http only for local development and tests; production configuration requires https.
    execute: entry.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
    timeout: discoveryTimeoutSeconds,
  });
  const metadata = configuration.serverMetadata();
  if (!sameIssuer(entry.issuer, metadata.issuer)) {
    throw new IssuerMismatchError({ id: entry.id, problem: 'issuer_mismatch', configuredIssuer: entry.issuer, discoveredIssuer: metadata.issuer });
  }
  logAuthenticationMethod(entry, metadata, logger);
  return configuration;
}

function logAuthenticationMethod(entry: FederationEntry, metadata: client.ServerMetadata, logger: Logger): void {
  const method = entry.tokenEndpointAuthMethod;
  const supported = metadata.token_endpoint_auth_methods_supported ?? defaultAuthMethods;
  const spelling = metadata.issuer === entry.issuer ? '' : ` (configured as ${entry.issuer}; the provider's spelling is used)`;
  logger.info(
    { provider: entry.id, issuer: metadata.issuer, configuredIssuer: entry.issuer, tokenEndpointAuthMethod: method, providerAuthMethods: supported },
    `work-account provider "${entry.id}" discovered: issuer ${metadata.issuer}${spelling}; guestpass authenticates at its token endpoint with ${method}`,
  );
  if (!supported.includes(method)) {
    logger.warn(
      { provider: entry.id, tokenEndpointAuthMethod: method, providerAuthMethods: supported },
      `work-account provider "${entry.id}" does not list ${method} among its token endpoint auth methods (${supported.join(', ')}); ` +
        `it will likely refuse guestpass at its token endpoint: set "tokenEndpointAuthMethod" of this federation entry to a method it lists`,
    );
  }
}

/**
 * The provider refused guestpass's own credentials, so no one of this entry can link or sign
 * in until the operator acts: say what the likely cause is and what to change. The secret is
 * never logged, only whether form-encoding changes it.
 */
export function logRefusedClient(entry: FederationEntry, logger: Logger): void {
  const method = entry.tokenEndpointAuthMethod;
  const encodingChangesCredentials = changedByFormEncoding(entry.clientId) || changedByFormEncoding(entry.clientSecret);
  const likelyCause =
    method === 'client_secret_basic' && encodingChangesCredentials
      ? 'guestpass sends the client ID and secret form-encoded inside the Basic header, as RFC 6749 §2.3.1 requires, and this secret (or ID) has characters ' +
        'that form-encoding changes (anything but letters and digits, such as - + / =); a provider that compares the Basic credentials without decoding ' +
        'them (LemonLDAP::NG does) refuses them. If the client ID and secret are right, set "tokenEndpointAuthMethod": "client_secret_post" on this entry'
      : `check the client ID and secret registered at the provider, and that it accepts ${method} for this client`;
  logger.error(
    { provider: entry.id, issuer: entry.issuer, tokenEndpointAuthMethod: method, error: 'invalid_client' },
    `work-account provider "${entry.id}" refused guestpass's client credentials at its token endpoint (invalid_client): ${likelyCause} (docs/federation.md)`,
  );
}

/**
 * The token endpoint refused the client itself: `invalid_client` in the body (RFC 6749 §5.2), or
 * a 401 with an authentication challenge, which is how that error comes with Basic credentials.
 */
export function clientAuthenticationRefused(error: unknown): boolean {
  if (error instanceof client.ResponseBodyError) return error.error === 'invalid_client';
  if (error instanceof client.WWWAuthenticateChallengeError) return error.status === 401;
  return false;
}

/** openid-client percent-encodes every character but letters and digits in Basic credentials. */
function changedByFormEncoding(value: string): boolean {
  return /[^A-Za-z0-9]/.test(value);
}
