/**
 * A federation entry whose provider's discovery document states another issuer (another host,
 * another path) is refused: a log line names the entry and both issuers, /readyz fails naming
 * it, and it serves no one — its people, like everyone else, sign in with an email code.
 * Checked at start-up when the provider answers then, otherwise on first discovery.
 */
import { expect } from 'chai';

import { rpClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { capturingLogger, logLevels } from '../support/log_capture.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('a federation entry whose issuer the provider contradicts', () => {
  let smtp: SmtpCapture;
  let hostProvider: RunningWorkProvider;
  let pathProvider: RunningWorkProvider;
  let late: RunningWorkProvider | undefined;
  let gp: TestGuestpass;
  let lateGp: TestGuestpass;
  const log = capturingLogger();
  const lateLog = capturingLogger();
  const entry = (id: string, issuer: string, domain: string) => ({ id, name: `${id} work account`, issuer, clientId: 'guestpass', clientSecret: `secret-of-${id}`, domains: [domain] });
  let latePort: number;

  before(async () => {
    smtp = await new SmtpCapture().start();
    hostProvider = await startWorkProvider({ clientId: 'guestpass', clientSecret: 'secret-of-wrong-host', redirectUris: [] });
    pathProvider = await startWorkProvider({ clientId: 'guestpass', clientSecret: 'secret-of-wrong-path', redirectUris: [], issuerPath: '/realms/partner', alsoServeUnder: '/realms/legacy' });
    const hostPort = new URL(hostProvider.issuer).port;
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      deps: { logger: log.logger },
      config: {
        clients: [rpClient],
        federation: [
          // The provider calls itself http://localhost:<port>; an address of the same machine is another issuer.
          entry('wrong-host', `http://127.0.0.1:${hostPort}`, 'host.example'),
          // Answered at /realms/legacy, but the document there states /realms/partner.
          entry('wrong-path', `http://localhost:${new URL(pathProvider.issuer).port}/realms/legacy`, 'path.example'),
        ],
      },
    });
    latePort = await freePort();
    lateGp = await startGuestpass({ store: 'redis', smtp, deps: { logger: lateLog.logger }, config: { clients: [rpClient], federation: [entry('late', `http://127.0.0.1:${latePort}`, 'late.example')] } });
  });
  after(async () => {
    await gp?.close();
    await lateGp?.close();
    await hostProvider?.stop();
    await pathProvider?.stop();
    await late?.stop();
    await smtp?.stop();
  });

  it('refuses the entry at start-up, logging the entry and both issuers, and fails /readyz naming it', async () => {
    await gp.server.federation.checkProviders();
    const refusals = log.lines.filter((line) => line.level === logLevels.error && /is refused/.test(line.msg));
    expect(refusals.map((line) => line.provider).sort()).to.deep.equal(['wrong-host', 'wrong-path']);
    const hostLine = refusals.find((line) => line.provider === 'wrong-host')!;
    expect(hostLine.msg).to.contain('federation entry "wrong-host"').and.contain(`http://127.0.0.1:${new URL(hostProvider.issuer).port}`).and.contain(hostProvider.issuer);
    expect(hostLine).to.include({ configuredIssuer: `http://127.0.0.1:${new URL(hostProvider.issuer).port}`, discoveredIssuer: hostProvider.issuer });
    const pathLine = refusals.find((line) => line.provider === 'wrong-path')!;
    expect(pathLine.msg).to.contain('/realms/legacy').and.contain(pathProvider.issuer);

    const ready = await get(`${gp.issuer}/readyz`);
    expect(ready.status).to.equal(503);
    expect(ready.body).to.include({ status: 'unavailable', error: 'federation_misconfigured' });
    expect(ready.body.error_description as string).to.contain('"wrong-host"').and.contain('"wrong-path"');
    const federation = (ready.body as { federation: { id: string }[] }).federation;
    expect([...federation].sort((a, b) => a.id.localeCompare(b.id))).to.deep.equal([
      { id: 'wrong-host', problem: 'issuer_mismatch' },
      { id: 'wrong-path', problem: 'issuer_mismatch' },
    ]);
    // Probes are often reachable from outside: the issuers (perhaps internal addresses) stay in the log.
    expect(JSON.stringify(ready.body)).to.not.contain('127.0.0.1').and.not.contain('/realms/');
    expect((await get(`${gp.issuer}/healthz`)).status, 'alive all the same').to.equal(200);
  });

  it('signs everyone in with an email code meanwhile, the refused entry’s people included', async () => {
    await gp.server.federation.checkProviders();
    const someone = await signIn(gp, smtp, 'ann@example.org');
    expect(someone.claims).to.include({ email: 'ann@example.org', user_type: 'adhoc' });
    // No upgrade is offered or attempted towards a refused provider: straight back to the relying party.
    const hal = await signIn(gp, smtp, 'hal@host.example');
    expect(hal.claims).to.include({ email: 'hal@host.example', user_type: 'adhoc' });
    expect(hal.claims.amr).to.deep.equal(['otp']);
  });

  it('refuses the entry on first discovery when the provider could not be reached at start-up', async () => {
    await lateGp.server.federation.checkProviders();
    const unreachable = lateLog.lines.find((line) => line.level === logLevels.warn && line.provider === 'late');
    expect(unreachable?.msg).to.contain('cannot be reached');
    expect((await get(`${lateGp.issuer}/readyz`)).status, 'an unreachable provider is not a configuration mistake').to.equal(200);

    late = await startWorkProvider({ clientId: 'guestpass', clientSecret: 'secret-of-late', redirectUris: [], port: latePort });
    // The sign-in page's first render discovers the provider (for its form-action policy), so the
    // refusal comes before the code, and Lia simply signs in with it.
    const lia = await signIn(lateGp, smtp, 'lia@late.example');
    expect(lia.claims).to.include({ user_type: 'adhoc' });
    expect(lia.claims.amr).to.deep.equal(['otp']);
    expect(lateLog.lines.some((line) => line.level === logLevels.error && line.provider === 'late' && /is refused/.test(line.msg))).to.equal(true);
    const ready = await get(`${lateGp.issuer}/readyz`);
    expect(ready.status).to.equal(503);
    expect(ready.body.federation).to.deep.equal([{ id: 'late', problem: 'issuer_mismatch' }]);
  });
});
