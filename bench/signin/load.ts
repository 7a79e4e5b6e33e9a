/**
 * Runs sign-ins against one server with a fixed number in flight, for a time or for a count,
 * and records what each cost: latency of the whole sign-in and of each step, errors, and the
 * CPU each process used meanwhile (the server, its Redis, the driver itself, and the whole
 * machine — other work on a shared machine shows up as the difference).
 *
 * A run for a time counts its rate and CPU over a steady window: from a quarter of the way in to
 * the deadline. Before that the sign-ins all start at once and reach the server in waves; after
 * it the driver starts no more and waits for those in flight, with fewer and fewer of them. That
 * tail lasts one sign-in's latency, so counting it (as rounds 1–6 did) lowered the rate and raised
 * the CPU per sign-in of whichever server makes a sign-in wait longer, in proportion to the wait
 * over the round's length: guestpass with its code-mail moment in the capacity section most of all
 * (bench/README.md, round 7). Latencies are of every sign-in of the run.
 *
 * Within the window the rate is not the sign-ins that ended in it over its length: with many in
 * flight, a sign-in lasts about as long as a quarter of a round (256 in flight, ~2 s), and the
 * sign-ins in flight at either edge are a large share of those counted. Whether they were mostly
 * done or barely begun at each edge (the start's wave, or a server that serves its queue in
 * lockstep) moved the count by up to a latency's worth of sign-ins: about ±13% at 256 in flight
 * in a model of a one-core server. Instead, by Little's law, it is the number in flight over the
 * mean latency of the sign-ins that ended in the window (`windowRate`): every worker is busy
 * until the deadline, so that holds at any phase. The CPU per sign-in divides the window's CPU
 * by that rate times the window's length.
 */
import { readFileSync } from 'node:fs';

import { median } from '../measure.ts';
import { closeIdleConnections } from './http_client.ts';
import { signIn, stepNames, type Endpoints, type StepTimes } from './journey.ts';
import type { MailSink } from './mail_sink.ts';
import { benchClients, cpuSecondsOf, driverCpuSeconds, type ServerUnderTest } from './servers.ts';

export interface Target {
  /** e.g. `guestpass · redis` */
  label: string;
  server: ServerUnderTest;
  endpoints: Endpoints;
}

/** CPU seconds each process used during a batch. */
export interface CpuSeconds {
  server: number;
  redis: number | undefined;
  driver: number;
  /** The whole machine, every process, every core. */
  machine: number;
}

export interface Batch {
  /** Sign-ins completed within the window the rate is counted over (the whole run for a count). */
  completed: number;
  /** Completed sign-ins per second over the window (`windowRate`; for a count, completed over the run's length). */
  rate: number;
  errors: number;
  firstErrors: string[];
  /** That window's length. */
  elapsedMs: number;
  /** Every sign-in of the run that completed, the window's or not. */
  times: StepTimes[];
  cpu: CpuSeconds;
}

let addressCounter = 0;
const runTag = Math.random().toString(36).slice(2, 8);

/** A new address for every sign-in, so no per-address limit (codes per hour, resend cooldown) ever applies. */
function nextAddress(): string {
  addressCounter += 1;
  return `bench-${runTag}-${addressCounter}@example.com`;
}

/** Gives up on a batch whose sign-ins mostly fail: its figures would mean nothing. */
const maxErrorsPerBatch = 50;

/** Where a run for a time starts counting its rate and CPU: the share of it that the ramp may take. */
const steadyFrom = 0.25;

/**
 * Sign-ins per second over a window throughout which `concurrency` sign-ins were in flight, by
 * Little's law: `concurrency` over the mean latency of those that completed in it, less the share
 * of the window's sign-ins that failed (a failed one held a worker too). Unlike counting those
 * that completed, it does not depend on how far along the sign-ins in flight at its edges were.
 */
export function windowRate(concurrency: number, completed: readonly { at: number; totalMs: number }[], failedAt: readonly number[], window: { from: number; to: number }): number {
  const within = (at: number) => at >= window.from && at <= window.to;
  const latencies = completed.filter(({ at }) => within(at)).map(({ totalMs }) => totalMs);
  if (latencies.length === 0) return 0;
  const meanMs = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
  const failed = failedAt.filter(within).length;
  return ((concurrency * 1000) / meanMs) * (latencies.length / (latencies.length + failed));
}

export async function runSignIns(target: Target, sink: MailSink, { concurrency, durationMs, count }: { concurrency: number; durationMs?: number; count?: number }): Promise<Batch> {
  const batch: Batch = { completed: 0, rate: 0, errors: 0, firstErrors: [], elapsedMs: 0, times: [], cpu: { server: 0, redis: undefined, driver: 0, machine: 0 } };
  closeIdleConnections();
  const started = performance.now();
  const deadline = durationMs === undefined ? Infinity : started + durationMs;
  // The window: a run for a count, all of it; a run for a time, from its steady part to the deadline.
  // Its edges are the moments its CPU was read: a timer that fires late (a busy driver) moves both alike.
  const window = durationMs === undefined ? undefined : { from: started + durationMs * steadyFrom, to: deadline };
  let cpuBefore = cpuSnapshot(target);
  let cpuAfter: CpuSeconds | undefined;
  const timers = window
    ? [
        setTimeout(() => ((cpuBefore = cpuSnapshot(target)), (window.from = performance.now())), window.from - started),
        setTimeout(() => ((cpuAfter = cpuSnapshot(target)), (window.to = performance.now())), window.to - started),
      ]
    : [];
  const completedAt: { at: number; totalMs: number }[] = [];
  const failedAt: number[] = [];
  let begun = 0;
  const more = () => performance.now() < deadline && (count === undefined || begun < count);
  const worker = async () => {
    while (more()) {
      begun += 1;
      try {
        const times = await signIn(target.endpoints, benchClients.RS256, sink, nextAddress());
        batch.times.push(times);
        completedAt.push({ at: performance.now(), totalMs: times.total });
      } catch (error) {
        failedAt.push(performance.now());
        batch.errors += 1;
        if (batch.firstErrors.length < 3) batch.firstErrors.push((error as Error).message);
        if (batch.errors > maxErrorsPerBatch) throw new Error(`${target.label}: more than ${maxErrorsPerBatch} failed sign-ins; first: ${batch.firstErrors.join(' | ')}`, { cause: error });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  const ended = performance.now();
  cpuAfter ??= cpuSnapshot(target);
  batch.completed = window ? completedAt.filter(({ at }) => at >= window.from && at <= window.to).length : completedAt.length;
  // A run that ended before its window (every sign-in failed) has none: its rate is 0, not a division by 0.
  batch.elapsedMs = Math.max(1, window ? Math.min(ended, window.to) - window.from : ended - started);
  batch.rate = window ? windowRate(concurrency, completedAt, failedAt, window) : (batch.completed * 1000) / batch.elapsedMs;
  batch.cpu = {
    server: cpuAfter.server - cpuBefore.server,
    redis: cpuAfter.redis === undefined || cpuBefore.redis === undefined ? undefined : cpuAfter.redis - cpuBefore.redis,
    driver: cpuAfter.driver - cpuBefore.driver,
    machine: cpuAfter.machine - cpuBefore.machine,
  };
  return batch;
}

function cpuSnapshot(target: Target): CpuSeconds {
  return {
    server: cpuSecondsOf(target.server.pid),
    redis: target.server.redis ? cpuSecondsOf(target.server.redis.pid) : undefined,
    driver: driverCpuSeconds(),
    machine: machineBusySeconds(),
  };
}

/** CPU seconds every core of the machine spent busy so far (/proc/stat), summed. */
export function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

// --- summaries ---------------------------------------------------------------------------------

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export interface Summary {
  /** Median over the rounds of completed sign-ins per second. */
  rate: number;
  rates: number[];
  p50: number;
  p99: number;
  completed: number;
  errors: number;
  firstErrors: string[];
  /** Median per step, ms. */
  steps: Record<(typeof stepNames)[number], number>;
  /** Medians over the rounds: share of one core (%), and CPU ms per completed sign-in. */
  cpuPercent: CpuSeconds & { others: number };
  cpuMsPerSignIn: CpuSeconds;
}

/** Pools the sign-ins of every round for latencies; rates and CPU are medians of the rounds. */
export function summarize(batches: readonly Batch[]): Summary {
  const times = batches.flatMap((batch) => batch.times);
  const totals = times.map((time) => time.total).sort((a, b) => a - b);
  const medianOf = (per: (batch: Batch) => number, pick: (cpu: CpuSeconds) => number | undefined): number | undefined => {
    const values = batches.flatMap((batch) => {
      const seconds = pick(batch.cpu);
      return seconds === undefined ? [] : [seconds * per(batch)];
    });
    return values.length ? median(values) : undefined;
  };
  const cpuMedians = (per: (batch: Batch) => number): CpuSeconds => ({
    server: medianOf(per, (cpu) => cpu.server)!,
    redis: medianOf(per, (cpu) => cpu.redis),
    driver: medianOf(per, (cpu) => cpu.driver)!,
    machine: medianOf(per, (cpu) => cpu.machine)!,
  });
  const others = medianOf(
    (batch) => 100_000 / batch.elapsedMs,
    (cpu) => cpu.machine - cpu.server - (cpu.redis ?? 0) - cpu.driver,
  )!;
  const rates = batches.map((batch) => batch.rate);
  return {
    rate: median(rates),
    rates,
    p50: percentile(totals, 0.5),
    p99: percentile(totals, 0.99),
    completed: times.length,
    errors: batches.reduce((sum, batch) => sum + batch.errors, 0),
    firstErrors: batches.flatMap((batch) => batch.firstErrors).slice(0, 3),
    steps: Object.fromEntries(stepNames.map((step) => [step, median(times.map((time) => time[step]))])) as Summary['steps'],
    cpuPercent: { ...cpuMedians((batch) => 100_000 / batch.elapsedMs), others },
    // CPU seconds × 1000 over the sign-ins the window is worth at its rate (at least one).
    cpuMsPerSignIn: cpuMedians((batch) => 1000 / Math.max(1, (batch.rate * batch.elapsedMs) / 1000)),
  };
}
