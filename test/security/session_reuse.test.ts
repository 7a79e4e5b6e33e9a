/**
 * A live session carries a person only where a fresh browser for the same address would be sent
 * a code (ASVS 5.0 6.3.4: every authentication pathway enforces the same rule). Without
 * `sharing_id`, a client signs in only the recipients of its live links and people the directory
 * knows — a session included.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { adminClient, filesClient, openSignIn, rpClient, signIn, startGuestpass, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('security: a live session is held to the rule a code is (ASVS 5.0 6.3.4)', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let api: ManagementApi;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { clients: [rpClient, filesClient, adminClient] } });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  const target = () => ({ rp: files, browser: () => gp.browser() });

  it('does not sign a session in silently at a client without sharing_id once the person is on none of its live links', async () => {
    const link = (await api.post<LinkBody>('/links', { resource: 'files/plan.pdf', recipients: ['sam@example.org'] })).body;
    const { journey } = await signIn(target(), smtp, 'sam@example.org', { sharing_id: link.id });

    // While Sam is on a live link of this client, the session carries over without sharing_id.
    const whileShared = await openSignIn(target(), {}, journey.browser);
    expect(whileShared.page.leftTo, 'signed in silently while a recipient').to.match(/^http:\/\/files\.test\/callback\?code=/);

    expect((await api.delete(`/links/${link.id}`)).status).to.equal(204);
    const afterRemoval = await openSignIn(target(), {}, journey.browser);
    expect(afterRemoval.page.leftTo, 'no code for a session whose person has no access any more').to.equal(undefined);
    expect(visibleText(afterRemoval.page.body)).to.contain('sam@example.org'.replace(/^s.*@/, 's***@'));

    // The same as a fresh browser gets: the code page, and no mail.
    const fresh = await openSignIn(target());
    const before = smtp.mailsTo('sam@example.org').length;
    await submitEmail(fresh, 'sam@example.org');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mailsTo('sam@example.org')).to.have.length(before);
  });
});
