/**
 * The admin console in Chromium, against the real server on Redis: an admin opens /admin, signs
 * in through guestpass with the mailed code, finds a link by recipient and removes that
 * recipient, downloads the sharing report as CSV, and changes the reverification days. Every
 * console page then passes axe-core and has no horizontal scroll at 320 px; the screenshots in
 * docs/console.md come from this walk.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';

import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type LinkBody, type PersonBody } from '../support/management.ts';
import { freePort } from '../support/redis_server.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { accessibilityViolations } from './support/axe.ts';
import { launchChromium } from './support/chromium.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { enterCode, enterEmail, expectHeading, expectNoPageProblems, mailedCode, newPerson, nextPage, openTab } from './support/steps.ts';

describe('the admin console in Chromium', () => {
  const clock = new ManualClock();
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let chromium: Browser;
  let files: ManagementApi;
  let api: ManagementApi;

  before(async () => {
    smtp = await new SmtpCapture().start();
    const port = await freePort();
    gp = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        port,
        issuer: `http://localhost:${port}`,
        organization: { name: 'Contoso', domains: ['contoso.com'] },
        admin: { emails: ['boss@contoso.com'], auditorEmails: ['watcher@contoso.com'] },
        policy: { otp: { resendCooldownSeconds: 10, maxCodesPerHour: 50 } },
      },
    });
    chromium = await launchChromium();
    files = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    api = await ManagementApi.as(gp.issuer, adminClient, 'directory:read settings:write admin');
  });
  after(async () => {
    await chromium?.close();
    await gp?.close();
    await smtp?.stop();
  });

  /** Opens the console and signs in with the mailed code, as the README says; ends on the overview. */
  async function signIn(context: BrowserContext, email: string): Promise<Page> {
    clock.advanceSeconds(11);
    const page = await openTab(context);
    const before = smtp.mailsTo(email).length;
    await page.goto(`${gp.issuer}/admin`);
    await expectHeading(page, 'Verify your email');
    await enterEmail(page, email);
    await enterCode(page, await mailedCode(smtp, email, before + 1));
    await expectHeading(page, 'Overview');
    return page;
  }

  it('lets an admin find a link by recipient, remove them, download the sharing report as CSV and change the reverification days', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'board-minutes.docx', recipients: ['ada@example.org', 'bob@example.org'] })).body;
    await files.post<LinkBody>('/links', { resource: 'roadmap.pptx', recipients: ['bob@example.org'] });
    const context = await newPerson(chromium);
    try {
      const page = await signIn(context, 'boss@contoso.com');

      await nextPage(page, () => page.getByRole('navigation', { name: 'Console sections' }).getByRole('link', { name: 'Links' }).click());
      await page.getByLabel('Recipient').fill('ada@example.org');
      await nextPage(page, () => page.getByRole('button', { name: 'Find links' }).click());
      await nextPage(page, () => page.getByRole('link', { name: 'board-minutes.docx' }).click());
      await expectHeading(page, 'board-minutes.docx');
      await nextPage(page, () => page.getByRole('button', { name: 'Remove ada@example.org' }).click());
      expect(await page.getByRole('status').innerText()).to.equal('The recipient was removed from the link, and what guestpass issued them for it has ended.');
      expect((await files.get<LinkBody>(`/links/${link.id}`)).body.recipients.map((recipient) => recipient.email)).to.deep.equal(['bob@example.org']);

      await nextPage(page, () => page.getByRole('link', { name: 'Sharing report' }).click());
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download CSV' }).click();
      const csv = await readFile((await (await download).path())!, 'utf8');
      const rows = csv.trimEnd().split('\r\n');
      expect(rows[0]).to.equal('link_id,resource,client_id,expires_at,email,user_type,added_at,verified_at,last_access_at');
      expect(rows.slice(1).map((row) => row.split(',')[4]).sort()).to.deep.equal(['bob@example.org', 'bob@example.org']);

      await nextPage(page, () => page.getByRole('link', { name: 'Settings' }).click());
      await page.getByLabel('Reverification (days)').fill('14');
      await nextPage(page, () => page.getByRole('button', { name: 'Save the settings' }).click());
      expect(await page.getByRole('status').innerText()).to.contain('The settings were saved.');
      expect((await api.get<{ reverificationDays: number }>('/settings')).body.reverificationDays).to.equal(14);
      expectNoPageProblems(page);
    } finally {
      await context.close();
    }
  });

  it('exports the audit trail with progress, and works without JavaScript', async () => {
    const context = await newPerson(chromium);
    try {
      const page = await signIn(context, 'boss@contoso.com');
      await nextPage(page, () => page.getByRole('link', { name: 'Audit', exact: true }).click());
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Export every matching event (NDJSON)' }).click();
      const lines = (await readFile((await (await download).path())!, 'utf8')).trim().split('\n');
      expect(lines.length).to.be.greaterThan(3);
      expect(await page.locator('.progress').innerText()).to.equal(`Done: ${lines.length} events exported.`);
      expectNoPageProblems(page);
    } finally {
      await context.close();
    }
    const noScript = await chromium.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 900 } });
    try {
      const page = await signIn(noScript, 'boss@contoso.com');
      await nextPage(page, () => page.getByRole('link', { name: 'Settings' }).click());
      await page.getByLabel('Reverification (days)').fill('21');
      await nextPage(page, () => page.getByRole('button', { name: 'Save the settings' }).click());
      expect((await api.get<{ reverificationDays: number }>('/settings')).body.reverificationDays).to.equal(21);
    } finally {
      await noScript.close();
    }
  });

  it('passes axe-core on every console page, with no horizontal scroll at 320 px, and photographs them', async () => {
    const link = (await files.post<LinkBody>('/links', { resource: 'quarterly-numbers-with-a-rather-long-name-2030.xlsx', recipients: ['someone.with.a.long.address@partner-organisation.example', 'colleague@contoso.com'] })).body;
    const context = await newPerson(chromium, { bypassCSP: true });
    const problems: string[] = [];
    try {
      const page = await signIn(context, 'boss@contoso.com');
      const person = (await api.get<{ items: PersonBody[] }>('/users?email=boss@contoso.com')).body.items[0]!;
      const pages: [string, string, (() => Promise<unknown>)?][] = [
        ['console-overview', '/admin'],
        ['console-links', '/admin/links?recipient=someone.with.a.long.address@partner-organisation.example'],
        ['console-link', `/admin/links/${link.id}`],
        ['console-people', '/admin/people'],
        ['console-person', `/admin/people/${person.id}`],
        ['console-sharing-report', '/admin/reports/external-sharing'],
        ['console-audit', '/admin/audit'],
        ['console-settings', '/admin/settings'],
        ['console-clients', '/admin/clients'],
        ['console-client', `/admin/clients/${filesClient.client_id}`],
        [
          'console-client-registered',
          '/admin/clients',
          async () => {
            await page.getByLabel('Client name').fill('Fabrikam Files, a relying party with a long name');
            await page.getByLabel('Redirect URIs, one per line').fill('https://files.fabrikam.example/auth/callback');
            await nextPage(page, () => page.getByRole('button', { name: 'Register' }).click());
          },
        ],
        [
          'console-settings-refused',
          '/admin/settings',
          async () => {
            await page.getByLabel('Code length (digits)').evaluate((input) => input.removeAttribute('max'));
            await page.getByLabel('Code length (digits)').fill('12');
            await nextPage(page, () => page.getByRole('button', { name: 'Save the settings' }).click());
          },
        ],
        [
          'console-invited',
          '/admin/people',
          async () => {
            await page.getByLabel('Email', { exact: true }).fill('new.guest@partner-organisation.example');
            await page.getByLabel('Send the invitation by mail').uncheck();
            await nextPage(page, () => page.getByRole('button', { name: 'Invite' }).click());
          },
        ],
      ];
      for (const [name, path, act] of pages) {
        await page.setViewportSize({ width: 800, height: 900 });
        await page.goto(`${gp.issuer}${path}`);
        if (act) await act();
        for (const violation of await accessibilityViolations(page)) problems.push(`${name}: ${violation.id} (${violation.help}) at ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
        await saveScreenshot(page, name);
        for (const width of [320, 390]) {
          await page.setViewportSize({ width, height: 800 });
          const overflow = await horizontalOverflow(page);
          if (overflow > 0) problems.push(`${name}: ${overflow} px of horizontal scroll at ${width} px`);
        }
      }
      await page.setViewportSize({ width: 320, height: 800 });
      await saveScreenshot(page, 'console-invited-320');
      await nextPage(page, () => page.getByRole('button', { name: 'Sign out' }).click());
      await expectHeading(page, 'Signed out of the console');
      for (const violation of await accessibilityViolations(page)) problems.push(`signed out: ${violation.id}`);
      expect(await horizontalOverflow(page)).to.equal(0);
    } finally {
      await context.close();
    }
    expect(problems).to.deep.equal([]);
  });
});

/** How far the page scrolls sideways, in CSS pixels (0: it fits). */
function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
}
