/**
 * Every page a recipient can meet — guestpass's sign-in, invitation, logout and error pages, its
 * demo relying party, and the example file host's owner and recipient pages — on a narrow phone:
 * at 320 and 390 px wide nothing scrolls sideways (support/fit.ts), and at 320 px axe-core finds
 * no serious or critical violation. guestpass runs with an organisation's own logo and accent
 * colour here, so the contrast of a configured colour is checked on every page too; the file host
 * shows its logo and policy links on the sign-in pages, with a name long enough to wrap.
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';

import { seriousViolations } from './support/axe.ts';
import { fitAt, fitProblems, phoneWidths, restoreViewport } from './support/fit.ts';
import { holdCountdownAtStart, saveScreenshot, steadyDynamicValues } from './support/screenshots.ts';
import { brandedOrganization, startServers, workDomain, type RunningServers } from './support/servers.ts';
import {
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
  type PersonOptions,
} from './support/steps.ts';

/** A relying party's name long enough to need several lines on a phone. */
const longFileHostName = 'Example File Host of the Regional Directorate for Shared Documents, Archives and Records Management';

describe('every page on a 320 and 390 px wide phone, with an organisation\'s own branding', () => {
  let servers: RunningServers;
  const found: string[] = [];

  before(async () => {
    servers = await startServers({ workProvider: true, demo: true, branding: true, fileHostName: longFileHostName });
  });
  after(async () => {
    await servers?.stop();
  });
  beforeEach(() => {
    found.length = 0;
  });

  async function tab(options: Omit<PersonOptions, 'bypassCSP'> = {}): Promise<Page> {
    return openTab(await newPerson(servers.browser, { ...options, bypassCSP: true }));
  }

  /**
   * Measures the page at each phone width and checks it with axe at the narrowest; what fails is
   * kept for `expectAllFit`. `screenshot` photographs it at one of the widths, for the docs.
   */
  async function check(page: Page, what: string, screenshot?: { name: string; width: (typeof phoneWidths)[number] }): Promise<void> {
    const where = `${what} (${new URL(page.url()).pathname})`;
    for (const width of phoneWidths) {
      for (const problem of fitProblems(await fitAt(page, width))) found.push(`${where} ${problem}`);
    }
    await fitAt(page, phoneWidths[0]);
    const violations = await seriousViolations(page);
    for (const violation of violations) found.push(`${where} at ${phoneWidths[0]} px: ${violation.impact} ${violation.id} — ${violation.help} ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
    if (screenshot) {
      await fitAt(page, screenshot.width);
      await steadyDynamicValues(page);
      await saveScreenshot(page, screenshot.name);
    }
    await restoreViewport(page);
  }

  function expectAllFit(): void {
    expect(found, found.join('\n')).to.deep.equal([]);
  }

  it('the file host\'s owner pages, its recipient pages, and guestpass\'s email and code pages between them', async () => {
    const page = await tab();
    await page.goto(`${servers.fileHostUrl}/`);
    await check(page, 'the file host\'s owner home page');
    await shareFromOwnerPage(servers, 'q3-report.txt', 'ada@example.org, bartholomew.featherstonehaugh@subsidiary.example.co.uk');
    await page.goto(`${servers.fileHostUrl}/files/q3-report.txt`);
    await expectHeading(page, 'q3-report.txt');
    await check(page, 'the file host\'s page of a shared file, with its table of recipients', { name: '15-phone-file-host-recipients', width: 390 });
    await page.goto(`${servers.fileHostUrl}/s/${'A'.repeat(32)}`);
    await check(page, 'the file host\'s "Link not found"');

    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'ada@example.org');
    const recipient = await tab();
    await recipient.goto(linkUrl);
    await expectHeading(recipient, 'Verify your email');
    expect(await recipient.locator('header').innerText()).to.equal(brandedOrganization.name);
    await check(recipient, 'the email page of a link', { name: '14-phone-email-branded', width: 320 });
    await enterEmail(recipient, 'ada@localhost');
    await check(recipient, 'the email page saying the address is not one');
    await enterEmail(recipient, 'ada@example.org');
    await expectHeading(recipient, 'Enter your code');
    await check(recipient, 'the code page');
    const code = await mailedCode(servers.smtp, 'ada@example.org');
    await enterCode(recipient, wrongCodeFor(code));
    await check(recipient, 'the code page after a wrong code');
    await enterCode(recipient, code);
    await expectHeading(recipient, 'roadmap.md shared with you');
    await check(recipient, 'the file host\'s download page');
    expectAllFit();
  });

  it('the relying party\'s logo, long name and links at 320 px, under the page\'s own CSP', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'roadmap.md', 'cleo@example.org');
    // The pages' CSP enforced: the logo must load from exactly the origin it allows.
    const page = await openTab(await newPerson(servers.browser));
    const logoFetches = servers.clientSite.logoRequests.length;
    await page.goto(linkUrl);
    await expectHeading(page, 'Verify your email');
    await fitAt(page, 320);
    const client = (await page.evaluate(`(() => {
      const box = (selector) => { const rect = document.querySelector(selector).getBoundingClientRect(); return { left: rect.left, right: rect.right, width: rect.width, height: rect.height }; };
      const logo = document.querySelector('.client-logo');
      return { logo: box('.client-logo'), loaded: logo.complete && logo.naturalWidth > 0, name: box('.client-name'), card: box('main.card'), lineHeight: parseFloat(getComputedStyle(document.querySelector('.client-name')).lineHeight) };
    })()`)) as { logo: { width: number; height: number; right: number }; loaded: boolean; name: { left: number; right: number; height: number }; card: { left: number; right: number }; lineHeight: number };
    expect(client.loaded, 'the logo loaded under the CSP').to.equal(true);
    expect(client.logo.width, 'the logo keeps its bounded box').to.be.at.most(48);
    expect(client.logo.height).to.be.at.most(48);
    expect(client.name.height, 'the long name wraps onto several lines').to.be.at.least(2 * client.lineHeight);
    expect(client.name.left).to.be.at.least(client.logo.right);
    expect(client.name.right, 'and stays inside the card').to.be.at.most(client.card.right);
    expect(fitProblems(await fitAt(page, 320))).to.deep.equal([]);
    expect(await page.getByRole('link', { name: 'Privacy policy' }).getAttribute('rel')).to.equal('noopener noreferrer');
    expect(await page.getByRole('link', { name: 'Terms of service' }).getAttribute('referrerpolicy')).to.equal('no-referrer');
    expect(servers.clientSite.logoRequests.slice(logoFetches), 'fetched without a Referer').to.deep.equal([{ referer: undefined }]);
    await saveScreenshot(page, '17-phone-email-client');
    expectNoPageProblems(page);
    await restoreViewport(page);
  });

  it('a link that is not theirs, choosing an account, signing out, and the error pages', async () => {
    const ninasLink = await shareFromOwnerPage(servers, 'roadmap.md', 'nina@example.org');
    const omarsLink = await shareFromOwnerPage(servers, 'budget.csv', 'omar@example.org');
    const page = await tab();
    await signInThroughLink(servers, page, ninasLink, 'nina@example.org');
    await page.goto(omarsLink);
    await expectHeading(page, 'No access to this link');
    await check(page, 'the wrong-account page');

    const chooser = new URL(`${servers.gp.issuer}/auth`);
    chooser.search = new URLSearchParams({ client_id: 'demo', redirect_uri: `${servers.gp.issuer}/demo/callback`, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', prompt: 'select_account' }).toString();
    await page.goto(chooser.href);
    await expectHeading(page, 'Choose an account');
    await check(page, 'the account chooser');

    await page.goto(`${servers.gp.issuer}/session/end`);
    await expectHeading(page, 'Sign out?');
    await check(page, 'the logout confirmation');
    await nextPage(page, () => page.getByRole('button', { name: 'Sign out', exact: true }).click());
    await expectHeading(page, 'Signed out');
    await check(page, 'the signed-out page');

    await page.goto(`${servers.gp.issuer}/auth?client_id=file-host&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://elsewhere.example/callback')}`);
    await expectHeading(page, 'Something went wrong');
    await page.locator('details summary').click();
    await check(page, 'the error page of an invalid request, its details open');
    await page.goto(`${servers.gp.issuer}/invitations/${'A'.repeat(43)}`);
    await check(page, 'the page of an unknown invitation');
    await page.goto(`${servers.fileHostUrl}/callback?code=x&state=y`);
    await check(page, 'the file host\'s "This sign-in cannot be completed"');
    expectAllFit();
  });

  it('the access-removed page, and the work-account offer and its failure', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'logo.svg', 'dan@example.org');
    const invited = await servers.admin.post<{ user: { id: string } }>('/invitations', { email: 'dan@example.org', sendInvitationMail: false });
    expect((await servers.admin.patch(`/users/${invited.body.user.id}`, { disabled: true })).status).to.equal(200);
    const page = await tab();
    await page.goto(linkUrl);
    await enterEmail(page, 'dan@example.org');
    await expectHeading(page, 'Access removed');
    await check(page, 'the access-removed page');

    const email = `otto@${workDomain}`;
    servers.work!.accounts.set('someone-else', { email: `eve@${workDomain}`, email_verified: true });
    const offered = await shareFromOwnerPage(servers, 'budget.csv', email);
    const recipient = await tab();
    await recipient.goto(offered);
    await enterEmail(recipient, email);
    await enterCode(recipient, await mailedCode(servers.smtp, email));
    await expectHeading(recipient, 'Use your work account next time?');
    await check(recipient, 'the work-account offer');
    await nextPage(recipient, () => recipient.locator('button[value=accept]').click());
    await recipient.locator('input[name=login]').fill('someone-else');
    await recipient.locator('input[name=password]').fill('any');
    await nextPage(recipient, () => recipient.locator('button[type=submit]').first().click());
    if (await recipient.locator('input[name=prompt][value=consent]').count()) await nextPage(recipient, () => recipient.locator('button[type=submit]').first().click());
    await expectHeading(recipient, 'Your work account was not linked');
    await check(recipient, 'the page of a work account that was not linked');
    expectAllFit();
  });

  it('an invitation, from the redeem URL to the page after it', async () => {
    const invited = await servers.inviter.post<{ inviteRedeemUrl: string }>('/invitations', { email: 'ivy@example.org', sendInvitationMail: false, redirectUrl: `${servers.fileHostUrl}/` });
    expect(invited.status, JSON.stringify(invited.body)).to.equal(201);
    const page = await tab();
    await page.goto(invited.body.inviteRedeemUrl);
    await expectHeading(page, 'Accept your invitation');
    await check(page, 'the invitation\'s email page');
    await enterEmail(page, 'ivy@example.org');
    await check(page, 'the invitation\'s code page');
    await enterCode(page, await mailedCode(servers.smtp, 'ivy@example.org'));
    expect(page.url(), 'on to the invitation\'s redirectUrl').to.equal(`${servers.fileHostUrl}/`);

    const withoutRedirect = await servers.inviter.post<{ inviteRedeemUrl: string }>('/invitations', { email: 'ida@example.org', sendInvitationMail: false });
    const other = await tab();
    await other.goto(withoutRedirect.body.inviteRedeemUrl);
    await enterEmail(other, 'ida@example.org');
    await enterCode(other, await mailedCode(servers.smtp, 'ida@example.org'));
    await expectHeading(other, 'Invitation accepted');
    await check(other, 'the page after an invitation is accepted');
    expectAllFit();
  });

  it('a German recipient in dark mode, with the accent\'s dark shade', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'budget.csv', 'juergen.mueller-luedenscheidt@example.de');
    const page = await tab({ locale: 'de-DE', colorScheme: 'dark' });
    await page.goto(linkUrl);
    await expectHeading(page, 'E-Mail-Adresse bestätigen');
    await check(page, 'the German email page, dark');
    await enterEmail(page, 'juergen.mueller-luedenscheidt@example.de');
    await expectHeading(page, 'Code eingeben');
    await waitUntilDelivered(page);
    await holdCountdownAtStart(page);
    await check(page, 'the German code page, dark', { name: '16-phone-code-german-dark', width: 390 });
    expectAllFit();
  });

  it('the demo: its home page, a sign-in without a link, the claims, and a failed sign-in', async () => {
    const page = await tab();
    await page.goto(`${servers.gp.issuer}/demo`);
    await check(page, 'the demo\'s home page');
    await page.getByLabel(/^Email/).fill('dora.the.explorer.with.a.long.address@example.org');
    await nextPage(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    await expectHeading(page, 'Verify your email');
    expect(await mainText(page)).to.not.match(/\blink\b/);
    await check(page, 'the email page of a sign-in without a link');
    await enterEmail(page, 'dora.the.explorer.with.a.long.address@example.org');
    expect(await mainText(page)).to.not.match(/\blink\b/);
    await check(page, 'the code page of a sign-in without a link');
    await enterCode(page, await mailedCode(servers.smtp, 'dora.the.explorer.with.a.long.address@example.org'));
    await expectHeading(page, 'Signed in');
    await check(page, 'the demo\'s claims page');
    await page.goto(`${servers.gp.issuer}/demo/callback?state=unknown&code=x`);
    await check(page, 'the demo\'s failed sign-in');
    expectAllFit();
  });
});
