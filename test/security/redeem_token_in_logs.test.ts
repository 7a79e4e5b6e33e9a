/**
 * A redeem URL's token stays out of the logs however the URL is spelled (ASVS 5.0 16.2.5): the
 * router matches paths case-insensitively and decodes percent-escapes, so `/INVITATIONS/<token>`
 * and `/invitations/%41…` open the same invitation as the URL that was mailed.
 */
import { expect } from 'chai';

import { loggablePath } from '../../src/log.ts';
import { adminClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type InvitationBody } from '../support/management.ts';
import { capturingLogger } from '../support/log_capture.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('security: a redeem token reaches no log line, however its URL is spelled (ASVS 5.0 16.2.5)', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  const capture = capturingLogger('trace');

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { clients: [rpClient, adminClient] }, deps: { logger: capture.logger } });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('redacts the token in an upper-case or percent-encoded redeem path, which open the invitation all the same', async () => {
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:write');
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'spelled@example.org' });
    const token = new URL(invited.body.inviteRedeemUrl).pathname.split('/').pop()!;
    const encoded = [...token].map((character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const spellings = [`/INVITATIONS/${token}`, `/Invitations/${token}`, `/invitations/${encoded}`, `/invitations/${token.slice(0, 20)}%${token.charCodeAt(20).toString(16)}${token.slice(21)}`];
    for (const path of spellings) {
      const opened = await fetch(`${gp.issuer}${path}`, { redirect: 'manual' });
      expect(opened.status, `${path} opens the invitation`).to.equal(303);
    }
    const log = capture.text();
    expect(log).to.contain('"path":"/INVITATIONS/[redacted]"');
    expect(log, 'the token').to.not.contain(token);
    expect(log, 'the percent-encoded token').to.not.contain(encoded);
    expect(log, 'part of the token').to.not.contain(token.slice(21));
  });

  it('carries neither the ticket cookie a redeem URL hands out nor the ticket id of the sign-in it starts', async () => {
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:write');
    const invited = await admin.post<InvitationBody>('/invitations', { email: 'ticket@example.org' });
    const browser = gp.browser();
    const page = await browser.get(invited.body.inviteRedeemUrl);
    await browser.submit(page, '/email', { email: 'ticket@example.org' });
    const ticket = browser.cookie('gp_invitation')!.value;
    const ticketId = new URL(page.history.find((url) => url.includes('invitation='))!).searchParams.get('invitation')!;
    const log = capture.text();
    expect(log, 'the ticket').to.not.contain(ticket);
    expect(log, 'the ticket id').to.not.contain(ticketId);
  });

  it('keeps the done page, which carries no secret in its path, readable', () => {
    expect(loggablePath('/invitations/done?state=x')).to.equal('/invitations/done');
    expect(loggablePath('/Invitations/Done')).to.equal('/Invitations/Done');
  });
});
