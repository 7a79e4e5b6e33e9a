/**
 * `/metrics` counts codes sent apart from codes withheld, so on the public listener it is an
 * enumeration oracle (ASVS 5.0 13.4.5: monitoring endpoints are not exposed unless intended). In
 * production it needs its bearer token or a listener of its own; that listener serves nothing else.
 */
import { expect } from 'chai';

import { parseConfig } from '../../config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { randomSecret } from '../../src/keys.ts';
import { signIn, startGuestpass } from '../support/guestpass.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

const productionKeys = {
  jwks: { keys: [{ kty: 'RSA' }] },
  cookies: [randomSecret()],
  secrets: [randomSecret()],
};

describe('security: metrics are not an enumeration oracle (ASVS 5.0 13.4.5)', () => {
  it('refuses to start in production with open /metrics on the main listener, naming the field and the fix', () => {
    const production = { production: true, issuer: 'https://id.contoso.com', keys: productionKeys, redis: { url: 'redis://cache:6379' }, smtp: { url: 'smtp://mail:25' } };
    const open = () => parseConfig({ ...production, metrics: { enabled: true } });
    expect(open).to.throw(ConfigError, /metrics\.bearerToken: required in production unless metrics\.port/);
    expect(() => parseConfig({ ...production, metrics: { enabled: true, bearerToken: randomSecret() } })).to.not.throw();
    expect(() => parseConfig({ ...production, metrics: { enabled: true, port: 9464 } })).to.not.throw();
  });

  it('serves /metrics only on its own listener when metrics.port is set, and not on the main one', async () => {
    const smtp = await new SmtpCapture().start();
    const port = await freePort();
    const gp = await startGuestpass({ store: 'memory', smtp, config: { metrics: { enabled: true, port, host: '127.0.0.1' } } });
    try {
      await signIn(gp, smtp, 'metered@example.org');
      expect((await fetch(`${gp.issuer}/metrics`)).status).to.equal(404);
      const internal = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(internal.status).to.equal(200);
      expect(await internal.text()).to.match(/guestpass_audit_events_total\{operation="VerificationCodeSent",result="success"\} 1/);
      // The metrics listener is no way into the provider.
      expect((await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).status).to.equal(404);
    } finally {
      await gp.close();
      await smtp.stop();
    }
  });
});
