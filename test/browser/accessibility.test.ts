/**
 * Every page a recipient sees — guestpass's and the example file host's — checked with axe-core
 * (WCAG 2.0/2.1 A and AA, and best practice): no serious or critical violation. The same walk
 * saves a screenshot of each page for the README (support/screenshots.ts; the index is
 * test/browser/screenshots/README.md). axe-core is injected into the page, so these contexts
 * bypass the pages' CSP; the other suites keep it enforced.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';

import { seriousViolations, type AxeViolation } from './support/axe.ts';
import { holdCountdownAtStart, saveScreenshot } from './support/screenshots.ts';
import { startServers, workDomain, type RunningServers } from './support/servers.ts';
import {
  enterCode,
  enterEmail,
  expectHeading,
  mailedCode,
  newPerson,
  nextPage,
  openTab,
  shareFromOwnerPage,
  signInThroughLink,
  waitUntilDelivered,
  wrongCodeFor,
  type PersonOptions,
} from './support/steps.ts';


describe('the pages a recipient sees, checked with axe-core and photographed', () => {
  let servers: RunningServers;

  before(async () => {
    servers = await startServers({ workProvider: true });
  });
  after(async () => {
    await servers?.stop();
  });

  async function tab(options: Omit<PersonOptions, 'bypassCSP'> = {}): Promise<Page> {
    return openTab(await newPerson(servers.browser, { ...options, bypassCSP: true }));
  }

  it('the email page, the code page, a wrong code, and the file host\'s download page', async () => {
    const audit = new Audit();
    const linkUrl = await shareFromOwnerPage(servers, 'q3-report.txt', 'ada@example.org');
    const page = await tab();
    await page.goto(linkUrl);
    await expectHeading(page, 'Verify your email');
    expect(await page.evaluate(`document.querySelector('.client-logo')?.naturalWidth ?? 0`), 'the file host\'s logo is on the page axe checks').to.be.greaterThan(0);
    await saveScreenshot(page, '01-email');
    await audit.check(page, 'the email page');

    // Chromium lets this address through (type=email), guestpass does not: the page with its notice.
    await enterEmail(page, 'ada@localhost');
    expect(await page.getByRole('alert').innerText()).to.equal('That does not look like an email address. Check it and try again.');
    await audit.check(page, 'the email page saying the address is not one');

    await enterEmail(page, 'ada@example.org');
    await expectHeading(page, 'Enter your code');
    await waitUntilDelivered(page);
    await holdCountdownAtStart(page);
    await saveScreenshot(page, '02-code');
    await audit.check(page, 'the code page');

    const code = await mailedCode(servers.smtp, 'ada@example.org');
    await enterCode(page, wrongCodeFor(code));
    expect(await page.getByRole('alert').innerText()).to.equal('That code is not right. 4 tries left.');
    await waitUntilDelivered(page);
    await holdCountdownAtStart(page);
    await saveScreenshot(page, '03-code-wrong-code');
    await audit.check(page, 'the code page after a wrong code');

    await enterCode(page, code);
    await expectHeading(page, 'q3-report.txt shared with you');
    await saveScreenshot(page, '04-file-host-download');
    await audit.check(page, 'the file host\'s download page');
    audit.expectClean();
  });

  it('the pages of a signed-in recipient: a link that is not theirs, the logout confirmation, signed out', async () => {
    const audit = new Audit();
    const ninasLink = await shareFromOwnerPage(servers, 'roadmap.md', 'nina@example.org');
    const omarsLink = await shareFromOwnerPage(servers, 'budget.csv', 'omar@example.org');
    const page = await tab();
    await signInThroughLink(servers, page, ninasLink, 'nina@example.org');

    await page.goto(omarsLink);
    await expectHeading(page, 'No access to this link');
    await saveScreenshot(page, '05-wrong-account');
    await audit.check(page, 'the wrong-account page');

    await page.goto(`${servers.gp.issuer}/session/end`);
    await expectHeading(page, 'Sign out?');
    await saveScreenshot(page, '08-logout');
    await audit.check(page, 'the logout confirmation');
    await nextPage(page, () => page.getByRole('button', { name: 'Sign out', exact: true }).click());
    await expectHeading(page, 'Signed out');
    await saveScreenshot(page, '11-signed-out');
    await audit.check(page, 'the signed-out page');
    audit.expectClean();
  });

  it('the access-removed page of a person the organisation disabled', async () => {
    const audit = new Audit();
    const linkUrl = await shareFromOwnerPage(servers, 'logo.svg', 'dan@example.org');
    const invited = await servers.admin.post<{ user: { id: string } }>('/invitations', { email: 'dan@example.org', sendInvitationMail: false });
    expect(invited.status, JSON.stringify(invited.body)).to.equal(201);
    expect((await servers.admin.patch(`/users/${invited.body.user.id}`, { disabled: true })).status).to.equal(200);

    const page = await tab();
    await page.goto(linkUrl);
    await enterEmail(page, 'dan@example.org');
    await expectHeading(page, 'Access removed');
    expect(await page.locator('main').innerText()).to.contain('Access for d***@example.org has been removed by guestpass.');
    await saveScreenshot(page, '06-access-removed');
    await audit.check(page, 'the access-removed page');
    audit.expectClean();
  });

  it('the Italian email and code pages', async () => {
    const audit = new Audit();
    const linkUrl = await shareFromOwnerPage(servers, 'q3-report.txt', 'mario@example.it');
    const page = await tab({ locale: 'it-IT' });
    await page.goto(linkUrl);
    await expectHeading(page, 'Verifica la tua email');
    await audit.check(page, 'the Italian email page');
    await enterEmail(page, 'mario@example.it');
    await expectHeading(page, 'Inserisci il codice');
    await waitUntilDelivered(page);
    await holdCountdownAtStart(page);
    await saveScreenshot(page, '07-code-italian');
    await audit.check(page, 'the Italian code page');
    audit.expectClean();
  });

  it('the error page of a sign-in that expired while the code page stood open', async () => {
    const audit = new Audit();
    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'eve@example.org');
    const page = await tab();
    await page.goto(linkUrl);
    await enterEmail(page, 'eve@example.org');
    const code = await mailedCode(servers.smtp, 'eve@example.org');
    // An hour on, the browser has dropped guestpass's interaction cookie (it lives as long as the sign-in).
    await page.context().clearCookies({ name: 'gp_interaction' });
    const answer = await enterCode(page, code);
    expect(answer.status()).to.equal(400);
    await expectHeading(page, 'Something went wrong');
    expect(await page.locator('main').innerText()).to.contain('This sign-in page has expired or was already used. Go back to the app or link and open it again.');
    await saveScreenshot(page, '09-expired-sign-in');
    await audit.check(page, 'the error page of an expired sign-in');
    audit.expectClean();
  });

  it('the offer to use a work account next time', async () => {
    const audit = new Audit();
    const email = `otto@${workDomain}`;
    const linkUrl = await shareFromOwnerPage(servers, 'budget.csv', email);
    const page = await tab();
    await page.goto(linkUrl);
    await enterEmail(page, email);
    await enterCode(page, await mailedCode(servers.smtp, email));
    await expectHeading(page, 'Use your work account next time?');
    await saveScreenshot(page, '10-upgrade-offer');
    await audit.check(page, 'the work-account offer');
    await nextPage(page, () => page.getByRole('button', { name: 'Not now, continue', exact: true }).click());
    await expectHeading(page, 'budget.csv shared with you');
    audit.expectClean();
  });

  it('the invitation pages: who invited the guest, and what happens after accepting', async () => {
    const audit = new Audit();
    const invited = await servers.inviter.post<{ inviteRedeemUrl: string }>('/invitations', { email: 'ines@example.org', sendInvitationMail: false });
    expect(invited.status, JSON.stringify(invited.body)).to.equal(201);
    const page = await tab();
    await page.goto(invited.body.inviteRedeemUrl);
    await expectHeading(page, 'Accept your invitation');
    expect(await page.locator('main').innerText()).to.contain('Partner Portal invited you to guestpass as a guest.');
    await saveScreenshot(page, '12-invitation');
    await audit.check(page, 'the invitation page');
    await enterEmail(page, 'ines@example.org');
    await enterCode(page, await mailedCode(servers.smtp, 'ines@example.org'));
    await expectHeading(page, 'Invitation accepted');
    await saveScreenshot(page, '13-invitation-accepted');
    await audit.check(page, 'the page after an invitation is accepted');
    audit.expectClean();
  });

  it('the code page with a wrong-code notice and the download page, in dark mode', async () => {
    const audit = new Audit();
    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'zoe@example.org');
    const page = await tab({ colorScheme: 'dark' });
    await page.goto(linkUrl);
    await enterEmail(page, 'zoe@example.org');
    const code = await mailedCode(servers.smtp, 'zoe@example.org');
    await enterCode(page, wrongCodeFor(code));
    await expectHeading(page, 'Enter your code');
    await audit.check(page, 'the code page after a wrong code, dark');
    await enterCode(page, code);
    await expectHeading(page, 'roadmap.md shared with you');
    await audit.check(page, 'the file host\'s download page, dark');
    audit.expectClean();
  });

  it('the file host\'s refusals and its owner pages', async () => {
    const audit = new Audit();
    const page = await tab();
    await page.goto(`${servers.fileHostUrl}/s/${'A'.repeat(32)}`);
    await expectHeading(page, 'Link not found');
    await audit.check(page, 'the file host\'s "Link not found"');
    await page.goto(`${servers.fileHostUrl}/callback?code=x&state=y`);
    await expectHeading(page, 'This sign-in cannot be completed');
    await audit.check(page, 'the file host\'s "This sign-in cannot be completed"');

    await page.goto(`${servers.fileHostUrl}/`);
    await audit.check(page, 'the file host\'s owner home page');
    await shareFromOwnerPage(servers, 'logo.svg', 'pia@example.org');
    await page.goto(`${servers.fileHostUrl}/files/logo.svg`);
    await audit.check(page, 'the file host\'s page of a shared file');
    audit.expectClean();
  });
});

/**
 * Collects the serious and critical violations of every page a test checks and prints them,
 * so that one run lists them all rather than stopping at the first page that has one.
 */
class Audit {
  readonly #found: string[] = [];

  async check(page: Page, what: string): Promise<void> {
    const violations = await seriousViolations(page);
    if (violations.length === 0) return;
    const report = `${what} (${page.url()}):\n${violations.map(describeViolation).join('\n')}`;
    console.error(`axe-core: ${report}`);
    this.#found.push(report);
  }

  expectClean(): void {
    expect(this.#found, `serious or critical accessibility violations:\n${this.#found.join('\n')}`).to.deep.equal([]);
  }
}

function describeViolation(violation: AxeViolation): string {
  return `  ${violation.impact} ${violation.id}: ${violation.help}\n${violation.nodes.map((node) => `    ${JSON.stringify(node.target)}`).join('\n')}`;
}
