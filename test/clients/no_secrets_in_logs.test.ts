/** No client secret, initial or registration access token reaches a log line, even at the most verbose level. */
import { expect } from 'chai';

import { adminClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { capturingLogger } from '../support/log_capture.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { clientsAdmin, clientsApi, initialAccessToken, registration } from './support.ts';

describe('logs of client registration and secret rotation', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const capture = capturingLogger('trace');

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { clients: [rpClient, adminClient, clientsAdmin] }, deps: { logger: capture.logger } });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('carry no secret or token across registration, RFC 7592, creation and rotation', async () => {
    const api = await clientsApi(gp.issuer);
    const iat = await initialAccessToken(api);
    const registered = await registration(`${gp.issuer}/reg`, 'POST', iat, { redirect_uris: ['http://logs.test/cb'] });
    const { client_id: clientId, client_secret: registeredSecret, registration_access_token: rat, registration_client_uri: uri } = registered.body as Record<string, string>;
    const updated = await registration(uri!, 'PUT', rat, { client_id: clientId, redirect_uris: ['http://logs.test/cb2'] });
    const created = await api.post<{ client_id: string; client_secret: string }>('/clients', { redirect_uris: ['http://logs.test/cb'] });
    const rotated = await api.post<{ client_secret: string }>(`/clients/${created.body.client_id}/rotate-secret`, {});
    const log = capture.text();
    expect(log).to.contain('"audit":"ClientRegistered"');
    const secrets = { iat, registeredSecret, rat, rotatedRat: updated.body.registration_access_token as string, createdSecret: created.body.client_secret, rotatedSecret: rotated.body.client_secret };
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).to.be.a('string');
      expect(log, name).to.not.contain(value);
    }
  });
});
