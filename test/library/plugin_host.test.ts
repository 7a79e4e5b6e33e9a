/**
 * guestpass as a plugin (`guestpassPlugin`, src/plugin/) in an application with its own
 * Provider, adapter, keys, client and login — the arrangement of examples/plugin-host/, whose
 * plain-JS copy test:dist runs from the packed tarball. Here, with real Redis, HTTP and SMTP:
 * both logins work side by side, and neither kind of session opens the other's clients.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { expect } from 'chai';
import type { Context, Next } from 'koa';
import Provider, { type Configuration } from 'oidc-provider';

import { parseConfig } from '../../config/load.ts';
import { createLogger } from '../../src/log.ts';
import { guestpassPlugin, type GuestpassPlugin } from '../../src/plugin/index.ts';
import { Browser, findForm } from '../support/browser.ts';
import { deleteKeys, signIn, testKeys, type SignInTarget } from '../support/guestpass.ts';
import { testRedisUrl, uniqueKeyPrefix } from '../support/redis.ts';
import { freePort } from '../support/redis_server.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';

const files = { client_id: 'files', client_secret: 'files-secret-for-tests-only', redirect_uris: ['http://files.test/callback'], scope: 'openid email profile sharing' };
const intranet = { client_id: 'intranet', client_secret: 'intranet-secret-for-tests-only', redirect_uris: ['http://intranet.test/callback'] };

/** The host's own login, as examples/plugin-host/app.js has it (password checks left out: not what is tested). */
function hostLogin(provider: Provider) {
  return async (ctx: Context, next: Next) => {
    const match = /^\/login\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = `<form method="post" action="/login/${details.uid}"><input name="username"><button>Sign in</button></form>`;
      return;
    }
    let body = '';
    for await (const chunk of ctx.req) body += String(chunk);
    const username = new URLSearchParams(body).get('username') ?? '';
    const grant = new provider.Grant({ accountId: username, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: username }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
  };
}

describe('guestpass as a plugin in a host with its own Provider and login', () => {
  let smtp: SmtpCapture;
  let guestpass: GuestpassPlugin;
  let http: Server;
  let issuer: string;
  let filesRp: TestRelyingParty;
  let intranetRp: TestRelyingParty;
  const keyPrefix = uniqueKeyPrefix('plugin-host');

  const filesTarget = (): SignInTarget => ({ rp: filesRp, browser: (headers) => new Browser(issuer, headers) });

  /** The host's login as `username`, through the host's own page; returns the callback URL. */
  async function employeeSignIn(browser: Browser, username: string, parameters: Record<string, string> = {}) {
    const pending = await intranetRp.authorizationUrl({ scope: 'openid email profile', ...parameters });
    const page = await browser.get(pending.url);
    expect(new URL(page.url).pathname, 'the host\'s own page').to.match(/^\/login\//);
    const done = await browser.submit(page, new URL(page.url).pathname, { username });
    return { pending, done };
  }

  before(async () => {
    smtp = await new SmtpCapture().start();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    guestpass = await guestpassPlugin(parseConfig({ issuer, port, clients: [files], smtp: { url: smtp.url }, redis: { url: testRedisUrl(), keyPrefix }, outbox: { pollIntervalMs: 50 }, organization: { name: 'Fabrikam', logoUri: 'https://cdn.fabrikam.example/logo.png', accentColor: '#036' } }), {
      keys: await testKeys(),
      logger: createLogger('silent'),
    });
    const host: Configuration = {
      clients: [intranet],
      jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as never] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      claims: { email: ['email', 'email_verified'], profile: ['name'] },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/login/${interaction.uid}` },
      findAccount: async (_ctx, sub) => (sub === 'alice' ? { accountId: sub, claims: async () => ({ sub, email: 'alice@contoso.com', email_verified: true, name: 'Alice' }) } : undefined),
    };
    const provider = new Provider(issuer, guestpass.configure(host));
    await guestpass.mount(provider);
    provider.use(hostLogin(provider));
    http = provider.listen(port);
    await new Promise((resolve) => http.once('listening', resolve));
    guestpass.start();
    filesRp = await TestRelyingParty.discover(issuer, files.client_id, files.client_secret, files.redirect_uris[0]!);
    intranetRp = await TestRelyingParty.discover(issuer, intranet.client_id, intranet.client_secret, intranet.redirect_uris[0]!);
  });
  after(async () => {
    http?.closeAllConnections();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await guestpass?.close();
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });

  it('signs a link\'s recipient in with an emailed code, and an employee with the host\'s own login', async () => {
    const link = await guestpass.links.create({ clientId: 'files', admin: false }, { resource: 'files/q3.pdf', recipients: ['ada@example.org'] }, {});
    const { claims } = await signIn(filesTarget(), smtp, 'ada@example.org', { sharing_id: link.id });
    expect(claims).to.include({ email: 'ada@example.org', user_type: 'adhoc', sharing_id: link.id });
    expect(claims.amr).to.deep.equal(['otp']);

    const { pending, done } = await employeeSignIn(new Browser(issuer), 'alice');
    const tokens = await intranetRp.redeem(pending, done.leftTo!);
    expect(tokens.claims()).to.include({ sub: 'alice', email: 'alice@contoso.com' });
    expect(await intranetRp.userinfo(tokens.access_token, 'alice')).to.include({ name: 'Alice' });
  });

  it('sends nobody a code who is not on the link: the forwarded-link rule holds inside the host too', async () => {
    const link = await guestpass.links.create({ clientId: 'files', admin: false }, { resource: 'files/budget.xlsx', recipients: ['bea@example.org'] }, {});
    const browser = new Browser(issuer);
    const page = await browser.get((await filesRp.authorizationUrl({ sharing_id: link.id })).url);
    await browser.submit(page, '/email', { email: 'mallory@example.org' });
    await smtp.expectNoMail('mallory@example.org');
  });

  it('keeps the two kinds of session apart: a recipient is nobody at the intranet, an employee nobody on a link', async () => {
    const link = await guestpass.links.create({ clientId: 'files', admin: false }, { resource: 'files/plan.md', recipients: ['cleo@example.org'] }, {});
    const recipient = new Browser(issuer);
    await signIn(filesTarget(), smtp, 'cleo@example.org', { sharing_id: link.id }, recipient);
    const silent = await recipient.get((await intranetRp.authorizationUrl({ scope: 'openid', prompt: 'none' })).url);
    expect(new URL(silent.leftTo!).searchParams.get('error'), 'no silent sign-in to the intranet').to.equal('login_required');
    const asked = await recipient.get((await intranetRp.authorizationUrl({ scope: 'openid' })).url);
    expect(new URL(asked.url).pathname).to.match(/^\/login\//);

    const employee = new Browser(issuer);
    await employeeSignIn(employee, 'alice');
    const onLink = await employee.get((await filesRp.authorizationUrl({ sharing_id: link.id })).url);
    expect(new URL(onLink.url).pathname, 'guestpass asks for an address').to.match(/^\/interaction\//);
    expect(onLink.leftTo).to.equal(undefined);
  });

  it('does not let guestpass\'s pages take over an intranet sign-in, so no code signs anyone in to the intranet', async () => {
    const browser = new Browser(issuer);
    const pending = await intranetRp.authorizationUrl({ scope: 'openid' });
    const login = await browser.get(pending.url);
    const uid = new URL(login.url).pathname.split('/').at(-1)!;
    const hijack = await browser.get(`/interaction/${uid}`);
    expect(hijack.status, 'guestpass leaves it to the host, which has no such page').to.equal(404);
    expect(() => findForm(hijack.body, '/email')).to.throw();
  });

  it('brands guestpass\'s pages with the organisation\'s logo and colour, and leaves the host\'s alone', async () => {
    const page = await new Browser(issuer).get((await filesRp.authorizationUrl({})).url);
    expect(page.body).to.contain('<img src="https://cdn.fabrikam.example/logo.png" alt="" class="logo">').and.contain('href="/assets/branding.css?v=003366"');
    expect(page.headers.get('content-security-policy')).to.contain("img-src 'self' https://cdn.fabrikam.example;");
    const stylesheet = await fetch(`${issuer}/assets/branding.css?v=003366`);
    expect(stylesheet.status).to.equal(200);
    expect(await stylesheet.text()).to.contain('--accent: #003366;');
    const hostPage = await new Browser(issuer).get((await intranetRp.authorizationUrl({ scope: 'openid' })).url);
    expect(new URL(hostPage.url).pathname).to.match(/^\/login\//);
    expect(hostPage.headers.get('content-security-policy'), 'the host\'s own pages keep the host\'s headers').to.equal(null);
  });

  it('answers userinfo from guestpass for its people and from the host for its accounts', async () => {
    const link = await guestpass.links.create({ clientId: 'files', admin: false }, { resource: 'files/notes.txt', recipients: ['dana@example.org'] }, {});
    const { tokens, claims } = await signIn(filesTarget(), smtp, 'dana@example.org', { sharing_id: link.id });
    expect(await filesRp.userinfo(tokens.access_token, claims.sub)).to.include({ email: 'dana@example.org', user_type: 'adhoc' });
  });
});
