/**
 * Whether a page fits a narrow phone: at 320 and 390 CSS pixels wide, the document is no wider
 * than the window (`document.documentElement.scrollWidth <= innerWidth`), so nobody has to
 * scroll sideways, and a sign-in card keeps a margin from the screen's edges. A page that does
 * not fit is reported with its width and the elements that stick out, the first thing to look at.
 */
import type { Page } from 'playwright-core';

import { viewport } from './steps.ts';

export const phoneWidths = [320, 390] as const;

/** The least room between a card and the screen's edge. */
export const cardMarginPx = 8;

export interface Fit {
  width: number;
  scrollWidth: number;
  /** The least space between guestpass's card (`main.card`) and either edge; undefined on pages without one. */
  cardMargin: number | undefined;
  /** The outermost elements whose right edge, or content, is past the window, as `tag#id.class (right px)`. */
  overflowing: string[];
}

/**
 * Runs in the page. A string, because this project's TypeScript knows no DOM, and because tsx
 * would wrap a named function in a helper the page does not have.
 */
const measureScript = `(() => {
  const overflows = (element) => element.getBoundingClientRect().right > innerWidth + 0.5 || element.getBoundingClientRect().left + element.scrollWidth > innerWidth + 0.5;
  const past = [...document.body.querySelectorAll('*')].filter(overflows);
  const outermost = past.filter((element) => !past.includes(element.parentElement));
  const card = document.querySelector('main.card')?.getBoundingClientRect();
  return {
    scrollWidth: document.documentElement.scrollWidth,
    cardMargin: card ? Math.round(Math.min(card.left, innerWidth - card.right)) : null,
    overflowing: outermost.slice(0, 5).map((element) => ({ tag: element.tagName.toLowerCase(), id: element.id, classes: [...element.classList], right: Math.round(element.getBoundingClientRect().left + element.scrollWidth) })),
  };
})()`;

/** Lays the page out at `width` and measures it (the height is a phone's; it does not matter here). */
export async function fitAt(page: Page, width: number): Promise<Fit> {
  await page.setViewportSize({ width, height: 800 });
  const measured = (await page.evaluate(measureScript)) as { scrollWidth: number; cardMargin: number | null; overflowing: { tag: string; id: string; classes: string[]; right: number }[] };
  return {
    width,
    scrollWidth: measured.scrollWidth,
    cardMargin: measured.cardMargin ?? undefined,
    overflowing: measured.overflowing.map(({ tag, id, classes, right }) => `${tag}${id ? `#${id}` : ''}${classes.map((name) => `.${name}`).join('')} (to ${right} px)`),
  };
}

/** What is wrong with a fit, if anything. */
export function fitProblems(fit: Fit): string[] {
  return [
    ...(fit.scrollWidth > fit.width ? [`is ${fit.scrollWidth} px wide at ${fit.width} px: ${fit.overflowing.join(', ')}`] : []),
    ...(fit.cardMargin !== undefined && fit.cardMargin < cardMarginPx ? [`has its card ${fit.cardMargin} px from the screen's edge at ${fit.width} px`] : []),
  ];
}

export async function restoreViewport(page: Page): Promise<void> {
  await page.setViewportSize(viewport);
}
