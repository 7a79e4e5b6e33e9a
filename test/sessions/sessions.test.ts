/**
 * Sessions (SPEC §5, §6): how long a code-verified person may reopen links without a new code,
 * "keep me signed in", the wrong-account page, prompt and max_age, revocation seen by every
 * instance, back-channel logout. Time moves by a test clock; nothing sleeps.
 */
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';

import { findForm, visibleText, type Browser, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, deleteKeys, filesClient, openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, managementToken } from '../support/management.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout_receiver.ts';
import { uniqueKeyPrefix } from '../support/redis.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

const day = 24 * 60 * 60 * 1000;

describe('sessions', () => {
  let smtp: SmtpCapture;
  let receiver: LogoutReceiver;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let api: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();
  const keyPrefix = uniqueKeyPrefix('sessions');
  let filesWithLogout: typeof filesClient & Record<string, unknown>;

  before(async () => {
    smtp = await new SmtpCapture().start();
    receiver = await startLogoutReceiver();
    filesWithLogout = { ...filesClient, backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true };
    gp = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config: { clients: [rpClient, filesWithLogout, adminClient], allowPrivateNetworkCalls: true } });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write settings:write');
  });
  after(async () => {
    await gp?.close();
    await receiver?.stop();
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });
  afterEach(async () => {
    clock.advanceSeconds(61);
    await admin.request('PUT', '/settings', {});
  });

  function open(sharingId: string, browser?: Browser, extra: Record<string, string> = {}): Promise<Journey> {
    return openSignIn({ rp: files, browser: () => browser ?? gp.browser() }, { sharing_id: sharingId, ...extra });
  }

  async function verify(journey: Journey, email: string, extra: Record<string, string> = {}): Promise<PageResponse> {
    const before = smtp.mailsTo(email).length;
    if (journey.page.body.includes('/email"')) await submitEmail(journey, email);
    const code = codeFrom(await smtp.waitForMail(email, { nth: before + 1 }));
    return submitCode(journey, code, extra);
  }

  /** Opens a link in a browser that may already be signed in; returns the tokens when no page was shown. */
  async function silently(sharingId: string, browser: Browser, extra: Record<string, string> = {}) {
    const pending = await files.authorizationUrl({ sharing_id: sharingId, ...extra });
    const page = await browser.get(pending.url);
    return { page, tokens: page.leftTo?.includes('code=') ? await files.redeem(pending, page.leftTo) : undefined };
  }

  it('opens a second link without a new code until reverificationDays have passed, then asks for one (day 29: none, day 31: a code)', async () => {
    const first = await api.share(['rosa@example.org']);
    const second = await api.share(['rosa@example.org']);
    const journey = await open(first.id);
    await verify(journey, 'rosa@example.org');
    const mails = smtp.mailsTo('rosa@example.org').length;

    clock.advance(29 * day);
    const day29 = await silently(second.id, journey.browser);
    expect(day29.tokens?.claims()).to.include({ email: 'rosa@example.org', sharing_id: second.id });
    expect(smtp.mailsTo('rosa@example.org')).to.have.length(mails);

    clock.advance(2 * day);
    const day31 = await silently(second.id, journey.browser);
    expect(day31.tokens, 'a live session no longer carries the person').to.equal(undefined);
    expect(visibleText(day31.page.body)).to.contain('Verify your email');
    expect(day31.page.body, 'the address is pre-filled').to.contain('value="rosa@example.org"');
    const again: Journey = { browser: journey.browser, pending: (await files.authorizationUrl({ sharing_id: second.id })), page: day31.page };
    again.page = await journey.browser.get(again.pending.url);
    const done = await verify(again, 'rosa@example.org');
    expect(done.leftTo).to.match(/code=/);
    expect(smtp.mailsTo('rosa@example.org')).to.have.length(mails + 1);
  });

  it('applies a lowered reverificationDays to sessions that already exist', async () => {
    const link = await api.share(['lowered@example.org']);
    const journey = await open(link.id);
    await verify(journey, 'lowered@example.org');
    clock.advance(8 * day);
    expect((await silently(link.id, journey.browser)).tokens).to.exist;
    expect((await admin.request('PUT', '/settings', { reverificationDays: 7 })).status).to.equal(200);
    expect((await silently(link.id, journey.browser)).tokens, 'now past the lowered limit').to.equal(undefined);
  });

  it('keeps a signed-in person only for the browser session, unless they ask to be kept signed in, and never past the reverification limit', async () => {
    const link = await api.share(['keep@example.org', 'once@example.org']);
    const kept = await open(link.id);
    await verify(kept, 'keep@example.org', { keep_signed_in: '1' });
    const persistent = kept.browser.cookie('gp_session')!;
    expect(persistent.raw).to.match(/;\s*expires=/i);
    expect(persistent.httpOnly).to.equal(true);
    expect(persistent.sameSite).to.equal('lax');
    expect(persistent.raw, 'no Secure attribute over plain http').to.not.match(/;\s*secure/i);
    expect(persistent.expiresAt - Date.now()).to.be.within(29 * day, 30 * day + 60_000);

    const transient = await open(link.id);
    await verify(transient, 'once@example.org');
    const sessionCookie = transient.browser.cookie('gp_session')!;
    expect(sessionCookie.raw).to.not.match(/expires=|max-age=/i);
    expect(sessionCookie.httpOnly).to.equal(true);
    expect(sessionCookie.sameSite).to.equal('lax');
  });

  it('shows a signed-in person who opens someone else\'s link a page that names only them, and lets them use another address', async () => {
    const mine = await api.share(['me@example.org']);
    const theirs = await api.share(['secret-recipient@example.org']);
    const journey = await open(mine.id);
    await verify(journey, 'me@example.org');

    const { page, tokens } = await silently(theirs.id, journey.browser);
    expect(tokens).to.equal(undefined);
    const text = visibleText(page.body);
    expect(text).to.contain('No access to this link');
    expect(text).to.contain('You are signed in as m***@example.org, and the link you opened is not shared with that address.');
    expect(page.body).to.not.contain('secret-recipient');
    expect(page.body).to.not.contain('s***@example.org');

    const other = await journey.browser.submit(page, '/change-email');
    expect(visibleText(other.body)).to.contain('Verify your email');
    expect(other.body).to.contain('value=""');
  });

  it('honours prompt=login, prompt=none, prompt=select_account and max_age', async () => {
    const link = await api.share(['prompt@example.org', 'second-account@example.org']);
    const journey = await open(link.id);
    await verify(journey, 'prompt@example.org');

    const none = await silently(link.id, journey.browser, { prompt: 'none' });
    expect(none.tokens?.claims()?.email).to.equal('prompt@example.org');

    const login = await silently(link.id, journey.browser, { prompt: 'login' });
    expect(login.tokens).to.equal(undefined);
    expect(visibleText(login.page.body)).to.contain('Verify your email');
    expect(login.page.body).to.contain('value="prompt@example.org"');

    clock.advanceSeconds(120);
    const fresh = await silently(link.id, journey.browser, { max_age: '3600' });
    expect(fresh.tokens?.claims()?.auth_time).to.be.a('number');
    const maxAge = await silently(link.id, journey.browser, { max_age: '0' });
    expect(maxAge.tokens, 'max_age=0 always asks again').to.equal(undefined);

    const choose = await silently(link.id, journey.browser, { prompt: 'select_account' });
    expect(visibleText(choose.page.body)).to.contain('Continue as p***@example.org');
    const pending = await files.authorizationUrl({ sharing_id: link.id, prompt: 'select_account' });
    const chooser = await journey.browser.get(pending.url);
    const continued = await journey.browser.submit(chooser, '/continue-as');
    expect((await files.redeem(pending, continued.leftTo!)).claims()?.email).to.equal('prompt@example.org');

    const switching = await files.authorizationUrl({ sharing_id: link.id, prompt: 'select_account' });
    const chooser2 = await journey.browser.get(switching.url);
    const emailPage = await journey.browser.submit(chooser2, '/change-email');
    const switched: Journey = { browser: journey.browser, pending: switching, page: emailPage };
    let after = await verify(switched, 'second-account@example.org');
    if (!after.leftTo && /session\/end\/confirm/.test(after.body)) after = await journey.browser.submit(after, '/session/end/confirm');
    expect(after.leftTo, visibleText(after.body)).to.match(/code=/);
    expect((await files.redeem(switching, after.leftTo!)).claims()?.email).to.equal('second-account@example.org');
  });

  it('revokes every session of a person on every instance, and sends back-channel logout to clients that asked for it', async () => {
    const link = await api.share(['revoked@example.org']);
    const journey = await open(link.id);
    const done = await verify(journey, 'revoked@example.org');
    const tokens = await files.redeem(journey.pending, done.leftTo!);
    const sub = tokens.claims()!.sub;
    const sid = tokens.claims()!.sid;

    // A second instance sharing the Redis does the revoking.
    const second = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config: { issuer: gp.issuer, clients: [rpClient, filesWithLogout, adminClient], allowPrivateNetworkCalls: true } });
    try {
      // Tokens and calls go to the second instance's own port; the issuer is the deployment's.
      const secondAdmin = new ManagementApi(`http://127.0.0.1:${second.config.port}`, await managementToken(gp.issuer, adminClient, 'directory:write'));
      const revoked = await secondAdmin.post<{ sessions: number; backchannelSent: number }>(`/users/${sub}/revoke-sessions`, {});
      expect(revoked.status).to.equal(200);
      expect(revoked.body).to.include({ sessions: 1, backchannelSent: 1 });
    } finally {
      await second.close();
    }

    expect((await silently(link.id, journey.browser)).tokens, 'the first instance no longer knows the session').to.equal(undefined);
    let refused: unknown;
    await files.userinfo(tokens.access_token, sub).catch((error: unknown) => (refused = error));
    expect(refused).to.exist;

    expect(receiver.tokens).to.have.length.at.least(1);
    const { payload, protectedHeader } = await jwtVerify(receiver.tokens.at(-1)!, createRemoteJWKSet(new URL(`${gp.issuer}/jwks`)), { issuer: gp.issuer, audience: filesClient.client_id });
    expect(protectedHeader.typ).to.equal('logout+jwt');
    expect(payload).to.include({ sub, sid });
    expect(payload.events).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    const audited = (await gp.store.listAudit({ operation: 'SessionsRevoked' }, { limit: 10 })).items.at(-1);
    expect(audited?.detail).to.include({ personId: sub, sessions: 1, backchannelSent: 1 });
  });

  it('tells the client about each sign-in when a person\'s sessions are revoked, also one for a link the browser signed in to before', async () => {
    const first = await api.share(['twice@example.org']);
    const second = await api.share(['twice@example.org']);
    const journey = await open(first.id);
    const done = await verify(journey, 'twice@example.org');
    const onFirst = (await files.redeem(journey.pending, done.leftTo!)).claims()!;
    const onSecond = (await silently(second.id, journey.browser)).tokens!.claims()!;
    expect(onSecond.sid, 'a sid per sign-in').to.not.equal(onFirst.sid);
    const received = receiver.tokens.length;

    const revoked = await admin.post<{ grants: number; backchannelSent: number }>(`/users/${onFirst.sub}/revoke-sessions`, {});
    expect(revoked.body).to.include({ grants: 2, backchannelSent: 2 });
    const jwks = createRemoteJWKSet(new URL(`${gp.issuer}/jwks`));
    const sids = await Promise.all(receiver.tokens.slice(received).map(async (token) => (await jwtVerify(token, jwks, { issuer: gp.issuer, audience: 'files' })).payload.sid));
    expect(sids).to.have.members([onFirst.sid, onSecond.sid]);
  });

  it('ends the session and clears the cookie on RP-initiated logout, telling back-channel clients', async () => {
    const link = await api.share(['bye@example.org']);
    const journey = await open(link.id);
    const done = await verify(journey, 'bye@example.org', { keep_signed_in: '1' });
    const tokens = await files.redeem(journey.pending, done.leftTo!);
    const received = receiver.tokens.length;
    const logout = `${gp.issuer}/session/end?client_id=files&id_token_hint=${tokens.id_token}`;
    const confirm = await journey.browser.get(logout);
    const xsrf = findForm(confirm.body, '/session/end/confirm').hidden.xsrf!;
    await journey.browser.post(`${gp.issuer}/session/end/confirm`, { xsrf, logout: 'yes' });
    expect(journey.browser.cookie('gp_session')).to.equal(undefined);
    expect((await silently(link.id, journey.browser)).tokens).to.equal(undefined);
    expect(receiver.tokens.length).to.equal(received + 1);
  });
});
