/**
 * UNFIXED — found attacking issue 9's fixes; kept out of `npm test` on purpose (the file name
 * does not end in `.test.ts`). Each test below fails today and shows a way an outsider still tells
 * a person who was sent a code from one who was not (SPEC §2). Run them with:
 *
 *   npx mocha --no-config --node-option import=tsx --extension ts \
 *     --require test/support/global_fixtures.ts --timeout 30000 --exit test/security/observers.unfixed.ts
 *
 * 1. The per-address state an attacker sees through the code page ("N tries left", whether the
 *    current code still exists) changes when the real person signs in — the failure count is
 *    reset and their code is consumed — which a withheld code can never cause.
 * 2. The transport health behind "delayed" is learnt only from real mails: when the relay starts
 *    refusing every mail, the first address actually sent a code sees "delayed", an address that
 *    was not still sees "Sent." until some real mail has failed.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, openSignIn, signIn, startGuestpass, submitCode, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('UNFIXED (attack on issue 9): what an observer still learns from per-address state and transport health', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let link: LinkBody;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, clock, config: { clients: [filesClient, adminClient], rateLimits: { codesPerIpPerHour: 1000 } } });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    const api = await ManagementApi.as(gp.issuer, filesClient, 'links:write');
    link = (await api.post<LinkBody>('/links', { resource: 'files/board-minutes.pdf', recipients: ['recipient@example.org', 'outage-recipient@example.org'] })).body;
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  const target = () => ({ rp: files, browser: () => gp.browser() });

  /** The attacker's own sign-in for the link, with `email` entered: a code page, whether or not a code was sent. */
  async function codePageFor(email: string): Promise<Journey> {
    clock.advanceSeconds(61); // past the address's resend cooldown
    const journey = await openSignIn(target(), { sharing_id: link.id });
    await submitEmail(journey, email);
    return journey;
  }

  /** What the page says after `count` wrong entries. */
  async function guess(journey: Journey, count: number): Promise<string> {
    let text = '';
    for (let index = 0; index < count; index += 1) text = visibleText((await submitCode(journey, '000000')).body);
    return /That code is not right\.[^.]*\./.exec(text)?.[0] ?? text.slice(0, 200);
  }

  it('1. a recipient signing in is visible in the "tries left" a stranger\'s address keeps showing', async () => {
    // The attacker primes both addresses alike: six wrong entries over two of their own sign-ins.
    for (const email of ['recipient@example.org', 'stranger@example.org']) {
      await guess(await codePageFor(email), 4);
      await guess(await codePageFor(email), 2);
    }
    // The real recipient signs in, as recipients do.
    clock.advanceSeconds(61);
    await signIn(target(), smtp, 'recipient@example.org', { sharing_id: link.id });
    // One more wrong entry each: the pages should not differ.
    const recipientPage = await guess(await codePageFor('recipient@example.org'), 1);
    const strangerPage = await guess(await codePageFor('stranger@example.org'), 1);
    expect(recipientPage, 'the recipient\'s count was reset by their sign-in').to.equal(strangerPage);
  });

  it('2. during a relay outage, "delayed" shows for a recipient while a stranger still reads "Sent."', async () => {
    smtp.refuseNext(5, 451, 'try again later', 'sender');
    const stranger = await codePageFor('outage-stranger@example.org');
    clock.advanceSeconds(5); // past the "sending" window: the page reads the relay's health
    const strangerLine = JSON.parse((await stranger.browser.get(`${stranger.page.url}/status`)).body) as { delivery: string };
    const recipient = await codePageFor('outage-recipient@example.org');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the real mail is tried (and refused) within this
    clock.advanceSeconds(5);
    const recipientLine = JSON.parse((await recipient.browser.get(`${recipient.page.url}/status`)).body) as { delivery: string };
    expect(recipientLine.delivery, 'the same relay, the same moment of the outage').to.equal(strangerLine.delivery);
  });
});
