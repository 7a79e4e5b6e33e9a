/**
 * The package as users receive it (`npm run test:dist`, not part of `npm test`): packed with
 * `npm pack` (which builds), installed with `--omit=dev` into an empty project where nothing of
 * this repository is on the resolution path, then used the ways the README promises — plain
 * `node` imports, TypeScript against the published declarations, `npx guestpass`, and the
 * plain-JS plugin example run from the installed package.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

import { Browser } from '../support/browser.ts';
import { collect, repositoryRoot, waitForOutput, withoutRuntimeWarning } from '../support/cli.ts';
import { freePort } from '../support/redis_server.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

const run = promisify(execFile);

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

/** An environment without this repository's tools: what a user's shell has. */
function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

describe('the packed package, installed with --omit=dev into an empty project', () => {
  let staging: string;
  let consumer: string;
  let packed: PackResult;

  before(async () => {
    staging = mkdtempSync(join(tmpdir(), 'guestpass-dist-'));
    const pack = await run('npm', ['pack', '--json', '--pack-destination', staging], { cwd: repositoryRoot, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });
    packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;
    consumer = join(staging, 'consumer');
    cpSync(join(repositoryRoot, 'examples/plugin-host'), join(consumer, 'examples/plugin-host'), { recursive: true });
    // The host of the plugin example runs its own oidc-provider (and a TS host has its types).
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const own = { 'oidc-provider': manifest.dependencies['oidc-provider']!, '@types/oidc-provider': manifest.dependencies['@types/oidc-provider']! };
    writeFileSync(join(consumer, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: own }, null, 2)}\n`);
    // Nested: guestpass finds only what it declares, never a package hoisted for someone else.
    await run('npm', ['install', '--install-strategy=nested', '--omit=dev', '--no-audit', '--no-fund', join(staging, packed.filename)], { cwd: consumer, env: userEnvironment() });
  });
  after(() => {
    if (staging) rmSync(staging, { recursive: true, force: true });
  });

  it('ships only the built package, its page assets, README and LICENSE', () => {
    const paths = packed.files.map((file) => file.path);
    console.log(`      ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked`);
    expect(paths.filter((path) => !path.startsWith('dist/'))).to.have.members(['package.json', 'README.md', 'LICENSE']);
    expect(paths).to.include.members([
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/plugin/index.js',
      'dist/src/plugin/index.d.ts',
      'dist/src/cli/main.js',
      'dist/interactions/views/assets/guestpass.css',
      'dist/interactions/views/assets/guestpass.js',
      'dist/interactions/admin/assets/admin.css',
      'dist/interactions/admin/assets/admin.js',
    ]);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')), 'no TypeScript sources').to.deep.equal([]);
    expect(paths.filter((path) => /(^|\/)(test|bench|\.ci|screenshots|examples)\//.test(path))).to.deep.equal([]);
  });

  it('imports with plain node: both entry points, and every published module with only the declared dependencies', async () => {
    writeFileSync(
      join(consumer, 'import-all.mjs'),
      `import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const main = await import('guestpass');
const plugin = await import('guestpass/plugin');
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    // Not the two entry points (they start things) nor the pages' browser scripts.
    else if (path.endsWith('.js') && !/(cli\\/main|src\\/main|assets\\/(guestpass|admin))\\.js$/.test(path)) files.push(path);
  }
})('node_modules/guestpass/dist');
for (const file of files) await import(pathToFileURL(file).href);
console.log(JSON.stringify({ main: Object.keys(main).sort(), plugin: Object.keys(plugin).sort(), modules: files.length }));
`,
    );
    const { stdout } = await run(process.execPath, ['import-all.mjs'], { cwd: consumer, env: userEnvironment() });
    const imported = JSON.parse(stdout) as { main: string[]; plugin: string[]; modules: number };
    expect(imported.main).to.include.members(['createServer', 'createGuestpass', 'parseConfig', 'loadConfig', 'MemoryStore', 'createRedisStore']);
    expect(imported.plugin).to.include.members(['guestpassPlugin', 'parseConfig']);
    expect(imported.modules).to.be.greaterThan(50);
  });

  it('type-checks a TypeScript consumer against the published declarations', async () => {
    writeFileSync(
      join(consumer, 'consumer.ts'),
      `import Provider from 'oidc-provider';
import { createServer, parseConfig, type Config, type GuestpassServer } from 'guestpass';
import { guestpassPlugin, type GuestpassPlugin } from 'guestpass/plugin';

const config: Config = parseConfig({ logLevel: 'silent' });
const server: GuestpassServer = await createServer(config);
const { port } = await server.listen(0, '127.0.0.1');
// @ts-expect-error a port is a number
await server.listen('3000');
const plugin: GuestpassPlugin = await guestpassPlugin(config);
const provider = new Provider(config.issuer, plugin.configure({ features: { devInteractions: { enabled: false } } }));
await plugin.mount(provider);
// @ts-expect-error the issuer is a string
const wrong: number = config.issuer;
export { port, wrong };
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(repositoryRoot, 'node_modules/@types')] },
        files: ['consumer.ts'],
      }),
    );
    // The repository's tsc, as the consumer's own devDependency would be; @types/node likewise.
    const checked = await run(process.execPath, [join(repositoryRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: consumer }).catch((error: { stdout: string }) => error);
    expect(checked.stdout).to.equal('');
  });

  it('runs `npx guestpass --help`, and `npx guestpass serve` answers discovery and serves the page assets', async () => {
    const help = await run('npx', ['guestpass', '--help'], { cwd: consumer, env: userEnvironment() });
    expect(help.stdout).to.contain('Usage: guestpass').and.contain('serve');

    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    // Its own process group, as in a terminal: Ctrl-C (SIGINT) reaches npx and guestpass alike.
    const serve = spawn('npx', ['guestpass', 'serve'], { cwd: consumer, env: userEnvironment({ PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer }), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = collect(serve, 60_000);
    try {
      await waitForOutput(serve.stdout!, /guestpass is listening/);
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
      expect(discovery.issuer).to.equal(issuer);
      const css = await fetch(`${issuer}/assets/guestpass.css`);
      expect(css.status).to.equal(200);
      expect(await css.text()).to.equal(readFileSync(join(repositoryRoot, 'interactions/views/assets/guestpass.css'), 'utf8'));
      const consoleCss = await fetch(`${issuer}/admin/assets/admin.css`);
      expect(await consoleCss.text()).to.equal(readFileSync(join(repositoryRoot, 'interactions/admin/assets/admin.css'), 'utf8'));
    } finally {
      process.kill(-serve.pid!, 'SIGINT');
    }
    const result = await exited;
    expect(withoutRuntimeWarning(result.stderr)).to.not.match(/Error/);
  });

  it('starts with `npm start` in a built checkout after `npm ci --omit=dev`, where there is no tsx', async () => {
    // A built checkout, as a deployment unpacks one: the packed files and the lockfile.
    const checkout = join(staging, 'checkout');
    await run('tar', ['-xzf', join(staging, packed.filename), '-C', staging]);
    cpSync(join(staging, 'package'), checkout, { recursive: true });
    cpSync(join(repositoryRoot, 'package-lock.json'), join(checkout, 'package-lock.json'));
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: checkout, env: userEnvironment() });
    expect(existsSync(join(checkout, 'node_modules/.bin/tsx')), 'no dev dependencies').to.equal(false);
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const start = spawn('npm', ['start'], { cwd: checkout, env: userEnvironment({ PORT: String(port), HOST: '127.0.0.1', ISSUER: issuer }), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = collect(start, 60_000);
    try {
      await waitForOutput(start.stdout!, /guestpass is listening/);
      expect(((await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string }).issuer).to.equal(issuer);
    } finally {
      start.kill('SIGTERM');
    }
    const result = await exited;
    expect(result.stdout).to.match(/"clean":true,"msg":"stopped"/);
  });

  it('runs the plain-JS plugin example: a recipient signs in with a code, an employee with the host\'s own login', async () => {
    const smtp = await new SmtpCapture().start();
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const host = spawn(process.execPath, ['examples/plugin-host/main.js'], {
      cwd: consumer,
      env: userEnvironment({ PORT: String(port), SMTP_URL: smtp.url, SHARE_WITH: 'ada@example.org', FILES_REDIRECT_URI: 'http://files.test/callback', INTRANET_REDIRECT_URI: 'http://intranet.test/callback' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = collect(host, 60_000);
    try {
      const started = await waitForOutput(host.stdout!, /sharing_id=\S+/);
      const sharingId = /sharing_id=(\S+)/.exec(started)![1]!;

      const files = await TestRelyingParty.discover(issuer, 'files', 'files-secret-of-the-example', 'http://files.test/callback');
      const recipient = new Browser(issuer);
      const pending = await files.authorizationUrl({ sharing_id: sharingId });
      const emailPage = await recipient.get(pending.url);
      const codePage = await recipient.submit(emailPage, '/email', { email: 'ada@example.org' });
      const back = await recipient.submit(codePage, '/code', { code: codeFrom(await smtp.waitForMail('ada@example.org')) });
      const claims = (await files.redeem(pending, back.leftTo!)).claims()!;
      expect(claims).to.include({ email: 'ada@example.org', user_type: 'adhoc', sharing_id: sharingId });

      const intranet = await TestRelyingParty.discover(issuer, 'intranet', 'intranet-secret-of-the-example', 'http://intranet.test/callback');
      const employee = new Browser(issuer);
      const login = await intranet.authorizationUrl({ scope: 'openid email profile' });
      const loginPage = await employee.get(login.url);
      expect(new URL(loginPage.url).pathname).to.match(/^\/login\//);
      const signedIn = await employee.submit(loginPage, new URL(loginPage.url).pathname, { username: 'alice', password: 'correct horse battery staple' });
      expect((await intranet.redeem(login, signedIn.leftTo!)).claims()).to.include({ sub: 'alice', email: 'alice@contoso.com' });
    } finally {
      host.kill('SIGTERM');
      await exited;
      await smtp.stop();
    }
  });
});
