/** Small statistics for tests that must tell "the same distribution" from "a different one". */

function logFactorial(n: number): number {
  let sum = 0;
  for (let k = 2; k <= n; k += 1) sum += Math.log(k);
  return sum;
}

/** Probability of one 2×2 table with these margins (hypergeometric). */
function tableProbability(a: number, b: number, c: number, d: number): number {
  const n = a + b + c + d;
  return Math.exp(
    logFactorial(a + b) + logFactorial(c + d) + logFactorial(a + c) + logFactorial(b + d) - logFactorial(n) - logFactorial(a) - logFactorial(b) - logFactorial(c) - logFactorial(d),
  );
}

/**
 * Fisher's exact test, two-sided, for the table [[a, b], [c, d]] (group 1: a yes, b no; group 2:
 * c yes, d no): the probability, if both groups came from one distribution, of a table at least
 * as unlikely as this one.
 */
export function fisherExactTwoSided(a: number, b: number, c: number, d: number): number {
  const rowOne = a + b;
  const columnOne = a + c;
  const n = a + b + c + d;
  const observed = tableProbability(a, b, c, d);
  let p = 0;
  for (let x = Math.max(0, columnOne - (n - rowOne)); x <= Math.min(rowOne, columnOne); x += 1) {
    const probability = tableProbability(x, rowOne - x, columnOne - x, n - rowOne - columnOne + x);
    // A relative tolerance, so tables as likely as the observed one are counted despite rounding.
    if (probability <= observed * (1 + 1e-7)) p += probability;
  }
  return Math.min(1, p);
}
