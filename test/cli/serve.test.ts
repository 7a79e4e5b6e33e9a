/**
 * The production start: `guestpass serve` (and `npm start`) as a child process with real Redis
 * and SMTP. It binds `HOST`, answers discovery, and on SIGTERM stops taking connections,
 * finishes the request in flight, sends the mail that request queued, and exits 0 — also when
 * the signal goes to `npm`, which once left the server running.
 */
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

import { deleteKeys, adminClient, testKeys } from '../support/guestpass.ts';
import { cliEnvironment, collect, repositoryRoot, startCli, waitForOutput, type CliResult } from '../support/cli.ts';
import { managementToken } from '../support/management.ts';
import { testRedisUrl, uniqueKeyPrefix } from '../support/redis.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

/** Whether anything accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('guestpass serve: the production start', () => {
  let smtp: SmtpCapture;
  const keyPrefix = uniqueKeyPrefix('serve');
  let configFile: string;

  before(async () => {
    smtp = await new SmtpCapture().start();
    const keys = await testKeys();
    configFile = join(mkdtempSync(join(tmpdir(), 'guestpass-serve-')), 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: join(tmpdir(), 'guestpass-serve-data'),
        clients: [adminClient],
        redis: { url: testRedisUrl(), keyPrefix },
        outbox: { pollIntervalMs: 60_000 },
        keys: { jwks: keys.jwks, cookies: keys.cookieKeys, secrets: keys.secrets },
      }),
    );
  });
  after(async () => {
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });

  it('binds HOST, answers discovery, and on SIGTERM finishes the request in flight and its mail, refuses new connections, and exits 0', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const child = startCli(['serve'], cliEnvironment({ CONFIG_FILE: configFile, PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer, SMTP_URL: smtp.url }));
    const exited = collect(child);
    try {
      const banner = await waitForOutput(child.stdout!, /guestpass is listening/);
      expect(banner).to.contain(`guestpass is listening on ${issuer} (bound to 127.0.0.1:${port})`);
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).to.equal(issuer);
      expect(await (await fetch(`${issuer}/readyz`)).json()).to.deep.include({ status: 'ready', store: 'redis', mail: { state: 'ok' } });

      // A request in flight: its headers are in (the server said 100 Continue), its body is not.
      const token = await managementToken(issuer, adminClient, 'directory:write');
      const body = JSON.stringify({ email: 'inflight@example.org', sendInvitationMail: true });
      const inFlight = request(`${issuer}/api/v1/invitations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      });
      const answered = new Promise<IncomingMessage>((resolve, reject) => inFlight.once('response', resolve).once('error', reject));
      await new Promise<void>((resolve) => {
        inFlight.once('continue', resolve);
        inFlight.flushHeaders();
      });

      child.kill('SIGTERM');
      await waitForOutput(child.stdout!, /shutting down/);
      expect(await accepts('127.0.0.1', port), 'no new connection once shutting down').to.equal(false);

      inFlight.end(body);
      const response = await answered;
      let text = '';
      for await (const chunk of response) text += String(chunk);
      expect(response.statusCode, text).to.equal(201);
      expect(response.headers.connection).to.equal('close');

      const result: CliResult = await exited;
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/"clean":true,"msg":"stopped"/);
      // The worker polls once a minute here: the mail left because the shutdown drained the outbox.
      expect(smtp.mailsTo('inflight@example.org'), 'the invitation the request queued was sent before exit').to.have.length(1);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stops when SIGTERM goes to `npm start`, not just to the server', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: repositoryRoot,
      env: cliEnvironment({ CONFIG_FILE: configFile, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, SMTP_URL: smtp.url, npm_config_update_notifier: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = collect(npm);
    try {
      await waitForOutput(npm.stdout!, /guestpass is listening/);
      expect(await accepts('127.0.0.1', port)).to.equal(true);
      npm.kill('SIGTERM');
      const result = await exited;
      expect(result.stdout).to.match(/"clean":true,"msg":"stopped"/);
      expect(await accepts('127.0.0.1', port), 'the server went with npm').to.equal(false);
    } finally {
      npm.kill('SIGKILL');
    }
  });

  it('stops with exit code 1 and the reason when the port is taken', async () => {
    const port = await freePort();
    const first = startCli(['serve'], cliEnvironment({ CONFIG_FILE: configFile, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, SMTP_URL: smtp.url }));
    const firstExited = collect(first);
    try {
      await waitForOutput(first.stdout!, /guestpass is listening/);
      const second = await collect(startCli(['serve'], cliEnvironment({ CONFIG_FILE: configFile, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}`, SMTP_URL: smtp.url })));
      expect(second.status).to.equal(1);
      expect(second.stderr).to.contain(`guestpass: cannot listen on 127.0.0.1 port ${port} (EADDRINUSE); set PORT or HOST`);
    } finally {
      first.kill('SIGTERM');
      expect((await firstExited).status).to.equal(0);
    }
  });
});
