/**
 * A person disabled while signing in is not signed in (SPEC §1: a disabled person gets a clear
 * page; ASVS 5.0 6.3.x): not with the code mailed before, not with the work account they were
 * sent to. Nothing says they signed in — no `SignedIn` in the audit, no access on the link's
 * report — and their directory record takes no identity.
 */
import { expect } from 'chai';

import type { AuditOperation } from '../../src/audit.ts';
import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, signIn, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody, type ListBody, type PersonBody } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';
import { signInAtWorkProvider, startWorkProvider, type RunningWorkProvider } from '../support/work_provider.ts';

describe('security: a person disabled during their sign-in is not signed in (SPEC §1)', () => {
  let smtp: SmtpCapture;
  let work: RunningWorkProvider;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let links: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    const port = await freePort();
    work = await startWorkProvider({
      clientId: 'guestpass',
      clientSecret: 'work-secret-for-tests',
      redirectUris: [`http://127.0.0.1:${port}/federation/partner/callback`],
      accounts: { 'late-at-work': { email: 'late@partner.example', email_verified: true } },
    });
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        port,
        clients: [filesClient, adminClient],
        federation: [{ id: 'partner', name: 'Partner work account', issuer: work.issuer, clientId: 'guestpass', clientSecret: 'work-secret-for-tests', domains: ['partner.example'] }],
      },
    });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    links = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
  });
  after(async () => {
    await gp?.close();
    await work?.stop();
    await smtp?.stop();
  });
  afterEach(() => clock.advanceSeconds(61));

  const target = () => ({ rp: files, browser: () => gp.browser().alsoFollow(work.issuer) });
  const audited = async (operation: AuditOperation, email: string) => (await gp.store.listAudit({ operation, email }, { limit: 20 })).items;
  const person = async (email: string) => (await admin.get<ListBody<PersonBody>>(`/users?email=${encodeURIComponent(email)}`)).body.items[0]!;

  it('refuses the code mailed before the person was disabled: "Access removed", no SignedIn, no access recorded', async () => {
    const { body: link } = await links.post<LinkBody>('/links', { resource: 'files/late.pdf', recipients: ['late-code@example.org'] });
    const first = await signIn(target(), smtp, 'late-code@example.org', { sharing_id: link.id });
    const stampedBefore = (await links.get<LinkBody>(`/links/${link.id}`)).body.recipients[0]!.lastAccessAt;
    clock.advanceSeconds(61);

    const journey = await openSignIn(target(), { sharing_id: link.id });
    await submitEmail(journey, 'late-code@example.org');
    const code = codeFrom(await smtp.waitForMail('late-code@example.org', { nth: 2 }));
    expect((await admin.patch(`/users/${first.claims.sub}`, { disabled: true })).status).to.equal(200);
    clock.advanceSeconds(5);
    const page = await submitCode(journey, code);

    expect(page.leftTo, 'nothing goes back to the relying party').to.equal(undefined);
    expect(visibleText(page.body)).to.contain('Access removed');
    expect(await audited('SignedIn', 'late-code@example.org'), 'only the sign-in before').to.have.length(1);
    expect((await links.get<LinkBody>(`/links/${link.id}`)).body.recipients[0]!.lastAccessAt).to.equal(stampedBefore);
  });

  it('links no work account and signs nobody in when the person is disabled while upstream for an upgrade', async () => {
    const { body: link } = await links.post<LinkBody>('/links', { resource: 'files/upgrade.pdf', recipients: ['late@partner.example'] });
    const journey = await openSignIn(target(), { sharing_id: link.id });
    await submitEmail(journey, 'late@partner.example');
    const upstream = await submitCode(journey, codeFrom(await smtp.waitForMail('late@partner.example')));
    expect(upstream.url.startsWith(work.issuer), 'the upgrade went to the work provider').to.equal(true);
    expect((await admin.patch(`/users/${(await person('late@partner.example')).id}`, { disabled: true })).status).to.equal(200);
    const back = await signInAtWorkProvider(journey.browser, upstream, 'late-at-work');

    expect(back.leftTo, 'nothing goes back to the relying party').to.equal(undefined);
    expect(visibleText(back.body)).to.contain('access for this address has been removed.');
    // Going on with the code alone ends at the same place.
    const continued = await journey.browser.submit(back, '/continue');
    expect(continued.leftTo).to.equal(undefined);
    expect(visibleText(continued.body)).to.contain('Access removed');
    const after = await person('late@partner.example');
    expect(after.identities).to.deep.equal([]);
    expect(after.userType).to.equal('adhoc');
    expect(await audited('SignedIn', 'late@partner.example')).to.deep.equal([]);
  });
});
