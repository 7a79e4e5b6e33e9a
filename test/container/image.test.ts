/**
 * The Containerfile, built and run (`npm run test:container`): the packed package installed
 * with --omit=dev into a build context, on a base made from this machine's node (the
 * Containerfile's BASE; no registry is reachable here). The container runs in production mode
 * with its keys from NAME_FILE secrets, reaches the test Redis and SMTP on the host network,
 * answers discovery as user 1000, and `podman stop` (SIGTERM to node, PID 1) ends it with 0.
 *
 * Needs podman (`bash .ci/run` installs it). GUESTPASS_SKIP_CONTAINER_TESTS=1 skips it, saying so.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

import { repositoryRoot } from '../support/cli.ts';
import { nodeBaseImage, podman, podmanAvailable, podmanLogs } from '../support/podman.ts';
import { deleteKeys } from '../support/guestpass.ts';
import { testRedisUrl, uniqueKeyPrefix } from '../support/redis.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';

const run = promisify(execFile);
const skip = process.env.GUESTPASS_SKIP_CONTAINER_TESTS === '1';

(skip ? describe.skip : describe)(`the container image${skip ? ' (skipped: GUESTPASS_SKIP_CONTAINER_TESTS=1)' : ''}`, () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const image = `localhost/guestpass-test:${suffix}`;
  const container = `guestpass-test-${suffix}`;
  const keyPrefix = uniqueKeyPrefix('container');
  let staging: string;
  let smtp: SmtpCapture;
  let port: number;
  const secretNames = ['jwks.json', 'cookies', 'secrets'];

  before(async () => {
    if (!(await podmanAvailable())) throw new Error('podman is not installed (bash .ci/run installs it; GUESTPASS_SKIP_CONTAINER_TESTS=1 skips this suite)');
    staging = mkdtempSync(join(tmpdir(), 'guestpass-image-'));
    smtp = await new SmtpCapture().start();
    const pack = await run('npm', ['pack', '--json', '--pack-destination', staging], { cwd: repositoryRoot, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });
    const tarball = (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename;

    // The build context, as docs/operations.md has an operator make it.
    const context = join(staging, 'context');
    mkdirSync(context);
    writeFileSync(join(context, 'package.json'), `${JSON.stringify({ name: 'guestpass-image', private: true, dependencies: { guestpass: `file:../${tarball}` } }, null, 2)}\n`);
    await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: context, env: { ...process.env, npm_config_update_notifier: 'false' } });
    copyFileSync(join(repositoryRoot, 'Containerfile'), join(context, 'Containerfile'));

    const base = await nodeBaseImage();
    await podman(['build', '--quiet', '--build-arg', `BASE=${base}`, '--tag', image, context]);

    // Secrets as a container platform hands them over (podman secrets, readable by the
    // container's user only), made by the installed CLI itself.
    const secrets = join(staging, 'secrets');
    await run(process.execPath, [join(context, 'node_modules/guestpass/dist/src/cli/main.js'), 'keys', 'generate', '--out-dir', secrets]);
    for (const name of secretNames) await podman(['secret', 'create', `${container}-${name}`, join(secrets, name)]);
    const config = join(staging, 'config.json');
    writeFileSync(config, JSON.stringify({ redis: { url: testRedisUrl(), keyPrefix }, outbox: { pollIntervalMs: 100 } }));
    port = await freePort();
    await podman([
      'run',
      '--detach',
      '--name',
      container,
      // The test Redis and SMTP listen on this machine's loopback.
      '--network=host',
      ...secretNames.flatMap((name) => ['--secret', `${container}-${name},type=mount,target=/run/secrets/${name},uid=1000,gid=1000,mode=0400`]),
      '--volume',
      `${config}:/etc/guestpass/config.json:ro`,
      '--env',
      'CONFIG_FILE=/etc/guestpass/config.json',
      '--env',
      'KEYS_JWKS_FILE=/run/secrets/jwks.json',
      '--env',
      'KEYS_COOKIES_FILE=/run/secrets/cookies',
      '--env',
      'KEYS_SECRETS_FILE=/run/secrets/secrets',
      '--env',
      `SMTP_URL=${smtp.url}`,
      '--env',
      'ISSUER=https://id.contoso.test',
      '--env',
      'HOST=127.0.0.1',
      '--env',
      `PORT=${port}`,
      image,
    ]);
  });

  after(async () => {
    await podman(['rm', '--force', container]).catch(() => undefined);
    for (const name of secretNames) await podman(['secret', 'rm', `${container}-${name}`]).catch(() => undefined);
    await podman(['rmi', '--force', image]).catch(() => undefined);
    await smtp?.stop();
    await deleteKeys(keyPrefix);
    if (staging) rmSync(staging, { recursive: true, force: true });
  });

  it('serves discovery in production mode, as user 1000, with its keys from NAME_FILE secrets', async () => {
    const deadline = Date.now() + 30_000;
    let discovery: { issuer?: string } | undefined;
    while (!discovery) {
      discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).then(
        (response) => response.json() as Promise<{ issuer: string }>,
        () => undefined,
      );
      if (!discovery && Date.now() > deadline) throw new Error(`the container did not answer:\n${await podmanLogs(container)}`);
      if (!discovery) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(discovery.issuer).to.equal('https://id.contoso.test');
    const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as Record<string, unknown>;
    expect(ready).to.deep.include({ status: 'ready', store: 'redis', mail: { state: 'ok' } });
    expect(await podman(['inspect', '--format', '{{.Config.User}}', container])).to.equal('1000:1000');
    expect(await podman(['exec', container, 'node', '-e', 'process.stdout.write(String(process.getuid()))'])).to.equal('1000');
  });

  it('stops on SIGTERM (podman stop) after draining, with exit code 0', async () => {
    await podman(['stop', '--time', '20', container]);
    expect(await podman(['inspect', '--format', '{{.State.ExitCode}}', container])).to.equal('0');
    const logs = await podmanLogs(container);
    expect(logs).to.match(/"signal":"SIGTERM"/).and.match(/"clean":true,"msg":"stopped"/);
    expect(readFileSync(join(repositoryRoot, 'Containerfile'), 'utf8')).to.contain('ENTRYPOINT ["node"');
  });
});
