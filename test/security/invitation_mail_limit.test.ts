/**
 * Invitation mail is capped per address (ASVS 5.0 2.4.1: anti-automation), so a management
 * client cannot turn guestpass into a mail cannon aimed at one person.
 */
import { expect } from 'chai';

import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody } from '../support/management.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('security: invitation mail is rate limited (ASVS 5.0 2.4.1)', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let admin: ManagementApi;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, clock, config: { clients: [rpClient, filesClient, adminClient], rateLimits: { invitationMailsPerAddressPerHour: 3 } } });
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('sends at most invitationMailsPerAddressPerHour invitation mails to an address, then answers 429 with Retry-After', async () => {
    for (let index = 0; index < 3; index += 1) {
      expect((await admin.post<InvitationBody>('/invitations', { email: 'target@example.org', sendInvitationMail: true })).status).to.equal(201);
    }
    const refused = await admin.post('/invitations', { email: 'target@example.org', sendInvitationMail: true });
    expect(refused.status).to.equal(429);
    expect(refused.body).to.include({ error: 'too_many_requests' });
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 3600);
    await smtp.waitForMail('target@example.org', { nth: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mailsTo('target@example.org')).to.have.length(3);
    // Without a mail the invitation is still made; an hour later mail goes out again.
    expect((await admin.post('/invitations', { email: 'target@example.org' })).status).to.equal(201);
    clock.advanceSeconds(3601);
    expect((await admin.post('/invitations', { email: 'target@example.org', sendInvitationMail: true })).status).to.equal(201);
  });
});
