/**
 * "Did you mean …?" for a configuration key nobody knows: the known key nearest to it by edit
 * distance, among the keys of the same parent (a typo changes a name, not where it sits).
 */
import { configKeys } from './reference.ts';

/**
 * Edit distance with adjacent transpositions (optimal string alignment), case-insensitive: `ulr`
 * is one step from `url`, and a key typed with the wrong case is still that key.
 */
export function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  const rows: number[][] = [Array.from({ length: right.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= left.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= right.length; j += 1) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && left[i - 1] === right[j - 2] && left[i - 2] === right[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[left.length]![right.length]!;
}

/** The nearest known name among `candidates`, when it is near enough to be a typo of `name`. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

let knownPaths: string[] | undefined;

/**
 * The known key an unknown dotted path (`policy.otp.lenght`, `clients[0].redirect_uri`) was
 * probably meant to be, spelled with the same array indices; undefined when none is near.
 */
export function nearestConfigKey(path: string): string | undefined {
  knownPaths ??= configKeys().map((key) => key.path);
  const generic = path.replace(/\[\d+\]/g, '[]');
  const cut = Math.max(generic.lastIndexOf('.'), generic.lastIndexOf(']'));
  const parent = cut < 0 ? '' : generic.slice(0, cut + 1);
  const name = generic.slice(cut + 1);
  const siblings = knownPaths.filter((known) => known.startsWith(parent) && !/[.[]/.test(known.slice(parent.length))).map((known) => known.slice(parent.length));
  const match = nearest(name, siblings);
  if (match === undefined) return undefined;
  // Back to the indices the input used: `clients[0].redirect_uris`, not `clients[].redirect_uris`.
  return `${path.slice(0, path.length - name.length)}${match}`;
}
