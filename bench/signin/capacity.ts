/**
 * Capacity: the sign-in rate when so many sign-ins are in flight that each server's CPU, not the
 * wait inside a sign-in, limits it. At the bench's concurrency of 16, a sign-in that waits (the
 * random moment at which guestpass queues a code mail, SPEC §2) lowers the rate although the
 * server is idle meanwhile; a real service has many more people between the form and their
 * mailbox than 16. This section prices what guestpass costs per sign-in with its defaults, the
 * timing defence on, and prints it beside the rate at the concurrency, not instead of it.
 * Enough must be in flight that the sign-ins waiting for their mail's moment (about half a second
 * × the rate) leave the defaults server as long a queue as the others: 256 by default (options.ts).
 */
import { runSignIns, summarize, type Batch, type Summary, type Target } from './load.ts';
import type { MailSink } from './mail_sink.ts';
import { errorLines, pairRatios, signInTable } from './report.ts';

export interface CapacityOptions {
  concurrency: number;
  rounds: number;
  roundSeconds: number;
}

/**
 * Alternating rounds of each guestpass server and the baseline, all on Redis, at `concurrency`;
 * returns the printed lines. `guestpass` pairs each server with how its line is named.
 */
export async function measureCapacity(guestpass: { target: Target; name: string }[], baseline: Target, sink: MailSink, options: CapacityOptions): Promise<string> {
  const targets = [...guestpass.map(({ target }) => target), baseline];
  const batches = new Map<Target, Batch[]>(targets.map((target) => [target, []]));
  // A short warm-up at this concurrency first: connection pools and the servers' heaps grow to it.
  for (const target of targets) await runSignIns(target, sink, { concurrency: options.concurrency, durationMs: 1000 });
  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) batches.get(target)!.push(await runSignIns(target, sink, { concurrency: options.concurrency, durationMs: options.roundSeconds * 1000 }));
  }
  const summaries = targets.map((target) => ({ label: `${target.label}, ${options.concurrency} in flight`, summary: summarize(batches.get(target)!) }));
  const theirs = summaries.at(-1)!.summary;
  const cpu = (summary: Summary) => `${summary.cpuMsPerSignIn.server.toFixed(1)} ms (${summary.cpuPercent.server.toFixed(0)}% of a core)`;
  const lines = guestpass.map(({ name }, index) => {
    const ours = summaries[index]!.summary;
    const { median: ratio, rounds } = pairRatios({ store: 'redis', guestpass: ours, baseline: theirs });
    return `capacity on Redis, ${name}/baseline ${ratio.toFixed(2)}×  (rounds: ${rounds.map((value) => value.toFixed(2)).join(' ')}); server CPU per sign-in ${cpu(ours)}`;
  });
  const errors = errorLines(summaries);
  return [
    signInTable(summaries),
    ...(errors ? ['', errors] : []),
    '',
    ...lines,
    `baseline server CPU per sign-in ${cpu(theirs)}; a server near 100% of a core is CPU-bound (Node runs requests on one thread)`,
    "(no target here: the issue's rate is the one at concurrency 16 above)",
  ].join('\n');
}
