/**
 * Timing for the benchmarks: warm up, then several short rounds, and report the median, so one
 * garbage collection or a noisy neighbour moves a figure less than it would move a mean.
 * Figures meant to be compared are measured interleaved, round by round.
 */

export interface MeasureOptions {
  warmupMs: number;
  roundMs: number;
  rounds: number;
}

export const defaultMeasureOptions: MeasureOptions = { warmupMs: 250, roundMs: 250, rounds: 5 };

export interface Measurement {
  /** Median over the rounds. */
  opsPerSecond: number;
  /** Operations run in all rounds together, warm-up excluded. */
  operations: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Round {
  count: number;
  elapsedMs: number;
}

/** Runs an operation for about `ms` milliseconds and says how often it ran. */
export type RoundRunner = (ms: number) => Round | Promise<Round>;

/** A synchronous function. The clock is read every `batch` calls so reading it costs little. */
export function syncRunner(operation: () => unknown, batch = 64): RoundRunner {
  return (ms) => {
    let count = 0;
    const started = performance.now();
    const deadline = started + ms;
    let now = started;
    while (now < deadline) {
      for (let index = 0; index < batch; index += 1) operation();
      count += batch;
      now = performance.now();
    }
    return { count, elapsedMs: now - started };
  };
}

/**
 * An asynchronous operation with `concurrency` calls in flight: that many workers each await one
 * call after another until the round is over. `operation` gets the worker's number and its own
 * running count, so workers can keep to keys of their own.
 */
export function asyncRunner(operation: (worker: number, sequence: number) => Promise<unknown>, concurrency = 1): RoundRunner {
  const sequences = new Array<number>(concurrency).fill(0);
  return async (ms) => {
    let count = 0;
    const started = performance.now();
    const deadline = started + ms;
    const worker = async (index: number) => {
      while (performance.now() < deadline) {
        await operation(index, sequences[index]!);
        sequences[index] = sequences[index]! + 1;
        count += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
    return { count, elapsedMs: performance.now() - started };
  };
}

/**
 * Measures several variants round by round, interleaved (A B C, A B C, …), so a change in the
 * machine's load during the run weighs on all of them alike and their ratios stay meaningful.
 */
export async function measureInterleaved<Name extends string>(
  runners: Record<Name, RoundRunner>,
  options: MeasureOptions = defaultMeasureOptions,
): Promise<Record<Name, Measurement>> {
  const names = Object.keys(runners) as Name[];
  for (const name of names) await runners[name](options.warmupMs);
  const rounds = new Map<Name, Round[]>(names.map((name) => [name, []]));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const name of names) rounds.get(name)!.push(await runners[name](options.roundMs));
  }
  return Object.fromEntries(names.map((name) => [name, summarize(rounds.get(name)!)])) as Record<Name, Measurement>;
}

function summarize(rounds: Round[]): Measurement {
  return {
    opsPerSecond: median(rounds.map((round) => (round.count * 1000) / round.elapsedMs)),
    operations: rounds.reduce((sum, round) => sum + round.count, 0),
  };
}

// --- printing ----------------------------------------------------------------------------------

export function formatOps(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)}M`;
  if (opsPerSecond >= 1e4) return `${(opsPerSecond / 1e3).toFixed(0)}k`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(1)}k`;
  return opsPerSecond.toFixed(0);
}

/** How many times the time per operation of the baseline (×1.00 = as fast as the baseline). */
export function formatCost(opsPerSecond: number, baselineOpsPerSecond: number): string {
  const ratio = baselineOpsPerSecond / opsPerSecond;
  return `×${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}`;
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
