/**
 * What people do in the browser, one step each, written against what they see (labels, roles,
 * headings) wherever the step is about one language, and against the forms' actions where a
 * step serves every language. Each page also records what the person would not see: script
 * errors and Content-Security-Policy refusals, which a test then asserts are absent.
 */
import { expect } from 'chai';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

import { codeFrom, type SmtpCapture } from '../../support/smtp.ts';
import type { RunningServers } from './servers.ts';

/** Every page is seen at this size, so the screenshots are comparable from one run to the next. */
export const viewport = { width: 800, height: 900 };

export interface PersonOptions {
  /** Sets `navigator.language` and the Accept-Language header. */
  locale?: string;
  /** Needed to inject axe-core; leave it off elsewhere, so the pages' own CSP is enforced. */
  bypassCSP?: boolean;
  colorScheme?: 'light' | 'dark';
}

/** A browser profile of its own: one person on one device, with cookies nobody else shares. */
export async function newPerson(browser: Browser, { locale = 'en-US', bypassCSP = false, colorScheme = 'light' }: PersonOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale, timezoneId: 'UTC', colorScheme, reducedMotion: 'reduce', deviceScaleFactor: 1, acceptDownloads: true, bypassCSP });
  context.setDefaultTimeout(10_000);
  return context;
}

const problemsOf = new WeakMap<Page, string[]>();

/** A new tab that records script errors and CSP refusals (see `expectNoPageProblems`). */
export async function openTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`script error on ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP on ${page.url()}: ${message.text()}`);
  });
  problemsOf.set(page, problems);
  return page;
}

export function expectNoPageProblems(page: Page): void {
  expect(problemsOf.get(page) ?? [], 'script errors or CSP refusals').to.deep.equal([]);
}

/**
 * Runs an action that leaves the page (a submit, a link, Enter in a form) and waits until the
 * next document has loaded; answers that document's response (after redirects).
 */
export async function nextPage(page: Page, action: () => Promise<unknown>): Promise<Response> {
  const response = page.waitForResponse((candidate) => candidate.request().isNavigationRequest() && candidate.frame() === page.mainFrame() && (candidate.status() < 300 || candidate.status() >= 400));
  const loaded = page.waitForEvent('load');
  await action();
  const [final] = await Promise.all([response, loaded]);
  return final;
}

/** The page's h1; a failure shows the whole page text, which usually says what went wrong. */
export async function expectHeading(page: Page, title: string): Promise<void> {
  const heading = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  if (heading !== title) expect.fail(`expected the page "${title}", got "${heading}" at ${page.url()}:\n${await page.locator('body').innerText()}`);
}

export async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

// --- the owner -----------------------------------------------------------------------------------

/** The owner shares a file through the file host's owner page, in a browser of their own; answers the link to send. */
export async function shareFromOwnerPage(servers: RunningServers, file: string, emails: string): Promise<string> {
  const context = await newPerson(servers.browser);
  try {
    const page = await openTab(context);
    await page.goto(`${servers.fileHostUrl}/`);
    const section = page.getByRole('region', { name: file, exact: true });
    await section.getByLabel('Share with').fill(emails);
    await nextPage(page, () => section.getByRole('button', { name: `Share ${file}`, exact: true }).click());
    await expectHeading(page, file);
    const linkUrl = await page.getByLabel('Send them this link').inputValue();
    expectNoPageProblems(page);
    return linkUrl;
  } finally {
    await context.close();
  }
}

// --- the recipient at guestpass (any language) -------------------------------------------------------

/** Every address gets the same answer, a page to go on from: a 4xx or 5xx here is a bug, shown with the page's words. */
export async function enterEmail(page: Page, email: string): Promise<Response> {
  await page.locator('#email').fill(email);
  const response = await nextPage(page, () => page.locator('form[action$="/email"] button[type=submit]').click());
  if (response.status() >= 400) expect.fail(`the email form answered ${response.status()}:\n${await page.locator('body').innerText()}`);
  return response;
}

export async function enterCode(page: Page, code: string): Promise<Response> {
  await page.locator('#code').fill(code);
  return nextPage(page, () => page.locator('form[action$="/code"] button[type=submit]').click());
}

/** The code in the `nth` mail to this address (waiting for it to arrive). */
export async function mailedCode(smtp: SmtpCapture, email: string, nth = 1): Promise<string> {
  return codeFrom(await smtp.waitForMail(email, { nth }));
}

/** A code of the same length that is certainly not `code`. */
export function wrongCodeFor(code: string): string {
  return [...code].map((digit) => String((Number(digit) + 1) % 10)).join('');
}

/** Opens the link, enters the address and the code from the mail: ends on the file host's download page. */
export async function signInThroughLink(servers: RunningServers, page: Page, linkUrl: string, email: string): Promise<void> {
  await page.goto(linkUrl);
  const before = servers.smtp.mailsTo(email).length;
  await enterEmail(page, email);
  await enterCode(page, await mailedCode(servers.smtp, email, before + 1));
  expect(page.url(), 'back at the file host').to.equal(linkUrl);
}

/** The code page's countdown in seconds, as the page shows it now (any language: the number before " s."). */
export async function countdownSeconds(page: Page): Promise<number | 'now'> {
  const text = await page.locator('#resend-timer').innerText();
  const seconds = /(\d+) s\.$/.exec(text.trim())?.[1];
  return seconds === undefined ? 'now' : Number(seconds);
}

/** Waits until the delivery line says the mail went out (it follows the delivery every 2 s). */
export async function waitUntilDelivered(page: Page): Promise<void> {
  await page.locator('[data-delivery="sent"]').waitFor();
}
