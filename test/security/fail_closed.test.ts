/**
 * With the store away, nothing is issued on any endpoint (ASVS 5.0 16.5.3: fail closed) — the
 * token endpoint's client_credentials grant included, although its JWT access tokens are never
 * stored.
 */
import { expect } from 'chai';

import { adminClient, filesClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { managementToken } from '../support/management.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('security: fail closed while the store is away (ASVS 5.0 16.5.3)', () => {
  let smtp: SmtpCapture;
  let redis: RunningRedis;
  let gp: TestGuestpass;

  before(async () => {
    smtp = await new SmtpCapture().start();
    redis = await startRedisServer();
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      config: { clients: [rpClient, filesClient, adminClient], redis: { url: redis.url, keyPrefix: 'gp:', commandTimeoutMs: 500 } },
    });
  });
  after(async () => {
    await gp?.close();
    await redis?.stop();
    await smtp?.stop();
  });

  it('issues no client_credentials token while Redis does not answer, and issues one again once it does', async () => {
    expect(await managementToken(gp.issuer, adminClient, 'audit:read')).to.be.a('string');
    await redis.pause!();
    try {
      const response = await fetch(`${gp.issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${adminClient.client_id}:${adminClient.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'audit:read', resource: `${gp.issuer}/api` }),
      });
      expect(response.status).to.equal(503);
      expect(await response.json()).to.include({ error: 'temporarily_unavailable' });
    } finally {
      await redis.resume!();
    }
    const deadline = Date.now() + 5000;
    while ((await fetch(`${gp.issuer}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('guestpass did not reconnect to Redis');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await managementToken(gp.issuer, adminClient, 'audit:read')).to.be.a('string');
  });
});
