/** Rules both stores keep for every list. */
import type { Page } from '../store/paging.ts';

export function assertPageLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`a page limit must be a positive integer, not ${limit}`);
}

/**
 * Lists read one match more than the page holds: that one only says that another page exists,
 * and the page's last item is where the next one starts.
 */
export function toPage<T>(found: T[], limit: number, cursorAfter: (last: T) => string): Page<T> {
  const more = found.length > limit;
  const page = found.slice(0, limit);
  return { items: page, nextCursor: more ? cursorAfter(page.at(-1)!) : null };
}
