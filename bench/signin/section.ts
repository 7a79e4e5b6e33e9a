/**
 * The short end-to-end section of `npm run bench`: the sign-in bench in its quick mode, reduced
 * to the figures that have targets. `npm run bench:signin` prints the whole of it, with longer rounds.
 */
import { benchSignIn } from './bench.ts';
import { parseOptions } from './options.ts';
import { commandVerdict, ratioLines, retainedVerdict, signInTable, tokenTable } from './report.ts';

export async function benchSignInSection(): Promise<string> {
  const options = parseOptions(['--quick']);
  const result = await benchSignIn(options, () => undefined);
  return [
    `end-to-end sign-in, quick (${options.rounds} alternating rounds of ${options.roundSeconds} s, concurrency ${options.concurrency}); the full run with breakdowns: npm run bench:signin`,
    'ratios here are rates, guestpass/baseline (1.00× = as fast as the bare oidc-provider baseline, below = slower)',
    signInTable(result.summaries),
    '',
    ratioLines(result.pairs, options.concurrency),
    commandVerdict(result.costs.guestpass, result.costs.baseline),
    retainedVerdict(result.costs.guestpass, result.costs.baseline),
    ...(result.capacity ? ['', result.capacity] : []),
    '',
    tokenTable(result.tokens),
  ].join('\n');
}
