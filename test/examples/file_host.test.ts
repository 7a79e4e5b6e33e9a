/**
 * The example file host (examples/file-host/) against real parts: guestpass on the test Redis
 * with mail over SMTP to a capture server, the file host on its own HTTP port, and a browser
 * whose journeys cross both origins. Also `npm run demo`, started as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as client from 'openid-client';
import PostalMime from 'postal-mime';

import { startFileHost, type RunningFileHost } from '../../examples/file-host/app.ts';
import { GuestpassClient } from '../../examples/file-host/guestpass_client.ts';
import { fileHostClientMetadata } from '../../examples/file-host/registration.ts';
import { Browser, findForm, visibleText, type PageResponse } from '../support/browser.ts';
import { startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody, type ListBody } from '../support/management.ts';
import { freePort, freePorts } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const filesDir = join(repositoryRoot, 'examples', 'file-host', 'files');
const clientSecret = 'file-host-secret-for-tests-only';

describe('the example file host', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let fileHost: RunningFileHost;
  let fileHostUrl: string;
  let api: ManagementApi;
  const logLines: string[] = [];

  before(async () => {
    smtp = await new SmtpCapture().start();
    const port = await freePort();
    fileHostUrl = `http://127.0.0.1:${port}`;
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      config: { clients: [fileHostClientMetadata({ publicUrl: fileHostUrl, clientSecret })], policy: { domains: { block: ['blocked.example'] } } },
    });
    fileHost = await startFileHost({
      guestpassIssuer: gp.issuer,
      clientId: 'file-host',
      clientSecret,
      publicUrl: fileHostUrl,
      allowInsecureHttp: true,
      port,
      host: '127.0.0.1',
      log: (level, message, fields) => logLines.push(JSON.stringify({ level, message, ...fields })),
    });
    api = await ManagementApi.as(gp.issuer, { client_id: 'file-host', client_secret: clientSecret }, 'links:read links:write');
  });
  after(async () => {
    await fileHost?.close();
    await gp?.close();
    await smtp?.stop();
  });

  // --- the people in these journeys --------------------------------------------------------------

  function owner(): Browser {
    return new Browser(fileHostUrl);
  }

  /** A recipient's browser: it follows redirects between the file host and guestpass, as a real one does. */
  function recipient(): Browser {
    return gp.browser().alsoFollow(fileHostUrl);
  }

  /** Shares a file through the owner page's form; answers the page it lands on and the new link's id. */
  async function share(browser: Browser, file: string, emails: string, days = ''): Promise<{ page: PageResponse; sharingId: string }> {
    const home = await browser.get('/');
    const page = await browser.submit(home, `/files/${file}/links`, { emails, days });
    const url = /id="new-link" type="text" readonly value="([^"]+)"/.exec(page.body)?.[1];
    if (!url) throw new Error(`no new link on the page: ${visibleText(page.body).slice(0, 500)}`);
    expect(url.startsWith(`${fileHostUrl}/s/`)).to.equal(true);
    return { page, sharingId: url.slice(`${fileHostUrl}/s/`.length) };
  }

  /** Opens /s/<id>, enters the address at guestpass and the code from the mail; lands back at the file host. */
  async function openAndVerify(sharingId: string, email: string, browser = recipient()): Promise<{ browser: Browser; page: PageResponse; code: string }> {
    let page = await browser.get(`${fileHostUrl}/s/${sharingId}`);
    expect(page.url.startsWith(gp.issuer), 'the file host sent the browser to guestpass').to.equal(true);
    const before = smtp.mailsTo(email).length;
    page = await browser.submit(page, '/email', { email });
    const code = codeFrom(await smtp.waitForMail(email, { nth: before + 1 }));
    page = await browser.submit(page, '/code', { code });
    return { browser, page, code };
  }

  /** The download as raw bytes, with the browser's cookies (the test browser reads bodies as text). */
  async function download(browser: Browser, sharingId: string) {
    const cookie = browser.cookies.filter((stored) => stored.path === '/').map((stored) => `${stored.name}=${stored.value}`).join('; ');
    const response = await fetch(`${fileHostUrl}/s/${sharingId}/download`, { headers: { cookie }, redirect: 'manual' });
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  async function linksOf(resource: string): Promise<LinkBody[]> {
    return (await api.get<ListBody<LinkBody>>(`/links?resource=${encodeURIComponent(resource)}`)).body.items;
  }

  // --- the journeys ------------------------------------------------------------------------------

  it('shares a file from the owner page; the recipient signs in with the mailed code and downloads its exact bytes', async () => {
    const started = Date.now();
    const { page: shared, sharingId } = await share(owner(), 'q3-report.txt', 'Ada@Example.org', '7');
    expect(shared.url).to.equal(`${fileHostUrl}/files/q3-report.txt#link-${sharingId}`);
    expect(visibleText(shared.body)).to.contain('Shared q3-report.txt with 1 person.');
    const [link] = (await linksOf('files/q3-report.txt')).filter((candidate) => candidate.id === sharingId);
    expect(link!.recipients.map((entry) => entry.email)).to.deep.equal(['Ada@Example.org']);
    expect(Date.parse(link!.expiresAt!) - started).to.be.closeTo(7 * 24 * 3600 * 1000, 60_000);

    const { browser, page, code } = await openAndVerify(sharingId, 'ada@example.org');
    expect(page.status).to.equal(200);
    expect(page.url).to.equal(`${fileHostUrl}/s/${sharingId}`);
    expect(visibleText(page.body)).to.contain('q3-report.txt shared with you').and.contain('Signed in as ada@example.org (adhoc).');
    expect(page.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    const session = browser.cookie('filehost_session');
    expect(session, 'the file host keeps its own session').to.not.equal(undefined);
    expect(session).to.include({ httpOnly: true, sameSite: 'lax', path: '/' });

    const file = await download(browser, sharingId);
    expect(file.status).to.equal(200);
    expect(file.bytes.equals(readFileSync(join(filesDir, 'q3-report.txt')))).to.equal(true);
    expect(file.headers.get('content-disposition')).to.equal('attachment; filename="q3-report.txt"');
    expect(file.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    const accessed = (await gp.store.listAudit({ sharingId, operation: 'SecureLinkAccessed' }, { limit: 10 })).items;
    expect(accessed.map((event) => event.detail.email), 'the download was reported').to.deep.equal(['ada@example.org']);

    const ownerPage = visibleText((await owner().get('/files/q3-report.txt')).body);
    const stamp = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d UTC`;
    expect(ownerPage, 'added, verified and last seen').to.match(new RegExp(`Ada@Example\\.org adhoc ${stamp} ${stamp} ${stamp} Remove`));

    const log = logLines.join('\n');
    expect(log).to.contain('"message":"file served"');
    for (const secret of [code, clientSecret, 'eyJ', 'code=', 'state=', session!.value, 'ada@example.org']) expect(log, 'nothing sensitive in the log').to.not.contain(secret);
  });

  it('gives a forwarded link nothing: another address gets no mail and no file', async () => {
    const { sharingId } = await share(owner(), 'roadmap.md', 'rita@example.org');
    const forwardee = recipient();
    let page = await forwardee.get(`${fileHostUrl}/s/${sharingId}`);
    page = await forwardee.submit(page, '/email', { email: 'rob@example.org' });
    expect(visibleText(page.body)).to.contain('If r***@example.org has access, a 6-digit code is on its way to it.');
    await smtp.expectNoMail('rob@example.org');

    const file = await download(forwardee, sharingId);
    expect(file.status, 'no proof: back to the sign-in, not the file').to.equal(302);
    expect(file.headers.get('location')).to.equal(`/s/${sharingId}`);
    expect(file.bytes.toString()).to.not.contain('Roadmap');
  });

  it('refuses the download with a clear page once the owner removes the recipient, and lets a newly added one in', async () => {
    const ownerBrowser = owner();
    const { sharingId } = await share(ownerBrowser, 'budget.csv', 'carl@example.org');
    const carl = await openAndVerify(sharingId, 'carl@example.org');
    expect((await download(carl.browser, sharingId)).status).to.equal(200);

    let page = await ownerBrowser.get('/files/budget.csv');
    page = await ownerBrowser.submit(page, `/links/${sharingId}/recipients`, { emails: 'dora@example.org, carl@example.org' });
    expect(page.status).to.equal(200);
    expect(visibleText(page.body)).to.contain('Added 1 person to the link.');
    page = await ownerBrowser.submit(page, `/links/${sharingId}/recipients/carl%40example.org/remove`);
    expect(visibleText(page.body)).to.contain('carl@example.org can no longer open this link.');

    const refused = await download(carl.browser, sharingId);
    expect(refused.status).to.equal(403);
    expect(refused.headers.get('content-type')).to.contain('text/html');
    expect(visibleText(refused.bytes.toString())).to.contain('You no longer have access').and.contain('This link is no longer shared with carl@example.org.');
    const opened = await carl.browser.get(`${fileHostUrl}/s/${sharingId}`);
    expect(opened.status).to.equal(403);
    expect(visibleText(opened.body)).to.contain('You no longer have access');
    const again = await carl.browser.get(new URL(findLink(opened.body, 'Sign in with another address'), fileHostUrl).href);
    expect(visibleText(again.body), 'guestpass, asked again, has no access for carl either').to.contain('No access to this link');

    const dora = await openAndVerify(sharingId, 'dora@example.org');
    expect(visibleText(dora.page.body)).to.contain('budget.csv shared with you');
    expect((await download(dora.browser, sharingId)).bytes.equals(readFileSync(join(filesDir, 'budget.csv')))).to.equal(true);
  });

  it('refuses the download with a clear page once the owner deletes the link', async () => {
    const ownerBrowser = owner();
    const { sharingId } = await share(ownerBrowser, 'logo.svg', 'erin@example.org');
    const erin = await openAndVerify(sharingId, 'erin@example.org');
    expect((await download(erin.browser, sharingId)).status).to.equal(200);

    const page = await ownerBrowser.submit(await ownerBrowser.get('/files/logo.svg'), `/links/${sharingId}/delete`);
    expect(visibleText(page.body)).to.contain('The link is deleted.');
    expect((await api.get(`/links/${sharingId}`)).status).to.equal(404);

    const refused = await download(erin.browser, sharingId);
    expect(refused.status).to.equal(410);
    expect(visibleText(refused.bytes.toString())).to.contain('This link was deleted');
    const reopened = await erin.browser.get(`${fileHostUrl}/s/${sharingId}`);
    expect(reopened.status).to.equal(404);
    expect(visibleText(reopened.body)).to.contain('Link not found');
  });

  it('refuses a callback whose state was tampered with, accepts the genuine one once, and never twice', async () => {
    const { sharingId } = await share(owner(), 'q3-report.txt', 'fay@example.org');
    // This browser follows guestpass only, so the journey stops at the redirect back to the file host.
    const browser = gp.browser();
    let page = await browser.get(`${fileHostUrl}/s/${sharingId}`);
    page = await browser.submit(page, '/email', { email: 'fay@example.org' });
    page = await browser.submit(page, '/code', { code: codeFrom(await smtp.waitForMail('fay@example.org')) });
    const callback = new URL(page.leftTo!);
    expect(callback.pathname).to.equal('/callback');

    const tampered = new URL(callback);
    tampered.searchParams.set('state', client.randomState());
    const refused = await browser.get(tampered.href);
    expect(refused.status).to.equal(400);
    expect(visibleText(refused.body)).to.contain('This sign-in cannot be completed');
    expect(browser.cookie('filehost_session')).to.equal(undefined);

    const genuine = await browser.get(callback.href);
    expect(genuine.status).to.equal(303);
    expect(genuine.leftTo).to.equal(`${fileHostUrl}/s/${sharingId}`);
    expect((await download(browser, sharingId)).status).to.equal(200);

    const replayed = await browser.get(callback.href);
    expect(replayed.status, 'an attempt is used once').to.equal(400);
  });

  it('keeps two sign-ins under way at once, as with two links opened in two tabs', async () => {
    const { sharingId: first } = await share(owner(), 'roadmap.md', 'ned@example.org');
    const { sharingId: second } = await share(owner(), 'logo.svg', 'ned@example.org');
    const browser = recipient();
    const [toFirst, toSecond] = await Promise.all([first, second].map(async (sharingId) => (await browser.get(`${fileHostUrl}/s/${sharingId}`, { follow: false })).leftTo!));
    const attempts = browser.cookies.filter((cookie) => cookie.name.startsWith('filehost_signin_'));
    expect(attempts.map((cookie) => cookie.path)).to.deep.equal(['/callback', '/callback']);

    let page = await browser.submit(await browser.get(toFirst!), '/email', { email: 'ned@example.org' });
    page = await browser.submit(page, '/code', { code: codeFrom(await smtp.waitForMail('ned@example.org')) });
    expect(page.url).to.equal(`${fileHostUrl}/s/${first}`);
    // The second tab: guestpass's session carries over (Ned is on that link too) and the file host still holds that attempt.
    page = await browser.get(toSecond!);
    expect(page.url).to.equal(`${fileHostUrl}/s/${second}`);
    expect(visibleText(page.body)).to.contain('logo.svg shared with you').and.contain('Signed in as ned@example.org');
    expect(smtp.mailsTo('ned@example.org')).to.have.length(1);
    expect(browser.cookies.filter((cookie) => cookie.name.startsWith('filehost_signin_')), 'each attempt is deleted once used').to.have.length(0);
    expect((await download(browser, first)).status).to.equal(200);
    expect((await download(browser, second)).status).to.equal(200);
  });

  it('refuses an ID token made for another link, even one the person is a recipient of', async () => {
    const { sharingId: linkForGus } = await share(owner(), 'roadmap.md', 'gus@example.org');
    const { sharingId: linkForMal } = await share(owner(), 'budget.csv', 'mal@example.org');
    const mal = recipient();
    const start = await mal.get(`${fileHostUrl}/s/${linkForGus}`, { follow: false });
    const authorization = new URL(start.leftTo!);
    expect(authorization.searchParams.get('sharing_id')).to.equal(linkForGus);
    authorization.searchParams.set('sharing_id', linkForMal); // edited in the address bar

    let page = await mal.get(authorization.href);
    page = await mal.submit(page, '/email', { email: 'mal@example.org' });
    page = await mal.submit(page, '/code', { code: codeFrom(await smtp.waitForMail('mal@example.org')) });
    expect(page.url).to.match(new RegExp(`^${fileHostUrl}/callback\\?`));
    expect(page.status).to.equal(403);
    expect(visibleText(page.body)).to.contain('This sign-in was for a different link');
    expect((await download(mal, linkForGus)).status, 'no file for Gus\'s link').to.equal(302);
    expect(logLines.join('\n')).to.contain('"reason":"wrong_link"');
  });

  it('answers an error from guestpass, an unknown link and an unknown page with a clear page and no stack trace', async () => {
    const { sharingId } = await share(owner(), 'q3-report.txt', 'hal@example.org');
    const browser = recipient();
    const start = await browser.get(`${fileHostUrl}/s/${sharingId}`, { follow: false });
    const state = new URL(start.leftTo!).searchParams.get('state')!;
    const denied = await browser.get(`${fileHostUrl}/callback?${new URLSearchParams({ error: 'access_denied', error_description: 'End-User aborted interaction', state, iss: gp.issuer })}`);
    expect(denied.status).to.equal(403);
    expect(visibleText(denied.body)).to.contain('Sign-in not completed');
    expect(denied.body).to.contain(`href="/s/${sharingId}"`);

    const pages = [
      await browser.get(`${fileHostUrl}/s/${'A'.repeat(32)}`),
      await browser.get(`${fileHostUrl}/s/not-a-link`),
      await browser.get(`${fileHostUrl}/callback?code=x&state=y`),
      await browser.get(`${fileHostUrl}/nothing-here`),
      await browser.get(`${fileHostUrl}/files/..%2F..%2Fpackage.json`),
    ];
    expect(pages.map((page) => page.status)).to.deep.equal([404, 404, 400, 404, 404]);
    expect(visibleText(pages[0]!.body)).to.contain('Link not found');
    for (const page of pages) {
      expect(page.headers.get('content-type')).to.contain('text/html');
      expect(page.body).to.not.match(/\n\s+at |Error:/);
    }
  });

  it('shows guestpass\'s error_description when it refuses a share, and keeps what the owner typed', async () => {
    const browser = owner();
    const before = (await linksOf('files/roadmap.md')).length;

    let page = await browser.submit(await browser.get('/'), '/files/roadmap.md/links', { emails: 'ivy@example.org not-an-address', days: '' });
    expect(page.url).to.equal(`${fileHostUrl}/files/roadmap.md`);
    expect(page.body).to.contain('role="alert"');
    expect(visibleText(page.body)).to.contain('guestpass refused: not email addresses: "not-an-address"');
    expect(page.body).to.contain('>ivy@example.org not-an-address</textarea>');

    page = await browser.submit(page, '/files/roadmap.md/links', { emails: 'x@blocked.example', days: '' });
    expect(visibleText(page.body)).to.contain('guestpass refused: not allowed by the sharing policy: x@blocked.example');

    page = await browser.submit(page, '/files/roadmap.md/links', { emails: 'ivy@example.org', days: 'soon' });
    expect(visibleText(page.body)).to.contain('The expiry must be a whole number of days from 1 to 3650');
    expect(await linksOf('files/roadmap.md')).to.have.length(before);
  });

  it('refuses owner form posts without the CSRF token, with a wrong one, or from another site', async () => {
    const browser = owner();
    const home = await browser.get('/');
    const form = findForm(home.body, '/files/q3-report.txt/links');
    const action = new URL(form.action, fileHostUrl).href;
    const token = form.hidden.csrf!;
    const fields = { emails: 'jay@example.org', days: '' };
    const before = (await linksOf('files/q3-report.txt')).length;

    const attempts = [
      await browser.post(action, fields),
      await browser.post(action, { ...fields, csrf: 'x'.repeat(43) }),
      await browser.post(action, { ...fields, csrf: token }, { headers: { 'sec-fetch-site': 'cross-site' } }),
      await browser.post(action, { ...fields, csrf: token }, { headers: { origin: 'https://evil.example' } }),
      await new Browser(fileHostUrl).post(action, { ...fields, csrf: token }),
    ];
    for (const attempt of attempts) {
      expect(attempt.status).to.equal(403);
      expect(visibleText(attempt.body)).to.contain('This form has expired');
    }
    expect(await linksOf('files/q3-report.txt')).to.have.length(before);
    await smtp.expectNoMail('jay@example.org', 0);

    const accepted = await browser.post(action, { ...fields, csrf: token }, { follow: false });
    expect(accepted.status).to.equal(303);
    expect(await linksOf('files/q3-report.txt')).to.have.length(before + 1);
  });

  it('says clearly when guestpass does not answer, or does not let the file host in', async () => {
    const [port, closedPort] = await freePorts(2);
    const url = `http://127.0.0.1:${port}`;
    const unreachable = await startFileHost({ guestpassIssuer: `http://127.0.0.1:${closedPort}`, clientId: 'file-host', clientSecret, publicUrl: url, allowInsecureHttp: true, port, host: '127.0.0.1', log: () => {} });
    try {
      const browser = new Browser(url);
      expect((await browser.get('/')).status, 'the file list needs no guestpass').to.equal(200);
      const links = await browser.get('/files/q3-report.txt');
      expect(links.status).to.equal(503);
      expect(visibleText(links.body)).to.contain('guestpass is not available right now');
      const opened = await browser.get(`/s/${'A'.repeat(32)}`);
      expect(opened.status).to.equal(503);
      expect(visibleText(opened.body)).to.contain('Not available right now');
    } finally {
      await unreachable.close();
    }

    const [otherPort] = await freePorts(1);
    const otherUrl = `http://127.0.0.1:${otherPort}`;
    const misconfigured = await startFileHost({ guestpassIssuer: gp.issuer, clientId: 'file-host', clientSecret: 'not-the-secret', publicUrl: otherUrl, allowInsecureHttp: true, port: otherPort, host: '127.0.0.1', log: () => {} });
    try {
      const page = await new Browser(otherUrl).get('/files/q3-report.txt');
      expect(page.status).to.equal(502);
      expect(visibleText(page.body)).to.contain('guestpass does not let this file host manage links (invalid_client: client authentication failed)');
    } finally {
      await misconfigured.close();
    }
  });

  it('gets one management token and renews it a minute before it expires', async () => {
    let now = Date.now();
    const tokenRequests: number[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith('/token')) tokenRequests.push(now);
      return fetch(input, init);
    };
    const guestpass = new GuestpassClient({ issuer: gp.issuer, clientId: 'file-host', clientSecret, redirectUri: `${fileHostUrl}/callback`, allowInsecureHttp: true, now: () => now, fetch: countingFetch });

    await Promise.all([guestpass.linksFor('files/none'), guestpass.linksFor('files/none'), guestpass.findLink('A'.repeat(32))]);
    expect(tokenRequests, 'one token for calls made at once').to.have.length(1);
    now += 8.5 * 60_000;
    await guestpass.linksFor('files/none');
    expect(tokenRequests).to.have.length(1);
    now += 60_000; // 9.5 minutes: within a minute of the 10-minute expiry
    await guestpass.linksFor('files/none');
    expect(tokenRequests).to.have.length(2);
  });
});

describe('npm run demo', function () {
  // Starting tsx, guestpass and the file host from cold takes a few seconds on a slow machine.
  this.timeout(60_000);
  let child: ChildProcess | undefined;

  afterEach(() => {
    // Only if the test failed before Ctrl-C ended it: the whole process group we started.
    if (child?.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  });

  it('starts guestpass and the file host wired together: share, sign in with the code from the outbox, download; Ctrl-C stops both', async () => {
    const [guestpassPort, fileHostPort] = await freePorts(2);
    const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-demo-'));
    const issuer = `http://localhost:${guestpassPort}`;
    const fileHostUrl = `http://localhost:${fileHostPort}`;
    child = spawn('npm', ['run', 'demo'], {
      cwd: repositoryRoot,
      env: { ...process.env, GUESTPASS_PORT: String(guestpassPort), FILE_HOST_PORT: String(fileHostPort), GUESTPASS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      // Its own process group, so Ctrl-C can go to npm, tsx and node at once, as a terminal sends it.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = await waitForOutput(child, 'Ctrl-C stops both', 45_000);
    expect(output).to.contain(`file host (owner pages): ${fileHostUrl}`);
    expect(output).to.contain(`guestpass:               ${issuer}`);

    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { issuer: string };
    expect(discovery.issuer).to.equal(issuer);
    const home = await fetch(`${fileHostUrl}/`);
    expect(home.status).to.equal(200);
    expect(visibleText(await home.text())).to.contain('Your files').and.contain('q3-report.txt');

    // The whole journey, as the banner tells a person to do it.
    const ownerBrowser = new Browser(fileHostUrl);
    const shared = await ownerBrowser.submit(await ownerBrowser.get('/'), '/files/roadmap.md/links', { emails: 'newcomer@example.org', days: '' });
    const linkUrl = /id="new-link" type="text" readonly value="([^"]+)"/.exec(shared.body)?.[1];
    expect(linkUrl, visibleText(shared.body).slice(0, 400)).to.match(new RegExp(`^${fileHostUrl}/s/`));
    const browser = new Browser(issuer).alsoFollow(fileHostUrl);
    let page = await browser.get(linkUrl!);
    expect(visibleText(page.body)).to.contain('Verify your email');
    page = await browser.submit(page, '/email', { email: 'newcomer@example.org' });
    const mail = await PostalMime.parse(readFileSync(await waitForEml(join(dataDir, 'outbox'))));
    expect(mail.to?.[0]?.address).to.equal('newcomer@example.org');
    page = await browser.submit(page, '/code', { code: /^\s*(\d{6})\s*$/m.exec(mail.text ?? '')![1]! });
    expect(visibleText(page.body)).to.contain('roadmap.md shared with you').and.contain('Signed in as newcomer@example.org (adhoc).');

    process.kill(-child.pid!, 'SIGINT');
    await new Promise<void>((resolve) => (child!.exitCode !== null || child!.signalCode !== null ? resolve() : child!.once('exit', () => resolve())));
    expect(await isListening(guestpassPort!), 'guestpass stopped').to.equal(false);
    expect(await isListening(fileHostPort!), 'the file host stopped').to.equal(false);
  });
});

/** The href of the link with this text. */
function findLink(html: string, text: string): string {
  const href = [...html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].find((match) => match[2] === text)?.[1];
  if (href === undefined) throw new Error(`no link "${text}" in:\n${html.slice(0, 1000)}`);
  return href;
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`"${text}" did not appear within ${timeoutMs} ms; output so far:\n${output}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(text)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run demo exited (${code}) before printing "${text}":\n${output}`));
    });
  });
}

async function waitForEml(directory: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files = (() => {
      try {
        return readdirSync(directory).filter((name) => name.endsWith('.eml'));
      } catch {
        return [];
      }
    })();
    if (files.length > 0) return join(directory, files.sort((a, b) => statSync(join(directory, b)).mtimeMs - statSync(join(directory, a)).mtimeMs)[0]!);
    if (Date.now() > deadline) throw new Error(`no .eml file in ${directory}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: 'localhost', autoSelectFamily: true });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
