/**
 * Link-bound verification (SPEC §2): a code goes only to a current recipient of a live link
 * owned by the client asking; everyone else gets the same page and no mail. Real Redis, SMTP,
 * HTTP and openid-client, with the resource server as one client (`files`) that both manages
 * its links and signs people in to them.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { filesClient, openSignIn, rpClient, adminClient, useGuestpass, submitCode, submitEmail, type Journey } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom } from '../support/smtp.ts';

describe('signing in to a secure link', () => {
  let files: TestRelyingParty;
  let api: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({ store: 'redis', clock, config: { clients: [rpClient, filesClient, adminClient], organization: { name: 'Contoso', domains: ['contoso.com'] } } });
  before(async () => {
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
  });
  afterEach(() => clock.advanceSeconds(61));

  function open(sharingId: string, browser = gp.browser()): Promise<Journey> {
    return openSignIn({ rp: files, browser: () => browser }, { sharing_id: sharingId });
  }

  async function finish(journey: Journey, email: string) {
    const code = codeFrom(await gp.smtp.waitForMail(email, { nth: gp.smtp.mailsTo(email).length || 1 }));
    const done = await submitCode(journey, code);
    expect(done.leftTo, done.body.slice(0, 300)).to.match(/^http:\/\/files\.test\/callback\?code=/);
    return files.redeem(journey.pending, done.leftTo!);
  }

  it('verifies a recipient and says which link it was for; the link records verified and last seen', async () => {
    const link = await api.share(['ada@example.org']);
    const journey = await open(link.id);
    await submitEmail(journey, 'Ada@Example.org');
    const tokens = await finish(journey, 'ada@example.org');
    expect(tokens.claims()).to.include({ email: 'ada@example.org', user_type: 'adhoc', sharing_id: link.id });
    expect(await files.userinfo(tokens.access_token, tokens.claims()!.sub)).to.include({ sharing_id: link.id, user_type: 'adhoc' });

    const [recipient] = (await api.get<LinkBody>(`/links/${link.id}`)).body.recipients;
    expect(Date.parse(recipient!.verifiedAt!)).to.be.closeTo(clock.now(), 5000);
    expect(recipient!.lastAccessAt).to.equal(recipient!.verifiedAt);
  });

  it('gives a forwarded link nothing: the same page for another address, no mail, and RecipientNotOnLink in the audit', async () => {
    const link = await api.share(['rita@example.org']);
    const recipient = await open(link.id);
    const forwardee = await open(link.id);
    await submitEmail(recipient, 'rita@example.org');
    await submitEmail(forwardee, 'rob@example.org');
    const normalize = (journey: Journey) =>
      journey.page.body
        .replaceAll(new URL(journey.page.url).pathname.split('/')[2]!, 'UID')
        .replace(/value="[A-Za-z0-9_-]{32}"/g, 'value="CSRF"')
        .replace(/data-seconds-left="\d+"/g, '')
        .replace(/in \d+ s\./g, '')
        .replace(/data-delivery="\w+"/g, '')
        .replace(/(id="delivery-state"[^>]*>)[^<]*/, '$1');
    expect(forwardee.page.status).to.equal(recipient.page.status);
    expect(normalize(forwardee)).to.equal(normalize(recipient));
    expect(visibleText(forwardee.page.body)).to.contain('If r***@example.org has access, a 6-digit code is on its way to it.');
    await gp.smtp.waitForMail('rita@example.org');
    await gp.smtp.expectNoMail('rob@example.org');
    const refused = (await gp.store.listAudit({ operation: 'RecipientNotOnLink', sharingId: link.id }, { limit: 10 })).items;
    expect(refused).to.have.length(1);
    expect(refused[0]!.detail).to.include({ email: 'rob@example.org', reason: 'not_a_recipient', clientId: 'files' });
  });

  it('makes a pending code useless once the recipient is removed', async () => {
    const link = await api.share(['removed@example.org', 'stays@example.org']);
    const journey = await open(link.id);
    await submitEmail(journey, 'removed@example.org');
    const code = codeFrom(await gp.smtp.waitForMail('removed@example.org'));
    expect((await api.delete(`/links/${link.id}/recipients/removed%40example.org`)).status).to.equal(200);
    const page = await submitCode(journey, code);
    expect(page.leftTo).to.equal(undefined);
    expect(visibleText(page.body)).to.contain('This code no longer works');
    const rejected = (await gp.store.listAudit({ operation: 'VerificationCodeRejected', email: 'removed@example.org' }, { limit: 10 })).items;
    expect(rejected.at(-1)?.detail).to.include({ reason: 'no_longer_eligible', because: 'not_a_recipient' });
  });

  it('sends nothing for an expired link, and a code already sent dies with the link\'s expiry or deletion', async () => {
    const expiring = await api.share(['late@example.org'], { expiresAt: new Date(clock.now() + 5 * 60_000).toISOString() });
    const pending = await open(expiring.id);
    await submitEmail(pending, 'late@example.org');
    const code = codeFrom(await gp.smtp.waitForMail('late@example.org'));
    clock.advance(6 * 60_000); // the link has expired; the code (10 minutes) has not
    expect((await submitCode(pending, code)).leftTo).to.equal(undefined);
    clock.advanceSeconds(61);
    const afterExpiry = await open(expiring.id);
    await submitEmail(afterExpiry, 'late@example.org');
    await gp.smtp.expectNoMail('nobody@example.org', 400);
    expect(gp.smtp.mailsTo('late@example.org')).to.have.length(1);

    const deleted = await api.share(['gone@example.org']);
    const journey = await open(deleted.id);
    await submitEmail(journey, 'gone@example.org');
    const goneCode = codeFrom(await gp.smtp.waitForMail('gone@example.org'));
    expect((await api.delete(`/links/${deleted.id}`)).status).to.equal(204);
    expect((await submitCode(journey, goneCode)).leftTo).to.equal(undefined);
    const reasons = (await gp.store.listAudit({ operation: 'VerificationCodeRejected' }, { limit: 100 })).items.map((event) => event.detail.because);
    expect(reasons).to.include.members(['expired', 'no_such_link']);
  });

  it('makes another client\'s sharing_id useless, even for a client allowed open sign-in', async () => {
    const link = await api.share(['owned@example.org']);
    const journey = await openSignIn(gp, { sharing_id: link.id });
    await submitEmail(journey, 'owned@example.org');
    await gp.smtp.expectNoMail('owned@example.org');
    const refused = (await gp.store.listAudit({ operation: 'RecipientNotOnLink', sharingId: link.id }, { limit: 10 })).items;
    expect(refused[0]?.detail).to.include({ reason: 'other_client', clientId: 'rp' });
  });

  it('lets a signed-in recipient open a second link shared with them without a new code', async () => {
    const first = await api.share(['twice@example.org']);
    const second = await api.share(['twice@example.org', 'someone@example.org']);
    const journey = await open(first.id);
    await submitEmail(journey, 'twice@example.org');
    const firstTokens = await finish(journey, 'twice@example.org');

    clock.advanceSeconds(3600);
    const again = await files.authorizationUrl({ sharing_id: second.id });
    const silent = await journey.browser.get(again.url);
    expect(silent.leftTo, 'no code needed').to.match(/^http:\/\/files\.test\/callback\?code=/);
    const tokens = await files.redeem(again, silent.leftTo!);
    expect(tokens.claims()).to.include({ sub: firstTokens.claims()!.sub, sharing_id: second.id });
    expect(gp.smtp.mailsTo('twice@example.org')).to.have.length(1);
    const recipient = (await api.get<LinkBody>(`/links/${second.id}`)).body.recipients[0]!;
    expect(recipient.verifiedAt, 'a session is not a verification').to.equal(undefined);
    expect(Date.parse(recipient.lastAccessAt!)).to.be.closeTo(clock.now(), 5000);
  });

  it('does not carry a live session over to a link shared with someone else', async () => {
    const mine = await api.share(['insider@example.org']);
    const theirs = await api.share(['outsider@example.org']);
    const journey = await open(mine.id);
    await submitEmail(journey, 'insider@example.org');
    await finish(journey, 'insider@example.org');

    const forwarded = await files.authorizationUrl({ sharing_id: theirs.id });
    const page = await journey.browser.get(forwarded.url);
    expect(page.leftTo, 'no silent sign-in for a link that is not shared with this person').to.equal(undefined);
    expect(visibleText(page.body)).to.contain('No access to this link');
    expect(page.body, 'nothing about who the link is for').to.not.contain('outsider');

    const none = await files.authorizationUrl({ sharing_id: theirs.id, prompt: 'none' });
    const error = new URL((await journey.browser.get(none.url)).leftTo!);
    expect(error.searchParams.get('error')).to.equal('login_required');
  });

  it('without sharing_id, sends a code to a recipient of any live link of the client, and to no one else', async () => {
    await api.share(['known@example.org']);
    const known = await openSignIn({ rp: files, browser: () => gp.browser() });
    await submitEmail(known, 'known@example.org');
    const tokens = await finish(known, 'known@example.org');
    expect(tokens.claims()).to.not.have.property('sharing_id');

    const stranger = await openSignIn({ rp: files, browser: () => gp.browser() });
    await submitEmail(stranger, 'stranger@example.org');
    await gp.smtp.expectNoMail('stranger@example.org');
    const refused = (await gp.store.listAudit({ operation: 'RecipientNotOnLink', email: 'stranger@example.org' }, { limit: 10 })).items;
    expect(refused[0]?.detail).to.include({ reason: 'not_a_recipient_of_any_live_link' });
  });
});
