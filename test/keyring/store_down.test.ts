/**
 * Managed keys while Redis does not answer: the keys API fails closed (503), a poll fails without
 * touching the keys in use, and the instance keeps the keys it had once Redis is back.
 */
import { expect } from 'chai';

import { adminClient, filesClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi } from '../support/management.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('managed keys: fail closed while the store is away', () => {
  let smtp: SmtpCapture;
  let redis: RunningRedis;
  let gp: TestGuestpass;

  before(async () => {
    smtp = await new SmtpCapture().start();
    redis = await startRedisServer();
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      config: {
        clients: [rpClient, filesClient, adminClient],
        redis: { url: redis.url, keyPrefix: 'gp:', commandTimeoutMs: 500 },
        keys: { encryptionKey: 'store-down-key-encryption-key-0123456789', pollIntervalSeconds: 600 },
      },
      deps: { keys: undefined },
    });
  });
  after(async () => {
    await gp?.close();
    await redis?.stop();
    await smtp?.stop();
  });

  it('answers 503 to GET /keys and POST /keys/rotate, and keeps its keys, while Redis does not answer', async () => {
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'admin');
    const before = gp.server.keyring!.status();
    const kids = gp.server.keys.jwks.keys.map((key) => key.kid);
    await redis.pause!();
    try {
      for (const response of [await admin.get('/keys'), await admin.post('/keys/rotate', {})]) {
        expect(response.status).to.equal(503);
        expect(response.body).to.include({ error: 'temporarily_unavailable' });
      }
      let refused: unknown;
      await gp.server.keyring!.refresh().catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(Error);
    } finally {
      await redis.resume!();
    }
    expect(gp.server.keys.jwks.keys.map((key) => key.kid)).to.deep.equal(kids);
    expect(gp.server.keyring!.status()).to.deep.equal(before);
  });
});
