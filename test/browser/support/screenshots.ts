/**
 * Screenshots of the pages a recipient sees, for the README: `SCREENSHOT_DIR` (default
 * `test/browser/screenshots/`), stable names, a fixed viewport, and nothing that moves on
 * them (the caret is hidden, and the resend countdown is held at its first second).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';

export function screenshotDir(): string {
  return resolve(process.env.SCREENSHOT_DIR ?? join(import.meta.dirname, '..', 'screenshots'));
}

/** Saves the whole page as `<dir>/<name>.png`. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const dir = screenshotDir();
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
}

/**
 * Holds the code page's countdown still for a screenshot, at the number the page arrived with:
 * the script counts down from the moment it ran, within a second of the navigation, so fixing
 * the time to one second after the navigation began stops it there.
 */
export async function holdCountdownAtStart(page: Page): Promise<void> {
  const timer = page.locator('#resend-timer');
  const secondsLeft = Number(await timer.getAttribute('data-seconds-left'));
  const navigationStart = await page.evaluate(() => performance.timeOrigin);
  await page.clock.setFixedTime(Math.floor(navigationStart) + 1000);
  // The number, wherever the language puts it in the sentence ("in 60 s.", "in 60 s anfordern.").
  await timer.filter({ hasText: secondsLeft > 0 ? new RegExp(`\\b${secondsLeft} s\\b`) : /\.$/ }).waitFor();
}

/**
 * Sets what differs from one run to the next — `<time>` elements, and the fields holding a link's
 * random address on a port of the run — to fixed sample values, after the page was checked and before it is
 * photographed, so the picture changes only when the page's layout or wording does.
 */
export async function steadyDynamicValues(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    for (const time of document.querySelectorAll('time')) time.textContent = '2026-05-04 09:30 UTC';
    for (const input of document.querySelectorAll('input[readonly]')) input.value = input.value.replace(/^https?:\\/\\/[^/]+\\/s\\/[A-Za-z0-9_-]+$/, 'http://localhost:4000/s/Vq3cT9xLk2mR8wZp4nB7yH');
  })()`);
}
