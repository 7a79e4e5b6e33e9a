/**
 * A real LemonLDAP::NG (Perl, from Debian's packages) as the work-account provider: its portal as
 * a PSGI app under plackup on a loopback port, with a file configuration in a temporary folder,
 * the Demo user backend (dwho, rtyler, msmith; the password is the login) and its OpenID Connect
 * issuer, configured the way docs/federation.md tells an operator to. Nothing is mocked: guestpass
 * discovers it, sends people to its login form and redeems its codes over HTTP.
 *
 * Needs the packages `.ci/run` installs when missing (liblemonldap-ng-portal-perl and the few
 * modules its portal loads without a web server); `lemonldapMissing()` names what is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, PageResponse } from './browser.ts';
import { freePort } from './redis_server.ts';

const packagedConfiguration = '/var/lib/lemonldap-ng/conf/lmConf-1.json';
const portalModule = '/usr/share/perl5/Lemonldap/NG/Portal/Main.pm';

/** What this machine lacks to run the provider, or undefined when it has everything. */
export function lemonldapMissing(): string | undefined {
  for (const path of [portalModule, packagedConfiguration, '/usr/bin/plackup']) {
    if (!existsSync(path)) return path;
  }
  return undefined;
}

export interface LemonLdapOptions {
  /** The relying party's redirect URIs (guestpass's `<ISSUER>/federation/<id>/callback`). */
  redirectUris: string[];
  clientSecret: string;
  /** The relying party's authentication method at the token endpoint; undefined: any. */
  authMethod?: 'client_secret_post' | 'client_secret_basic';
  /** Leave the issuer unset, so LemonLDAP::NG states the portal URL (with its trailing slash). */
  defaultIssuer?: boolean;
}

export interface RunningLemonLdap {
  /** The issuer as the provider's discovery document states it. */
  issuer: string;
  /** The portal's origin (the issuer without a trailing slash). */
  origin: string;
  stop(): Promise<void>;
}

export async function startLemonLdap(options: LemonLdapOptions): Promise<RunningLemonLdap> {
  const missing = lemonldapMissing();
  if (missing) throw new Error(`LemonLDAP::NG is not installed here (no ${missing}); .ci/run installs it`);
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-llng-'));
  for (const sub of ['conf', 'sessions/lock', 'psessions/lock', 'cache']) mkdirSync(join(dir, sub), { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const base = JSON.parse(readFileSync(packagedConfiguration, 'utf8')) as Record<string, unknown>;
  const configuration = {
    ...base,
    cfgNum: 1,
    portal: `${origin}/`,
    domain: 'localhost',
    globalStorageOptions: { Directory: join(dir, 'sessions'), LockDirectory: join(dir, 'sessions/lock'), generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256' },
    persistentStorageOptions: { Directory: join(dir, 'psessions'), LockDirectory: join(dir, 'psessions/lock') },
    issuerDBOpenIDConnectActivation: 1,
    ...(options.defaultIssuer ? {} : { oidcServiceMetaDataIssuer: origin }),
    oidcServicePrivateKeySig: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    oidcServicePublicKeySig: publicKey.export({ type: 'spki', format: 'pem' }),
    oidcServiceKeyIdSig: 'guestpass-interop',
    // The relying party exactly as docs/federation.md describes it.
    oidcRPMetaDataOptions: {
      guestpass: {
        oidcRPMetaDataOptionsClientID: 'guestpass',
        oidcRPMetaDataOptionsClientSecret: options.clientSecret,
        oidcRPMetaDataOptionsPublic: 0,
        oidcRPMetaDataOptionsRedirectUris: options.redirectUris.join(' '),
        oidcRPMetaDataOptionsRequirePKCE: 1,
        ...(options.authMethod ? { oidcRPMetaDataOptionsAuthMethod: options.authMethod } : {}),
        oidcRPMetaDataOptionsUserIDAttr: 'uid',
        oidcRPMetaDataOptionsBypassConsent: 1,
        oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
      },
    },
    oidcRPMetaDataMacros: { guestpass: { emailVerified: '1' } },
    oidcRPMetaDataExportedVars: { guestpass: { email: 'mail', email_verified: 'emailVerified;bool', name: 'cn' } },
    oidcRPMetaDataOptionsExtraClaims: { guestpass: {} },
  };
  writeFileSync(join(dir, 'conf/lmConf-1.json'), JSON.stringify(configuration, null, 2));
  writeFileSync(
    join(dir, 'lemonldap-ng.ini'),
    [
      '[all]',
      'logLevel = warn',
      'logger = Lemonldap::NG::Common::Logger::Std',
      '[configuration]',
      'type = File',
      `dirName = ${join(dir, 'conf')}`,
      'localStorage = Cache::FileCache',
      `localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'cache_root' => '${join(dir, 'cache')}', 'cache_depth' => 3 }`,
      '[portal]',
      'staticPrefix = /static',
      'templateDir = /usr/share/lemonldap-ng/portal/templates',
      'languages = en',
      '',
    ].join('\n'),
  );
  // The portal as a plain PSGI app with its static files: no nginx or Apache needed.
  writeFileSync(
    join(dir, 'portal.psgi'),
    [
      'use Plack::Builder;',
      'use Lemonldap::NG::Portal::Main;',
      'my $app = Lemonldap::NG::Portal::Main->run({});',
      "builder { enable 'Static', path => qr{^/static/}, root => '/usr/share/lemonldap-ng/portal/htdocs/'; $app; };",
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('plackup', ['-s', 'HTTP::Server::PSGI', '--host', '127.0.0.1', '--port', String(port), join(dir, 'portal.psgi')], {
    env: { ...process.env, LLNG_DEFAULTCONFFILE: join(dir, 'lemonldap-ng.ini') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = `${stderr}${String(chunk)}`.slice(-4000)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const issuer = await discovered(origin, child, () => stderr);
    return { issuer, origin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function discovered(origin: string, child: ChildProcess, stderr: () => string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`LemonLDAP::NG exited (${child.exitCode}):\n${stderr()}`);
    try {
      const response = await fetch(`${origin}/.well-known/openid-configuration`);
      if (response.ok) return ((await response.json()) as { issuer: string }).issuer;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`LemonLDAP::NG did not answer discovery within 30 s:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Logs in at LemonLDAP::NG's portal form from the page the browser landed on there (its
 * authorization endpoint), as a person would: the form's hidden fields, the login and password.
 * Returns where the browser ends up (back at guestpass, and beyond).
 */
export async function signInAtLemonLdap(browser: Browser, page: PageResponse, login: string, password = login): Promise<PageResponse> {
  const field = (name: string) => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(page.body)?.[1] ?? '';
  if (!/name="user"/.test(page.body)) throw new Error(`not at the LemonLDAP::NG login form: ${page.url}\n${page.body.slice(0, 500)}`);
  return browser.post(page.url, { user: login, password, token: field('token'), url: field('url'), skin: 'bootstrap' });
}
