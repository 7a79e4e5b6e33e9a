/**
 * The console's relying party never needs the public ISSUER to be reachable from the server: its
 * calls to the provider go to a private listener of the process on 127.0.0.1. Shown with an
 * issuer whose name does not resolve at all.
 */
import { expect } from 'chai';
import * as client from 'openid-client';

import { parseConfig } from '../../config/load.ts';
import { adminClientSecret } from '../../src/admin/client.ts';
import { createLogger } from '../../src/log.ts';
import { createServer } from '../../src/http_server.ts';
import { consoleRelyingParty } from '../../interactions/admin/relying_party.ts';
import { testKeys } from '../support/guestpass.ts';

describe('the admin console as a relying party', () => {
  it('reaches its provider in-process even when ISSUER does not resolve, and calls nothing else', async () => {
    const issuer = 'https://guestpass.invalid';
    const keys = await testKeys();
    const server = await createServer(parseConfig({ issuer, logLevel: 'silent', dataDir: 'var/test-console-rp' }), { keys, logger: createLogger('silent') });
    const relyingParty = consoleRelyingParty(server.provider, issuer, adminClientSecret(keys.secrets));
    try {
      const call = relyingParty.configuration()[client.customFetch]!;
      const discovery = await call(`${issuer}/.well-known/openid-configuration`, { method: 'GET', headers: {}, redirect: 'manual' } as never);
      expect(discovery.status).to.equal(200);
      expect(((await discovery.json()) as { issuer: string }).issuer).to.equal(issuer);
      // The client authenticates at the token endpoint with its derived secret: a wrong code, not a wrong client.
      const token = await call(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`guestpass-admin:${adminClientSecret(keys.secrets)}`).toString('base64')}` },
        body: 'grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Fguestpass.invalid%2Fadmin%2Fcallback&code_verifier=' + 'a'.repeat(43),
        redirect: 'manual',
      } as never);
      expect(((await token.json()) as { error: string }).error).to.equal('invalid_grant');
      let refused: unknown;
      await call('https://elsewhere.example/token', { method: 'GET', headers: {} } as never).catch((error: unknown) => (refused = error));
      expect(String(refused)).to.contain('the console calls only its own provider');
    } finally {
      await relyingParty.close();
      await server.close();
    }
  });
});
