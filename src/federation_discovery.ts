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
 *   says which method each entry uses, and warns when the provider does not list it.
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
