/**
 * A recipient who uses only the keyboard: every step is done with Tab, typing, Space and Enter
 * (`page.keyboard` alone, after opening the link). On each page the field to fill has the
 * focus on arrival, Tab reaches every control in the order of the page and comes back round,
 * and the focused control shows a visible focus ring.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';

import { sampleFilesDir, startServers, type RunningServers } from './support/servers.ts';
import { expectHeading, expectNoPageProblems, mailedCode, newPerson, nextPage, openTab, shareFromOwnerPage } from './support/steps.ts';

describe('a recipient using only the keyboard', () => {
  let servers: RunningServers;

  before(async () => {
    servers = await startServers();
  });
  after(async () => {
    await servers?.stop();
  });

  it('finds the focus in the field to fill, reaches every control with Tab, and completes the email and code steps and the download', async () => {
    const linkUrl = await shareFromOwnerPage(servers, 'q3-report.txt', 'kim@example.org');
    const context = await newPerson(servers.browser);
    const page = await openTab(context);
    const { keyboard } = page;
    await page.goto(linkUrl);

    await expectHeading(page, 'Verify your email');
    expect(await focusedElement(page), 'autofocus').to.equal('input#email');
    // The file host's policy links stand above the title (client metadata); the focus starts below them, in the field.
    await expectTabCycle(page, ['a "Privacy policy"', 'a "Terms of service"', 'input#email', 'button "Send code"', 'a "Deutsch"', 'a "Español"', 'a "Français"', 'a "Italiano"']);
    await keyboard.type('kim@example.org');
    await nextPage(page, () => keyboard.press('Enter'));

    await expectHeading(page, 'Enter your code');
    expect(await focusedElement(page), 'autofocus').to.equal('input#code');
    // The resend button is disabled during the cooldown, so Tab rightly passes it by.
    await expectTabCycle(page, ['a "Privacy policy"', 'a "Terms of service"', 'input#code', 'input#keep_signed_in', 'button "Verify"', 'button "Use a different email address"', 'a "Deutsch"', 'a "Español"', 'a "Français"', 'a "Italiano"']);
    await keyboard.press('Tab');
    expect(await focusedElement(page)).to.equal('input#keep_signed_in');
    await keyboard.press('Space');
    expect(await page.locator('#keep_signed_in').isChecked(), 'Space ticks "Keep me signed in"').to.equal(true);
    await keyboard.press('Shift+Tab');
    expect(await focusedElement(page)).to.equal('input#code');
    await keyboard.type(await mailedCode(servers.smtp, 'kim@example.org'));
    await nextPage(page, () => keyboard.press('Enter'));

    expect(page.url()).to.equal(linkUrl);
    await expectHeading(page, 'q3-report.txt shared with you');
    const session = (await context.cookies()).find((cookie) => cookie.name === 'gp_session');
    expect(session?.expires, '"Keep me signed in" made guestpass\'s cookie outlive the browser').to.be.greaterThan(Date.now() / 1000);
    await expectTabCycle(page, ['a "Example File Host"', 'a "Download q3-report.txt"']);
    while ((await focusedElement(page)) !== 'a "Download q3-report.txt"') await keyboard.press('Tab');
    const [download] = await Promise.all([page.waitForEvent('download'), keyboard.press('Enter')]);
    expect(readFileSync(await download.path()).equals(readFileSync(join(sampleFilesDir, 'q3-report.txt')))).to.equal(true);
    expectNoPageProblems(page);
  });
});

// The controls a person can operate: what Tab must reach, in the order of the page.
const interactive = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

interface ElementFacts {
  tag: string;
  id: string;
  text: string;
  focusRing: boolean;
}

/** `input#email`, `button "Send code"`, `a "Italiano"`; `none` when nothing on the page has the focus. */
function describeElement(facts: ElementFacts | undefined): string {
  if (!facts) return 'none';
  return facts.id && facts.tag === 'input' ? `input#${facts.id}` : `${facts.tag} "${facts.text}"`;
}

/** Runs in the page: what an element is, and whether it shows a focus ring (an outline of 2px or more). */
function elementFacts(element: { tagName: string; id: string; textContent: string | null; ownerDocument: { defaultView: { getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string } } | null } }): ElementFacts {
  const style = element.ownerDocument.defaultView?.getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase(),
    id: element.id,
    text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(),
    focusRing: style !== undefined && style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
  };
}

async function focusedFacts(page: Page): Promise<ElementFacts | undefined> {
  const focused = page.locator(':focus');
  if ((await focused.count()) === 0) return undefined;
  return focused.evaluate(elementFacts);
}

async function focusedElement(page: Page): Promise<string> {
  return describeElement(await focusedFacts(page));
}

/**
 * Presses Tab until the focus is back where it started, and checks that it met exactly the
 * page's controls, in page order, each with a visible focus ring.
 */
async function expectTabCycle(page: Page, controls: string[]): Promise<void> {
  const found = page.locator(interactive);
  const inPage: string[] = [];
  for (let index = 0; index < (await found.count()); index += 1) inPage.push(describeElement(await found.nth(index).evaluate(elementFacts)));
  expect(inPage, 'the controls on the page').to.deep.equal(controls);

  const start = await focusedElement(page);
  const met: string[] = [];
  for (let presses = 0; presses < 3 * controls.length + 3; presses += 1) {
    await page.keyboard.press('Tab');
    const facts = await focusedFacts(page);
    const now = describeElement(facts);
    if (now === start) {
      const cycle = start === 'none' ? met : [start, ...met];
      const from = controls.indexOf(cycle[0] ?? '');
      expect(cycle, 'Tab meets every control once, in page order').to.deep.equal([...controls.slice(from), ...controls.slice(0, from)]);
      return;
    }
    if (facts) {
      expect(facts.focusRing, `${now} shows where the focus is`).to.equal(true);
      met.push(now);
    }
  }
  expect.fail(`Tab never came back to ${start}; it met ${met.join(', ')}`);
}
