/**
 * An application that runs its own OpenID Provider — its own employees, its own client, its own
 * login page — and adds guestpass for the people outside it (plain JavaScript, to copy from).
 *
 * - The intranet client (`intranet`) signs employees in with the host's own password page at
 *   `/login/<uid>`, and its own `findAccount`.
 * - The file-sharing client (`files`) is guestpass's: its sign-ins go to guestpass's pages at
 *   `/interaction/<uid>`, where the recipients of a secure link prove their address with an
 *   emailed code, and its ID tokens carry `user_type` and `sharing_id`.
 * - A recipient signed in through guestpass is nobody at the intranet (it asks for a password),
 *   and an employee's session is nobody on a secure link (it asks for a code).
 *
 * The host owns the Provider, its keys and its adapter (here oidc-provider's in-memory one);
 * guestpass brings its own store for people, links and codes (Redis when `redisUrl` is given).
 */
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';

import Provider from 'oidc-provider';
import { guestpassPlugin, parseConfig } from 'guestpass/plugin';

/** The host's own accounts. A real application has a database; the shape is what matters. */
const employees = new Map([['alice', { password: 'correct horse battery staple', email: 'alice@contoso.com', name: 'Alice Archer' }]]);

/**
 * Starts the host on `port`. `clients` are the host's own clients and guestpass's, so a test can
 * say where they return to.
 */
export async function startPluginHost({ port, issuer = `http://localhost:${port}`, smtpUrl, redisUrl, dataDir = 'var/plugin-host', intranetRedirectUri, filesRedirectUri }) {
  const guestpass = await guestpassPlugin(
    parseConfig({
      issuer,
      port,
      dataDir,
      logLevel: process.env.LOG_LEVEL ?? 'warn',
      organization: { name: 'Contoso', domains: ['contoso.com'] },
      clients: [
        {
          client_id: 'files',
          client_secret: 'files-secret-of-the-example',
          client_name: 'Contoso Files',
          redirect_uris: [filesRedirectUri],
          scope: 'openid email profile sharing',
        },
      ],
      ...(smtpUrl ? { smtp: { url: smtpUrl } } : {}),
      ...(redisUrl ? { redis: { url: redisUrl, keyPrefix: 'plugin-host:' } } : {}),
    }),
  );

  const configuration = guestpass.configure({
    clients: [
      {
        client_id: 'intranet',
        client_secret: 'intranet-secret-of-the-example',
        client_name: 'Contoso Intranet',
        redirect_uris: [intranetRedirectUri],
      },
    ],
    jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    // The host's own login lives at its own address; guestpass's pages are at /interaction/<uid>.
    interactions: { url: (_ctx, interaction) => `/login/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const employee = employees.get(sub);
      return employee && { accountId: sub, claims: async () => ({ sub, email: employee.email, email_verified: true, name: employee.name }) };
    },
  });

  const provider = new Provider(issuer, configuration);
  await guestpass.mount(provider);
  provider.use(hostLogin(provider));
  const server = provider.listen(port);
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  guestpass.start();

  return {
    url: issuer,
    provider,
    guestpass,
    /** What a file host does when an employee shares a file: a secure link owned by the `files` client. */
    share: (resource, recipients) => guestpass.links.create({ clientId: 'files', admin: false }, { resource, recipients }, {}),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await guestpass.close();
    },
  };
}

/** The host's own sign-in page: a password form at /login/<uid>, for the host's clients. */
function hostLogin(provider) {
  return async function login(ctx, next) {
    const match = /^\/login\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== match[1]) ctx.throw(400, 'this sign-in belongs to another page');
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Contoso sign-in</title><h1>Contoso employees</h1>
        <form method="post" action="/login/${details.uid}">
          <label>User <input name="username" autocomplete="username"></label>
          <label>Password <input name="password" type="password" autocomplete="current-password"></label>
          <button>Sign in</button>
        </form>`;
      return;
    }
    if (ctx.method !== 'POST') return next();
    const form = new URLSearchParams(await readBody(ctx.req));
    const username = form.get('username') ?? '';
    const employee = employees.get(username);
    if (!employee || !samePassword(form.get('password') ?? '', employee.password)) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = '<!doctype html><title>Contoso sign-in</title><p>Wrong user or password.</p>';
      return;
    }
    const grant = new provider.Grant({ accountId: username, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: username }, consent: { grantId } }, { mergeWithLastSubmission: false });
  };
}

function samePassword(given, expected) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 8192) throw new Error('form too large');
  }
  return body;
}
