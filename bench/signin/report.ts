/** The printed tables of `npm run bench:signin`, each figure with its target beside it where the issue sets one. */
import { formatTable, median } from '../measure.ts';
import type { Summary } from './load.ts';
import type { RedisCost } from './redis_cost.ts';
import type { TokenSummary } from './token_endpoint.ts';
import { stepNames } from './journey.ts';

export const targets = { redisRatio: 0.9, p99OverP50: 2, commandsPerSignIn: 40 };

/**
 * guestpass's figures when issue 13 was opened (this bench, main before the hot-path work), so
 * each run shows how far it has come: commands per sign-in executed and sent, bytes kept.
 */
export const beforeIssue13 = { executed: 162.7, sent: 75.4, retainedBytes: 7600 };

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const percent = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(0)}%`);
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

export interface Pair {
  store: string;
  guestpass: Summary;
  baseline: Summary;
  /** guestpass with `outbox.codeMailJitter: false`: what the rest costs, without the timing defence's wait. */
  jitterOff?: boolean;
}

/** The ratio of each round (guestpass and baseline ran back to back in it), and their median. */
export function pairRatios(pair: Pair): { median: number; rounds: number[] } {
  const rounds = pair.guestpass.rates.map((rate, index) => rate / pair.baseline.rates[index]!);
  return { median: median(rounds), rounds };
}

export function signInTable(summaries: readonly { label: string; summary: Summary }[]): string {
  return formatTable(
    ['', 'sign-ins/s', 'p50 ms', 'p99 ms', 'p99/p50', 'done', 'errors'],
    summaries.map(({ label, summary }) => [
      label,
      fixed(summary.rate, 1),
      fixed(summary.p50),
      fixed(summary.p99),
      fixed(summary.p99 / summary.p50, 2),
      String(summary.completed),
      String(summary.errors),
    ]),
  );
}

/** Who was busy: each process's share of one core, and its CPU time per sign-in (which load elsewhere does not change). */
export function cpuTable(summaries: readonly { label: string; summary: Summary }[]): string {
  const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(1));
  return formatTable(
    ['CPU: % of one core · ms per sign-in', 'server', 'ms', 'redis', 'ms', 'driver', 'ms', 'others', 'machine'],
    summaries.map(({ label, summary: { cpuPercent, cpuMsPerSignIn } }) => [
      label,
      percent(cpuPercent.server),
      ms(cpuMsPerSignIn.server),
      percent(cpuPercent.redis),
      ms(cpuMsPerSignIn.redis),
      percent(cpuPercent.driver),
      ms(cpuMsPerSignIn.driver),
      percent(cpuPercent.others),
      percent(cpuPercent.machine),
    ]),
  );
}

/** Whether the driver could be what limits the rate: its CPU per sign-in against the server's. */
export function driverLine(summaries: readonly { label: string; summary: Summary }[]): string {
  const shares = summaries.map(({ summary }) => summary.cpuMsPerSignIn.driver / summary.cpuMsPerSignIn.server);
  const busiest = Math.max(...summaries.map(({ summary }) => summary.cpuPercent.driver));
  return `driver (HTTP client, cookie jars, SMTP sink): ${(Math.min(...shares) * 100).toFixed(0)}–${(Math.max(...shares) * 100).toFixed(0)}% of the server's CPU per sign-in, at most ${busiest.toFixed(0)}% of one core`;
}

export function ratioLines(pairs: readonly Pair[], concurrency: number): string {
  const lines = pairs.map((pair) => {
    const { median: ratio, rounds } = pairRatios(pair);
    const goal = pair.jitterOff
      ? '   (code mails queued right after the answer: what the rest costs; the difference to the line above is the price of the timing defence, SPEC §2)'
      : pair.store === 'redis'
        ? `   target ≥ ${targets.redisRatio.toFixed(2)}×: ${verdict(ratio >= targets.redisRatio)}`
        : '   (no target)';
    const name = pair.jitterOff ? 'redis, no mail jitter' : pair.store.padEnd(6);
    return `${name} sign-ins/s guestpass/baseline ${ratio.toFixed(2)}×  (rounds: ${rounds.map((value) => value.toFixed(2)).join(' ')})${goal}`;
  });
  const tails = pairs.flatMap((pair) =>
    (pair.jitterOff ? (['guestpass'] as const) : (['guestpass', 'baseline'] as const)).map((system) => {
      const { p50, p99 } = pair[system];
      return `${system}${pair.jitterOff && system === 'guestpass' ? ', no mail jitter' : ''} · ${pair.store} ${(p99 / p50).toFixed(2)}× ${p99 / p50 <= targets.p99OverP50 ? '✓' : '✗'}`;
    }),
  );
  return [...lines, `p99 ≤ ${targets.p99OverP50}× p50 at concurrency ${concurrency}: ${tails.join(', ')}`].join('\n');
}

export function stepTable(summaries: readonly { label: string; summary: Summary }[]): string {
  return formatTable(
    ['median ms per step', ...stepNames],
    summaries.map(({ label, summary }) => [label, ...stepNames.map((step) => fixed(summary.steps[step], 1))]),
  );
}

export function errorLines(summaries: readonly { label: string; summary: Summary }[]): string {
  return summaries
    .filter(({ summary }) => summary.errors > 0)
    .map(({ label, summary }) => `${label}: ${summary.errors} failed sign-ins, e.g. ${summary.firstErrors.join(' | ')}`)
    .join('\n');
}

export function commandTable(cost: RedisCost, top = 12): string {
  const shown = cost.commands.slice(0, top);
  const rest = cost.commands.slice(top);
  const sum = (pick: (count: RedisCost['commands'][number]) => number) => rest.reduce((total, count) => total + pick(count), 0);
  const rows = shown.map((count) => [count.command, fixed(count.executed, 1), fixed(count.sent, 1), fixed(count.inScripts, 1)]);
  if (rest.length) rows.push([`${rest.length} others`, fixed(sum((count) => count.executed), 1), fixed(sum((count) => count.sent), 1), fixed(sum((count) => count.inScripts), 1)]);
  const scripted = cost.commands.reduce((total, count) => total + count.inScripts, 0);
  rows.push(['total', fixed(cost.executedPerSignIn, 1), fixed(cost.sentPerSignIn, 1), fixed(scripted, 1)]);
  return formatTable([`${cost.label} (${cost.signIns} sign-ins)`, 'executed', 'sent', 'in scripts'], rows);
}

export function commandVerdict(guestpass: RedisCost, baseline: RedisCost): string {
  return [
    'how counted: executed = every command Redis ran, a Lua script\'s own calls included (INFO commandstats);',
    '             sent = the commands the server sent over the wire, each parsed and answered by Redis (MONITOR): what scripts lower',
    `commands per sign-in, executed (commandstats): guestpass ${fixed(guestpass.executedPerSignIn, 1)}, baseline ${fixed(baseline.executedPerSignIn, 1)}   target ≤ ${targets.commandsPerSignIn} for guestpass: ${verdict(guestpass.executedPerSignIn <= targets.commandsPerSignIn)}`,
    `commands per sign-in, sent by the server (MONITOR): guestpass ${fixed(guestpass.sentPerSignIn, 1)}, baseline ${fixed(baseline.sentPerSignIn, 1)}   target ≤ ${targets.commandsPerSignIn} for guestpass: ${verdict(guestpass.sentPerSignIn <= targets.commandsPerSignIn)}`,
    `  (guestpass when issue 13 was opened: ${beforeIssue13.executed} executed, ${beforeIssue13.sent} sent)`,
  ].join('\n');
}

/** Bytes kept per sign-in, against the baseline and against guestpass before issue 13; the target is "only what must outlive the sign-in". */
export function retainedVerdict(guestpass: RedisCost, baseline: RedisCost): string {
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  return (
    `bytes kept per sign-in (MEMORY USAGE): guestpass ${kb(guestpass.retainedBytesPerSignIn)}, baseline ${kb(baseline.retainedBytesPerSignIn)} ` +
    `(${(guestpass.retainedBytesPerSignIn / baseline.retainedBytesPerSignIn).toFixed(1)}×); guestpass when issue 13 was opened: ${kb(beforeIssue13.retainedBytes)}   ` +
    'target: nothing that need not outlive the sign-in (see the table)'
  );
}

export function retainedTable(cost: RedisCost, top = 24): string {
  const shown = cost.patterns.slice(0, top);
  const rest = cost.patterns.slice(top);
  const rows = shown.map((pattern) => [pattern.pattern, fixed(pattern.keysAdded, 2), fixed(pattern.bytesAdded)]);
  if (rest.length) rows.push([`${rest.length} other patterns`, fixed(rest.reduce((total, pattern) => total + pattern.keysAdded, 0), 2), fixed(rest.reduce((total, pattern) => total + pattern.bytesAdded, 0))]);
  rows.push(['total (MEMORY USAGE)', fixed(cost.keysPerSignIn, 2), fixed(cost.retainedBytesPerSignIn)]);
  rows.push(['used_memory growth', '', fixed(cost.usedMemoryPerSignIn)]);
  return formatTable([`${cost.label}: kept per sign-in`, 'keys', 'bytes'], rows);
}

export function tokenTable(summaries: readonly TokenSummary[]): string {
  const baselineFor = (summary: TokenSummary) => summaries.find((other) => other.alg === summary.alg && other.label === summary.label.replace('guestpass', 'baseline'));
  return formatTable(
    ['token endpoint', 'ID token', 'exchanges/s', 'p50 ms', 'p99 ms', 'rate guestpass/baseline'],
    summaries.map((summary) => {
      const baseline = summary.label.startsWith('guestpass') ? baselineFor(summary) : undefined;
      const ratio = baseline ? median(summary.rates.map((rate, index) => rate / baseline.rates[index]!)) : undefined;
      return [summary.label, summary.alg, fixed(summary.rate), fixed(summary.p50, 1), fixed(summary.p99, 1), ratio === undefined ? '' : `${ratio.toFixed(2)}×`];
    }),
  );
}
