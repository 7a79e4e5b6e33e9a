/** Prometheus metrics: counted from the audit trail and the outbox, served only when enabled, behind a token when one is set. */
import { expect } from 'chai';

import { signIn, startGuestpass, useGuestpass } from '../support/guestpass.ts';

describe('metrics', () => {
  const token = 'metrics-token-for-tests-0123456789abcdef';

  const gp = useGuestpass({ store: 'memory', config: { metrics: { enabled: true, bearerToken: token } } });

  it('counts what the audit trail records and what the outbox delivers, with no address or id in any label', async () => {
    await signIn(gp, gp.smtp, 'counted@example.org');
    const response = await fetch(`${gp.issuer}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.contain('text/plain');
    const text = await response.text();
    expect(text).to.match(/guestpass_audit_events_total\{operation="VerificationCodeSent",result="success"\} 1/);
    expect(text).to.match(/guestpass_audit_events_total\{operation="SignedIn",result="success"\} 1/);
    expect(text).to.match(/guestpass_mail_deliveries_total\{outcome="sent"\} 1/);
    expect(text).to.match(/guestpass_http_request_duration_seconds_count\{method="POST",area="interaction",status="3xx"\} \d+/);
    expect(text).to.contain('guestpass_process_cpu_seconds_total');
    expect(text).to.not.contain('counted@example.org');
  });

  it('refuses /metrics without the configured token, and serves none when metrics are off', async () => {
    expect((await fetch(`${gp.issuer}/metrics`)).status).to.equal(401);
    expect((await fetch(`${gp.issuer}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
    const plain = await startGuestpass({ store: 'memory', smtp: gp.smtp });
    try {
      expect((await fetch(`${plain.issuer}/metrics`)).status).to.equal(404);
    } finally {
      await plain.close();
    }
  });
});
