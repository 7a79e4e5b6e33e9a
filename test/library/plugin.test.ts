/**
 * The "plugin" use: an application builds its own oidc-provider, merges its own settings over
 * guestpass's configuration, mounts guestpass's routes, and its relying parties sign people in
 * with emailed codes.
 */
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import Provider from 'oidc-provider';

import { createGuestpass, parseConfig, type Guestpass } from '../../src/index.ts';
import { createLogger } from '../../src/log.ts';
import { Browser } from '../support/browser.ts';
import { deleteKeys, rpClient, signIn, testKeys, type SignInTarget } from '../support/guestpass.ts';
import { uniqueKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { freePort } from '../support/redis_server.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('guestpass as a library in an application\'s own oidc-provider', () => {
  let smtp: SmtpCapture;
  let guestpass: Guestpass;
  let http: Server;
  let target: SignInTarget;
  const keyPrefix = uniqueKeyPrefix('plugin');

  before(async () => {
    smtp = await new SmtpCapture().start();
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const config = parseConfig({ issuer, port, logLevel: 'silent', clients: [rpClient], smtp: { url: smtp.url }, redis: { url: testRedisUrl(), keyPrefix } });
    guestpass = await createGuestpass(config, { keys: await testKeys(), logger: createLogger('silent') });

    const base = guestpass.providerConfiguration();
    const provider = new Provider(issuer, { ...base, ttl: { ...base.ttl, AccessToken: 300 }, discovery: { service_documentation: 'https://files.example/docs' } });
    await guestpass.mount(provider);
    http = createServer(provider.callback());
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    guestpass.start();

    const rp = await TestRelyingParty.discover(issuer, rpClient.client_id, rpClient.client_secret, rpClient.redirect_uris[0]!);
    target = { rp, browser: (headers) => new Browser(issuer, headers) };
  });
  after(async () => {
    http?.closeAllConnections();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await guestpass?.close();
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });

  it('signs a person in with the application\'s own settings in force', async () => {
    const { claims, tokens } = await signIn(target, smtp, 'plugin@example.org');
    expect(claims).to.include({ email: 'plugin@example.org', user_type: 'adhoc' });
    expect(tokens.expires_in).to.equal(300);
    const discovery = (await (await fetch(`${target.rp.config.serverMetadata().issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.service_documentation).to.equal('https://files.example/docs');
  });
});
