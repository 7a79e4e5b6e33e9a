/**
 * Guest upgrade through a federated work account (SPEC §1, §1b), against a second, real
 * oidc-provider on another port as the work provider. Recipients at partner.example verify a
 * code once, then link their work account and are guests from then on, signing in with it.
 */
import { expect } from 'chai';

import { visibleText, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, rpClient, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

interface PersonBody {
  id: string;
  email: string;
  userType: string;
  state?: string;
  identities: { issuer: string; subject: string }[];
}

describe('guest upgrade through a work account', () => {
  let smtp: SmtpCapture;
  let work: RunningWorkProvider;
  let other: RunningWorkProvider;
  let gp: TestGuestpass;
  let offering: TestGuestpass;
  let off: TestGuestpass;
  let files: TestRelyingParty;
  let api: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  async function start(guestUpgrade: 'automatic' | 'offer' | 'off', port?: number) {
    return startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        ...(port ? { port } : {}),
        clients: [rpClient, filesClient, adminClient],
        organization: { name: 'Contoso', domains: ['contoso.com'] },
        policy: { guestUpgrade },
        federation: [
          { id: 'partner', name: 'Partner work account', issuer: work.issuer, clientId: 'guestpass', clientSecret: 'work-secret-for-tests', domains: ['partner.example'] },
          { id: 'other', name: 'Other work account', issuer: other.issuer, clientId: 'guestpass', clientSecret: 'other-secret-for-tests', domains: ['other.example'], tokenEndpointAuthMethod: 'client_secret_post' },
        ],
      },
    });
  }

  // Three guestpass instances (automatic, offer, off) on ports known up front, so the work
  // providers can register each one's redirect URI.
  const ports: number[] = [];
  const callbacks = (id: string) => ports.map((port) => `http://127.0.0.1:${port}/federation/${id}/callback`);

  before(async () => {
    smtp = await new SmtpCapture().start();
    ports.push(await freePort(), await freePort(), await freePort());
    work = await startWorkProvider({
      clientId: 'guestpass',
      clientSecret: 'work-secret-for-tests',
      redirectUris: callbacks('partner'),
      accounts: {
        'ada-at-work': { email: 'ada@partner.example', email_verified: true, name: 'Ada Lovelace' },
        'bob-at-work': { email: 'bob@partner.example', email_verified: true },
        'bob-second-account': { email: 'bob@partner.example', email_verified: true },
        'unverified': { email: 'uma@partner.example', email_verified: false },
        'someone-else': { email: 'eve@partner.example', email_verified: true },
        'offer-taker': { email: 'otto@partner.example', email_verified: true },
        'invitee-at-work': { email: 'ivy@partner.example', email_verified: true },
      },
    });
    other = await startWorkProvider({ clientId: 'guestpass', clientSecret: 'other-secret-for-tests', redirectUris: callbacks('other'), accounts: {} });
    // All three listen at once: a port chosen and left idle could be taken meanwhile.
    [gp, offering, off] = await Promise.all([start('automatic', ports[0]), start('offer', ports[1]), start('off', ports[2])]);
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write admin');
  });
  after(async () => {
    await gp?.close();
    await offering?.close();
    await off?.close();
    await work?.stop();
    await other?.stop();
    await smtp?.stop();
  });
  afterEach(() => clock.advanceSeconds(61));

  async function openLink(sharingId: string): Promise<Journey> {
    const journey = await openSignIn({ rp: files, browser: () => gp.browser().alsoFollow(work.issuer).alsoFollow(other.issuer) }, { sharing_id: sharingId });
    return journey;
  }

  /** Email and code; returns the page the browser lands on after the code (at the work provider, for an automatic upgrade). */
  async function verifyCode(journey: Journey, email: string): Promise<PageResponse> {
    const before = smtp.mailsTo(email).length;
    await submitEmail(journey, email);
    const code = codeFrom(await smtp.waitForMail(email, { nth: before + 1 }));
    return submitCode(journey, code);
  }

  async function person(email: string): Promise<PersonBody> {
    const page = await admin.get<{ items: PersonBody[] }>(`/users?email=${encodeURIComponent(email)}`);
    const found = page.body.items.find((item) => item.email.toLowerCase() === email);
    if (!found) throw new Error(`no person ${email}`);
    return found;
  }

  it('upgrades a recipient to a guest after their first code, keeping the sub, and signs them in upstream from then on', async () => {
    const link = await api.share(['ada@partner.example']);
    const journey = await openLink(link.id);
    const atWork = await verifyCode(journey, 'ada@partner.example');
    expect(new URL(atWork.url).origin, 'sent to the work provider after the code').to.equal(work.issuer);
    const authorize = new URL(atWork.url);
    expect(authorize.pathname).to.match(/^\/interaction\//);

    const back = await signInAtWorkProvider(journey.browser, atWork, 'ada-at-work');
    expect(back.leftTo, back.body.slice(0, 400)).to.match(/^http:\/\/files\.test\/callback\?code=/);
    const tokens = await files.redeem(journey.pending, back.leftTo!);
    const claims = tokens.claims()!;
    expect(claims).to.include({ email: 'ada@partner.example', user_type: 'guest', sharing_id: link.id, idp: work.issuer });
    expect(claims.amr).to.deep.equal(['otp', 'fed']);
    const ada = await person('ada@partner.example');
    expect(ada).to.include({ id: claims.sub, userType: 'guest', state: 'Accepted' });
    expect(ada.identities).to.deep.equal([{ issuer: work.issuer, subject: 'ada-at-work' }]);
    const upgraded = (await gp.store.listAudit({ operation: 'GuestUpgraded', email: 'ada@partner.example' }, { limit: 10 })).items;
    expect(upgraded.map((event) => event.result)).to.deep.equal(['success']);

    // A new browser: no code is ever sent again; the address goes straight to the work provider.
    const mailsBefore = smtp.mailsTo('ada@partner.example').length;
    const next = await openLink(link.id);
    const straightUp = await submitEmail(next, 'ada@partner.example');
    expect(new URL(straightUp.url).origin).to.equal(work.issuer);
    const again = await signInAtWorkProvider(next.browser, straightUp, 'ada-at-work');
    const second = await files.redeem(next.pending, again.leftTo!);
    expect(second.claims()).to.include({ sub: claims.sub, user_type: 'guest', idp: work.issuer });
    expect(second.claims()!.amr).to.deep.equal(['fed']);
    await smtp.expectNoMail('nobody@example.org', 300);
    expect(smtp.mailsTo('ada@partner.example')).to.have.length(mailsBefore);
  });

  it('leaves the person adhoc when the work account is for another address, and they can continue with their code', async () => {
    const link = await api.share(['carl@partner.example']);
    const journey = await openLink(link.id);
    const atWork = await verifyCode(journey, 'carl@partner.example');
    const failed = await signInAtWorkProvider(journey.browser, atWork, 'someone-else');
    expect(failed.status).to.equal(200);
    expect(visibleText(failed.body)).to.contain('Your work account was not linked');
    expect(visibleText(failed.body)).to.contain('for another email address');
    const done = await journey.browser.submit(failed, '/continue');
    const tokens = await files.redeem(journey.pending, done.leftTo!);
    expect(tokens.claims()).to.include({ user_type: 'adhoc' });
    expect(tokens.claims()!.amr).to.deep.equal(['otp']);
    expect((await person('carl@partner.example')).identities).to.deep.equal([]);
  });

  it('refuses an upstream account whose email is not verified', async () => {
    const link = await api.share(['uma@partner.example']);
    const journey = await openLink(link.id);
    const failed = await signInAtWorkProvider(journey.browser, await verifyCode(journey, 'uma@partner.example'), 'unverified');
    expect(visibleText(failed.body)).to.contain('has not verified the email address');
    expect(await person('uma@partner.example')).to.include({ userType: 'adhoc' });
  });

  it('refuses a second upstream identity for an address that already has one', async () => {
    const link = await api.share(['bob@partner.example']);
    const first = await openLink(link.id);
    await files.redeem(first.pending, (await signInAtWorkProvider(first.browser, await verifyCode(first, 'bob@partner.example'), 'bob-at-work')).leftTo!);
    // Unlink nothing; instead a fresh interaction where Bob proves the address by code again is not
    // possible (he signs in upstream now), so try the second account on the upstream step directly.
    const second = await openLink(link.id);
    const straightUp = await submitEmail(second, 'bob@partner.example');
    const refused = await signInAtWorkProvider(second.browser, straightUp, 'bob-second-account');
    expect(refused.leftTo).to.equal(undefined);
    expect(visibleText(refused.body)).to.contain('that work account is not linked to anyone here');
    expect((await person('bob@partner.example')).identities).to.deep.equal([{ issuer: work.issuer, subject: 'bob-at-work' }]);
  });

  it('refuses a replayed state, and a response from another provider (mix-up)', async () => {
    const link = await api.share(['rex@partner.example']);
    work.accounts.set('rex-at-work', { email: 'rex@partner.example', email_verified: true });
    const journey = await openLink(link.id);
    const atWork = await verifyCode(journey, 'rex@partner.example');
    // Stop at guestpass's callback to keep its URL.
    // Let the browser stop where the work provider sends it back to guestpass, keeping that URL.
    journey.browser.follows.delete(new URL(gp.issuer).origin);
    const response = await signInAtWorkProvider(journey.browser, atWork, 'rex-at-work');
    journey.browser.follows.add(new URL(gp.issuer).origin);
    const callback = response.leftTo!;
    expect(callback).to.contain('/federation/partner/callback?');

    // The response names the wrong issuer: as if provider "other" answered at partner's callback.
    const mixedUp = new URL(callback);
    mixedUp.searchParams.set('iss', other.issuer);
    const mixUpPage = await journey.browser.get(mixedUp.href);
    expect(visibleText(mixUpPage.body)).to.contain('did not complete the sign-in');
    expect(await person('rex@partner.example')).to.include({ userType: 'adhoc' });

    // The genuine response, now that its state has been used, is refused as a replay.
    const replay = await journey.browser.get(callback);
    expect(replay.status).to.equal(400);
    expect(await person('rex@partner.example')).to.include({ userType: 'adhoc' });
  });

  it('offers the upgrade when the policy says offer, and does nothing when it says off', async () => {
    const offerApi = await ManagementApi.as(offering.issuer, filesClient, 'links:write');
    const offeringFiles = await TestRelyingParty.discover(offering.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    const { body: link } = await offerApi.post<LinkBody>('/links', { resource: 'files/offer', recipients: ['otto@partner.example', 'olga@partner.example'] });
    // otto declines
    const declining = await openSignIn({ rp: offeringFiles, browser: () => offering.browser().alsoFollow(work.issuer) }, { sharing_id: link.id });
    const offer = await verifyCode(declining, 'olga@partner.example');
    expect(visibleText(offer.body)).to.contain('Use your work account next time?');
    // The provider's name is a noun phrase ("Partner work account"): the sentences are built around it.
    expect(visibleText(offer.body)).to.contain('You can link o***@partner.example to your Partner work account. From then on you sign in with your work account, without codes.');
    expect(visibleText(offer.body)).to.contain('Link my Partner work account');
    const declined = await declining.browser.submit(offer, '/upgrade', { choice: 'decline' });
    expect((await offeringFiles.redeem(declining.pending, declined.leftTo!)).claims()).to.include({ user_type: 'adhoc' });
    // olga's colleague accepts
    const accepting = await openSignIn({ rp: offeringFiles, browser: () => offering.browser().alsoFollow(work.issuer) }, { sharing_id: link.id });
    const offered = await verifyCode(accepting, 'otto@partner.example');
    const atWork = await accepting.browser.submit(offered, '/upgrade', { choice: 'accept' });
    const back = await signInAtWorkProvider(accepting.browser, atWork, 'offer-taker');
    expect((await offeringFiles.redeem(accepting.pending, back.leftTo!)).claims()).to.include({ user_type: 'guest' });

    const offApi = await ManagementApi.as(off.issuer, filesClient, 'links:write');
    const offFiles = await TestRelyingParty.discover(off.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    const { body: offLink } = await offApi.post<LinkBody>('/links', { resource: 'files/off', recipients: ['oscar@partner.example'] });
    const journey = await openSignIn({ rp: offFiles, browser: () => off.browser() }, { sharing_id: offLink.id });
    const done = await verifyCode(journey, 'oscar@partner.example');
    expect(done.leftTo, 'no upgrade step at all').to.match(/^http:\/\/files\.test\/callback\?code=/);
    expect((await offFiles.redeem(journey.pending, done.leftTo!)).claims()).to.include({ user_type: 'adhoc' });
  });

  it('lets an invited guest accept by code, and another by work account, both becoming Accepted', async () => {
    const byCode = await admin.post<{ user: PersonBody; inviteRedeemUrl: string }>('/invitations', { email: 'Ian@Example.org', displayName: 'Ian' });
    expect(byCode.status).to.equal(201);
    expect(byCode.body.user).to.include({ email: 'Ian@Example.org', userType: 'guest', state: 'PendingAcceptance' });
    expect((await person('ian@example.org')).state, 'in the directory at once').to.equal('PendingAcceptance');
    const browser = gp.browser().alsoFollow(work.issuer);
    let page = await browser.get(byCode.body.inviteRedeemUrl);
    expect(page.body).to.contain('value="ian@example.org"');
    page = await browser.submit(page, '/email', { email: 'ian@example.org' });
    page = await browser.submit(page, '/code', { code: codeFrom(await smtp.waitForMail('ian@example.org')) });
    expect(visibleText(page.body)).to.contain('You are now a guest of Contoso.');
    expect(await person('ian@example.org')).to.include({ state: 'Accepted', userType: 'guest' });

    const byWork = await admin.post<{ user: PersonBody; inviteRedeemUrl: string }>('/invitations', { email: 'ivy@partner.example', redirectUrl: 'http://files.test/welcome' });
    const ivy = gp.browser().alsoFollow(work.issuer);
    let ivyPage = await ivy.get(byWork.body.inviteRedeemUrl);
    expect(visibleText(ivyPage.body)).to.contain('Sign in with your Partner work account instead');
    ivyPage = await ivy.submit(ivyPage, '/work-account');
    const landed = await signInAtWorkProvider(ivy, ivyPage, 'invitee-at-work');
    expect(landed.leftTo).to.equal('http://files.test/welcome');
    const accepted = await person('ivy@partner.example');
    expect(accepted).to.include({ state: 'Accepted', userType: 'guest' });
    expect(accepted.identities).to.deep.equal([{ issuer: work.issuer, subject: 'invitee-at-work' }]);
    const redeemed = (await gp.store.listAudit({ operation: 'GuestRedeemed' }, { limit: 10 })).items.map((event) => event.detail.by);
    expect(redeemed).to.deep.equal(['code', 'work_account']);
    expect((await gp.store.listAudit({ operation: 'GuestInvited' }, { limit: 10 })).items).to.have.length(2);
  });
});
