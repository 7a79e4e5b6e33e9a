/**
 * The console is a relying party of this very guestpass (dogfooding), with openid-client as any
 * relying party would use it: PKCE, state and nonce, the code redeemed at the token endpoint
 * with the client's secret. Two things differ from a relying party elsewhere:
 *
 * - No discovery: the provider's metadata is known in-process (same issuer, same paths).
 * - The token request never goes out to the public ISSUER. Behind a TLS proxy or a load
 *   balancer the server may not reach its own public name (no hairpin routing, split DNS), so
 *   openid-client's `customFetch` sends it to a private listener of this process on 127.0.0.1
 *   (port chosen by the system, opened at the first console sign-in, closed with the server),
 *   which serves the same provider. The browser still only ever talks to ISSUER.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider } from 'oidc-provider';
import * as client from 'openid-client';

import { adminClientId, consolePaths } from '../../src/admin/client.ts';

export interface ConsoleRelyingParty {
  configuration(): client.Configuration;
  /** Closes the private listener, if it was opened. */
  close(): Promise<void>;
}

export function consoleRelyingParty(provider: Provider, issuer: string, clientSecret: string): ConsoleRelyingParty {
  let listener: Promise<{ server: Server; origin: string }> | undefined;
  const open = () =>
    (listener ??= new Promise((resolve, reject) => {
      const server = createServer(provider.callback());
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
    }));
  const issuerOrigin = new URL(issuer).origin;

  const configuration = new client.Configuration(
    {
      issuer,
      authorization_endpoint: provider.urlFor('authorization'),
      token_endpoint: provider.urlFor('token'),
      end_session_endpoint: provider.urlFor('end_session'),
      jwks_uri: provider.urlFor('jwks'),
      code_challenge_methods_supported: ['S256'],
    },
    adminClientId,
    { redirect_uris: [`${issuer}${consolePaths.callback}`], id_token_signed_response_alg: 'RS256' },
    client.ClientSecretBasic(clientSecret),
  );
  if (issuer.startsWith('http:')) client.allowInsecureRequests(configuration);
  configuration[client.customFetch] = async (url, options) => {
    const target = new URL(url);
    if (target.origin !== issuerOrigin) throw new Error(`the console calls only its own provider, not ${target.origin}`);
    const { origin } = await open();
    return fetch(`${origin}${target.pathname}${target.search}`, options as RequestInit);
  };

  return {
    configuration: () => configuration,
    async close() {
      if (!listener) return;
      const { server } = await listener;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
