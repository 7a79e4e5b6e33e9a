/** Signing in to the admin console as a person would, with the test browser: /admin, the email page, the mailed code, back at /admin. */
import { expect } from 'chai';

import type { Browser, PageResponse } from './browser.ts';
import { findForm } from './browser.ts';
import { codeFrom, type SmtpCapture } from './smtp.ts';

export interface ConsoleVisit {
  browser: Browser;
  page: PageResponse;
}

/** Opens `/admin` and enters the address; answers the page after the email (the code page, with or without a mail). */
export async function openConsoleSignIn(browser: Browser, email: string, path = '/admin'): Promise<PageResponse> {
  const page = await browser.get(path);
  expect(page.url, 'the console sends a stranger to the sign-in').to.match(/\/interaction\//);
  return browser.submit(page, '/email', { email });
}

export async function signInToConsole(open: () => Browser, smtp: SmtpCapture, email: string, path = '/admin'): Promise<ConsoleVisit> {
  const browser = open();
  const before = smtp.mailsTo(email).length;
  const codePage = await openConsoleSignIn(browser, email, path);
  const code = codeFrom(await smtp.waitForMail(email, { nth: before + 1 }));
  const page = await browser.submit(codePage, '/code', { code });
  return { browser, page };
}

/** The console session's CSRF token, from the sign-out form every page has. */
export function consoleCsrf(page: PageResponse): string {
  return findForm(page.body, '/admin/sign-out').hidden.csrf ?? '';
}
