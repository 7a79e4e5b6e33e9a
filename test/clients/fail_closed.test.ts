/** With the store away, nobody registers or changes a client, and the clients API answers 503 (fail closed). */
import { expect } from 'chai';

import { adminClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import type { ManagementApi } from '../support/management.ts';
import { startRedisServer, type RunningRedis } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { clientsAdmin, clientsApi, initialAccessToken, registration } from './support.ts';

describe('clients: fail closed while the store is away', () => {
  let smtp: SmtpCapture;
  let redis: RunningRedis;
  let gp: TestGuestpass;
  let api: ManagementApi;

  before(async () => {
    smtp = await new SmtpCapture().start();
    redis = await startRedisServer();
    gp = await startGuestpass({ store: 'redis', smtp, config: { clients: [rpClient, adminClient, clientsAdmin], redis: { url: redis.url, keyPrefix: 'gp:', commandTimeoutMs: 500 } } });
    api = await clientsApi(gp.issuer);
  });
  after(async () => {
    await gp?.close();
    await redis?.stop();
    await smtp?.stop();
  });

  it('answers 503 to registration and to every clients API call it reaches', async () => {
    const token = await initialAccessToken(api);
    const created = await api.post<{ client_id: string }>('/clients', { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
    await redis.pause!();
    try {
      const registered = await registration(`${gp.issuer}/reg`, 'POST', token, { redirect_uris: ['http://down.test/cb'] });
      expect(registered.status).to.equal(503);
      for (const answer of [await api.get('/clients'), await api.post('/clients', { redirect_uris: ['http://down.test/cb'] }), await api.post(`/clients/${created.body.client_id}/rotate-secret`, {}), await api.post('/initial-access-tokens', {})]) {
        expect(answer.status).to.equal(503);
        expect(answer.body).to.include({ error: 'temporarily_unavailable' });
      }
    } finally {
      await redis.resume!();
    }
  });
});
