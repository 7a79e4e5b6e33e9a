/**
 * The recipient's journey in real Chromium, against the real servers (test/browser/support/
 * servers.ts): an owner shares a file on the example file host, the recipient opens the link,
 * proves their address at guestpass with the mailed code, and downloads the file. guestpass
 * and the file host are two sites, and the pages' own CSP is enforced; each test ends by
 * checking that no page had a script error or a CSP refusal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page, Request as BrowserRequest } from 'playwright-core';

import { codeFrom } from '../support/smtp.ts';
import { sampleFilesDir, startServers, type RunningServers } from './support/servers.ts';
import {
  countdownSeconds,
  enterCode,
  enterEmail,
  expectHeading,
  expectNoPageProblems,
  mailedCode,
  mainText,
  newPerson,
  nextPage,
  openTab,
  shareFromOwnerPage,
  signInThroughLink,
  waitUntilDelivered,
  wrongCodeFor,
} from './support/steps.ts';

describe('a recipient in Chromium, from the shared link to the file', () => {
  let servers: RunningServers;

  before(async () => {
    servers = await startServers();
  });
  after(async () => {
    await servers?.stop();
  });

  async function recipientTab(): Promise<Page> {
    return openTab(await newPerson(servers.browser));
  }

  it('shares a file from the owner page; the recipient proves their address with the mailed code and downloads its exact bytes', async () => {
    const { browser, fileHostUrl, gp, smtp } = servers;
    const owner = await openTab(await newPerson(browser));
    await owner.goto(`${fileHostUrl}/`);
    await expectHeading(owner, 'Your files');
    const report = owner.getByRole('region', { name: 'q3-report.txt', exact: true });
    await report.getByLabel('Share with').fill('ada@example.org');
    await nextPage(owner, () => report.getByRole('button', { name: 'Share q3-report.txt', exact: true }).click());
    await expectHeading(owner, 'q3-report.txt');
    expect(await owner.getByRole('status').innerText()).to.contain('Shared q3-report.txt with 1 person.');
    const linkUrl = await owner.getByLabel('Send them this link').inputValue();
    expect(linkUrl).to.match(new RegExp(`^${fileHostUrl}/s/[A-Za-z0-9_-]{22,64}$`));

    const page = await recipientTab();
    await page.goto(linkUrl);
    expect(page.url().startsWith(`${gp.issuer}/interaction/`), 'the file host sent the browser to guestpass').to.equal(true);
    await expectHeading(page, 'Verify your email');
    expect(await mainText(page)).to.contain('Example File Host uses this page to check that you are one of the people it shared something with.');
    await page.getByLabel('Email address').fill('ada@example.org');
    await nextPage(page, () => page.getByRole('button', { name: 'Send code', exact: true }).click());

    await expectHeading(page, 'Enter your code');
    expect(await mainText(page)).to.contain('If a***@example.org has access, a 6-digit code is on its way to it. The code works for 10 minutes, once.');
    const mail = await smtp.waitForMail('ada@example.org');
    expect(mail.subject).to.equal('Your verification code for guestpass');
    await page.getByLabel('Code', { exact: true }).fill(codeFrom(mail));
    const landed = await nextPage(page, () => page.getByRole('button', { name: 'Verify', exact: true }).click());

    expect(page.url()).to.equal(linkUrl);
    expect(landed.status()).to.equal(200);
    await expectHeading(page, 'q3-report.txt shared with you');
    expect(await mainText(page)).to.contain('Signed in as ada@example.org (adhoc).');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download q3-report.txt' }).click()]);
    expect(download.suggestedFilename()).to.equal('q3-report.txt');
    expect(readFileSync(await download.path()).equals(readFileSync(join(sampleFilesDir, 'q3-report.txt'))), 'the downloaded bytes are the sample file').to.equal(true);
    expectNoPageProblems(owner);
    expectNoPageProblems(page);
  });

  it('sends its own forms with Origin: null, as every no-referrer page does, and guestpass and the file host accept them', async () => {
    const page = await recipientTab();
    const posts: BrowserRequest[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(request);
    });
    // A real browser reads Referrer-Policy: no-referrer as "send Origin: null" for the page's own
    // POSTs; a server that refuses that refuses every person with a browser.
    await page.goto(`${servers.fileHostUrl}/`);
    const budget = page.getByRole('region', { name: 'budget.csv', exact: true });
    await budget.getByLabel('Share with').fill('olga@example.org');
    const shared = await nextPage(page, () => budget.getByRole('button', { name: 'Share budget.csv', exact: true }).click());
    expect(shared.status(), await mainText(page)).to.equal(200);
    const linkUrl = await page.getByLabel('Send them this link').inputValue();

    await page.goto(linkUrl);
    const codePage = await enterEmail(page, 'olga@example.org');
    expect(codePage.status(), await mainText(page)).to.equal(200);
    await expectHeading(page, 'Enter your code');
    const sent = await Promise.all(posts.map(async (request) => ({ url: request.url(), headers: await request.allHeaders() })));
    expect(sent.map(({ url, headers }) => ({ to: new URL(url).origin, origin: headers.origin, site: headers['sec-fetch-site'] }))).to.deep.equal([
      { to: servers.fileHostUrl, origin: 'null', site: 'same-origin' },
      { to: servers.gp.issuer, origin: 'null', site: 'same-origin' },
    ]);
    expectNoPageProblems(page);
  });

  it('says how many tries are left after a wrong code, marks the field invalid, and then accepts the right code', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'bea@example.org');
    const page = await recipientTab();
    await page.goto(linkUrl);
    await enterEmail(page, 'bea@example.org');
    const code = await mailedCode(servers.smtp, 'bea@example.org');

    const refused = await enterCode(page, wrongCodeFor(code));
    expect(refused.status()).to.equal(200);
    await expectHeading(page, 'Enter your code');
    expect(await page.getByRole('alert').innerText()).to.equal('That code is not right. 4 tries left.');
    const field = page.getByLabel('Code', { exact: true });
    expect(await field.getAttribute('aria-invalid')).to.equal('true');
    expect(await field.getAttribute('aria-describedby'), 'the field is described by the notice').to.equal(await page.getByRole('alert').getAttribute('id'));
    expect(await field.inputValue(), 'the wrong code is not kept').to.equal('');

    await enterCode(page, code);
    expect(page.url()).to.equal(linkUrl);
    await expectHeading(page, 'roadmap.md shared with you');
    expectNoPageProblems(page);
  });

  it('counts the resend button down while it is disabled, enables it after the cooldown, and a resend mails a code that replaces the first', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'budget.csv', 'cleo@example.org');
    const context = await newPerson(servers.browser);
    // The device's clock agrees with guestpass's and flows as real time does, until the test moves both.
    await context.clock.install({ time: servers.clock.now() });
    const page = await openTab(context);
    await page.goto(linkUrl);
    await enterEmail(page, 'cleo@example.org');
    const resend = page.getByRole('button', { name: 'Send a new code', exact: true });

    expect(await resend.isDisabled(), 'no new code during the cooldown').to.equal(true);
    const first = await countdownSeconds(page);
    expect(first).to.be.a('number').within(57, 60);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await countdownSeconds(page);
    expect(later, 'the page counts down by itself').to.be.a('number').below(first as number);
    expect(await page.locator('#resend-timer').innerText()).to.equal(`You can ask for a new code in ${later} s.`);
    expect(await resend.isDisabled()).to.equal(true);

    servers.clock.advanceSeconds(61);
    await page.clock.fastForward(61_000);
    await nextPage(page, () => page.reload());
    expect(await page.locator('#resend-timer').innerText()).to.equal('You can ask for a new code now.');
    expect(await resend.isEnabled(), 'the cooldown is over').to.equal(true);

    const firstCode = await mailedCode(servers.smtp, 'cleo@example.org');
    await nextPage(page, () => resend.click());
    await expectHeading(page, 'Enter your code');
    expect(await page.getByRole('status').filter({ hasText: 'new code' }).innerText()).to.equal('If this address has access, a new code is on its way. Earlier codes no longer work.');
    const secondCode = await mailedCode(servers.smtp, 'cleo@example.org', 2);
    expect(await resend.isDisabled(), 'a new cooldown starts').to.equal(true);

    if (secondCode !== firstCode) {
      await enterCode(page, firstCode);
      expect(await page.getByRole('alert').innerText(), 'the first code is dead').to.equal('That code is not right. 4 tries left.');
    }
    await enterCode(page, secondCode);
    await expectHeading(page, 'budget.csv shared with you');
    expectNoPageProblems(page);
  });

  // The page says how many seconds are left, and the script counts from the page's arrival, so a
  // device whose clock is off shows the right countdown (it once counted to an instant on
  // guestpass's clock with the device's clock).
  it('counts the resend cooldown from guestpass\'s answer, whatever the device\'s clock says', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'vera@example.org');
    const context = await newPerson(servers.browser);
    await context.clock.install({ time: servers.clock.now() - 5 * 60_000 }); // this laptop is five minutes slow
    const page = await openTab(context);
    await page.goto(linkUrl);
    await enterEmail(page, 'vera@example.org');
    expect(await countdownSeconds(page), 'the cooldown is 60 s').to.be.a('number').at.most(60);

    servers.clock.advanceSeconds(61);
    await page.clock.fastForward(61_000);
    await nextPage(page, () => page.reload());
    expect(await page.locator('#resend-timer').innerText()).to.equal('You can ask for a new code now.');
    expect(await page.getByRole('button', { name: 'Send a new code', exact: true }).isEnabled()).to.equal(true);
  });

  it('shows whoever opens a forwarded link the same page as a recipient, and mails them nothing', async () => {
    // Same first letter, same domain: even the masked address reads the same.
    const linkUrl = await shareFromOwnerPage(servers, 'logo.svg', 'rita@example.org');
    const recipient = await recipientTab();
    const forwardee = await recipientTab();
    const answers = await Promise.all(
      ([[recipient, 'rita@example.org'], [forwardee, 'rob@example.org']] as const).map(async ([page, email]) => {
        await page.goto(linkUrl);
        const response = await enterEmail(page, email);
        await waitUntilDelivered(page);
        return { status: response.status(), path: new URL(page.url()).pathname.replace(/[^/]+$/, '<uid>'), text: withoutCountdown(await page.locator('body').innerText()) };
      }),
    );
    expect(answers[0]!.text).to.contain('If r***@example.org has access, a 6-digit code is on its way to it.');
    expect(answers[1], 'the forwardee sees what the recipient sees').to.deep.equal(answers[0]);

    const ritasCode = await mailedCode(servers.smtp, 'rita@example.org');
    await servers.smtp.expectNoMail('rob@example.org');

    const wrong = await Promise.all(
      [recipient, forwardee].map(async (page) => {
        await enterCode(page, wrongCodeFor(ritasCode));
        return withoutCountdown(await page.locator('body').innerText());
      }),
    );
    expect(wrong[1], 'and the same answer to a wrong code').to.equal(wrong[0]);
    expect(wrong[0]).to.contain('That code is not right. 4 tries left.');
    expectNoPageProblems(recipient);
    expectNoPageProblems(forwardee);
  });

  it('tells a browser signed in as one recipient that another link is not theirs, naming only the signed-in address, and offers another address', async () => {
    const ninasLink = await shareFromOwnerPage(servers, 'q3-report.txt', 'nina@example.org');
    const omarsLink = await shareFromOwnerPage(servers, 'roadmap.md', 'omar@example.org');
    const page = await recipientTab();
    await signInThroughLink(servers, page, ninasLink, 'nina@example.org');
    const mailsBefore = servers.smtp.mails.length;

    await page.goto(omarsLink);
    await expectHeading(page, 'No access to this link');
    const text = await mainText(page);
    expect(text).to.contain('You are signed in as n***@example.org, and the link you opened is not shared with that address.');
    expect(text).to.contain('If it was shared with another of your addresses, use that one.');
    expect(text, 'nothing about whom the link was shared with').to.not.match(/o\*\*\*|omar/i);

    await nextPage(page, () => page.getByRole('button', { name: 'Use a different email address', exact: true }).click());
    await expectHeading(page, 'Verify your email');
    expect(await page.getByLabel('Email address').inputValue(), 'another address: the field is empty').to.equal('');
    expect(servers.smtp.mails.length, 'no mail to anyone').to.equal(mailsBefore);
    expectNoPageProblems(page);
  });
});

/** The body text with the countdown's seconds blanked: two pages loaded a moment apart differ only there. */
function withoutCountdown(text: string): string {
  return text.replace(/new code in \d+ s\./g, 'new code in … s.');
}
