/**
 * The end-to-end sign-in bench: guestpass against a bare oidc-provider doing the same email-code
 * sign-in (bench/baseline/), on Redis and in memory, measured in alternating rounds in one run
 * so a change in the machine's load weighs on both sides alike. See bench/README.md.
 */
import { cpus, loadavg } from 'node:os';

import { discover } from './journey.ts';
import { runSignIns, summarize, type Batch, type Summary, type Target } from './load.ts';
import { MailSink } from './mail_sink.ts';
import type { SignInBenchOptions } from './options.ts';
import { measureCapacity } from './capacity.ts';
import { measureRedisCost, type RedisCost } from './redis_cost.ts';
import { commandTable, commandVerdict, cpuTable, driverLine, errorLines, ratioLines, retainedTable, retainedVerdict, signInTable, stepTable, tokenTable, type Pair } from './report.ts';
import { generateKeys, startRedis, startServer, type BenchRedis, type ServerUnderTest } from './servers.ts';
import type { StoreName, SystemName } from './server_process.ts';
import { measureTokenEndpoint, type TokenSummary } from './token_endpoint.ts';

export interface SignInBenchResult {
  summaries: { label: string; summary: Summary }[];
  pairs: Pair[];
  costs: { guestpass: RedisCost; baseline: RedisCost };
  tokens: TokenSummary[];
  /** The capacity section's lines, when it ran (`--capacity-concurrency` above 0). */
  capacity?: string;
}

type Print = (text?: string) => void;

interface Running {
  sink: MailSink;
  redises: BenchRedis[];
  servers: ServerUnderTest[];
}

const systems: SystemName[] = ['guestpass', 'baseline'];
const stores: StoreName[] = ['redis', 'memory'];

async function startAll(running: Running): Promise<Target[]> {
  await running.sink.start();
  const keys = await generateKeys();
  // One Redis per system: its command counts and memory are then that system's alone.
  const redisFor = new Map<SystemName, BenchRedis>();
  for (const system of systems) {
    const redis = await startRedis();
    running.redises.push(redis);
    redisFor.set(system, redis);
  }
  const targets: Target[] = [];
  for (const store of stores) {
    for (const system of systems) {
      const server = await startServer({ system, store, redis: store === 'redis' ? redisFor.get(system) : undefined, smtpUrl: running.sink.url, keys });
      running.servers.push(server);
      targets.push({ label: `${system} · ${store}`, server, endpoints: await discover(server.issuer) });
    }
  }
  // guestpass again on Redis (its own), with code mails queued right after the answer: the
  // difference to the first is what the timing defence of SPEC §2 costs; the rest is the rest.
  const redis = await startRedis();
  running.redises.push(redis);
  const server = await startServer({ system: 'guestpass', store: 'redis', redis, smtpUrl: running.sink.url, keys, codeMailJitter: false });
  running.servers.push(server);
  targets.push({ label: noJitterLabel, server, endpoints: await discover(server.issuer) });
  return targets;
}

const noJitterLabel = 'guestpass, no mail jitter · redis';

/** A capacity round's shortest length: a few latencies at 256 in flight (bench/README.md, round 7). */
const capacityRoundSecondsAtLeast = 8;

async function stopAll(running: Running): Promise<void> {
  for (const server of running.servers.splice(0)) await server.stop();
  for (const redis of running.redises.splice(0)) await redis.stop();
  await running.sink.stop();
}

export function describeRun(options: SignInBenchOptions): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return [
    `guestpass end-to-end sign-in bench — Node ${process.version}, ${cpus().length} × ${cpu}, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`,
    `concurrency ${options.concurrency}; ${options.rounds} alternating rounds of ${options.roundSeconds} s after ${options.warmupSeconds} s warm-up each; ` +
      `Redis cost over ${options.countSignIns} sign-ins; token endpoint: ${options.tokens ? `${options.tokenRounds} rounds of ${options.tokenCodes} codes, on Redis` : 'skipped'}`,
    'each server in a child process, one private redis-server per system, the SMTP sink in the driver; every sign-in uses a new address',
  ].join('\n');
}

export async function benchSignIn(options: SignInBenchOptions, print: Print = console.log): Promise<SignInBenchResult> {
  const running: Running = { sink: new MailSink(), redises: [], servers: [] };
  // Stopped early, it still stops what it started: the redis-servers would outlive it otherwise.
  const interrupted = (signal: NodeJS.Signals) => {
    stopAll(running).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const targets = await startAll(running);
    const byLabel = (system: SystemName, store: StoreName) => targets.find((target) => target.label === `${system} · ${store}`)!;
    const noJitter = targets.find((target) => target.label === noJitterLabel)!;

    for (const target of targets) await runSignIns(target, running.sink, { concurrency: options.concurrency, durationMs: options.warmupSeconds * 1000 });

    const costs = {
      guestpass: await measureRedisCost(byLabel('guestpass', 'redis'), running.sink, { signIns: options.countSignIns, concurrency: options.concurrency }),
      baseline: await measureRedisCost(byLabel('baseline', 'redis'), running.sink, { signIns: options.countSignIns, concurrency: options.concurrency }),
    };
    print(`\nRedis per complete sign-in (${options.countSignIns} sign-ins at concurrency ${options.concurrency}, counted on each system's own Redis)`);
    print(commandTable(costs.guestpass));
    print();
    print(commandTable(costs.baseline));
    print();
    print(commandVerdict(costs.guestpass, costs.baseline));
    print();
    print(retainedTable(costs.guestpass));
    print();
    print(retainedTable(costs.baseline));
    print();
    print(retainedVerdict(costs.guestpass, costs.baseline));

    const batches = new Map<Target, Batch[]>(targets.map((target) => [target, []]));
    for (let round = 0; round < options.rounds; round += 1) {
      for (const store of stores) {
        // Within a pair, who goes first alternates, so neither side always follows the other's leftovers.
        const pair = systems.map((system) => byLabel(system, store));
        if (store === 'redis') pair.splice(1, 0, noJitter);
        const order = round % 2 === 0 ? pair : [...pair].reverse();
        for (const target of order) {
          batches.get(target)!.push(await runSignIns(target, running.sink, { concurrency: options.concurrency, durationMs: options.roundSeconds * 1000 }));
        }
      }
    }
    const summaries = targets.map((target) => ({ label: target.label, summary: summarize(batches.get(target)!) }));
    const summaryOf = (system: SystemName, store: StoreName) => summaries.find(({ label }) => label === `${system} · ${store}`)!.summary;
    const pairs: Pair[] = stores.map((store) => ({ store, guestpass: summaryOf('guestpass', store), baseline: summaryOf('baseline', store) }));
    const noJitterSummary = summaries.find(({ label }) => label === noJitterLabel)!.summary;
    pairs.splice(1, 0, { store: 'redis', guestpass: noJitterSummary, baseline: summaryOf('baseline', 'redis'), jitterOff: true });
    print(`\nComplete sign-ins (authorize, email form, mail over SMTP, code form, callback, token), concurrency ${options.concurrency}`);
    print(signInTable(summaries));
    print();
    print(ratioLines(pairs, options.concurrency));
    print();
    print(stepTable(summaries));
    print();
    print(cpuTable(summaries));
    print(driverLine(summaries));
    const errors = errorLines(summaries);
    if (errors) print(`\n${errors}`);

    let capacity: string | undefined;
    if (options.capacityConcurrency > 0) {
      // With so many in flight a sign-in takes seconds: a shorter round (--quick) would be over
      // before it reached a steady state, and its window would hold only the start's wave.
      const roundSeconds = Math.max(options.roundSeconds, capacityRoundSecondsAtLeast);
      capacity = [
        `Capacity: the same sign-ins with ${options.capacityConcurrency} in flight, so that CPU rather than waiting limits each server (${options.rounds} alternating rounds of ${roundSeconds} s)`,
        await measureCapacity(
          [
            { target: byLabel('guestpass', 'redis'), name: 'guestpass (defaults: code mail jitter on)' },
            { target: noJitter, name: 'guestpass, no mail jitter' },
          ],
          byLabel('baseline', 'redis'),
          running.sink,
          { concurrency: options.capacityConcurrency, rounds: options.rounds, roundSeconds },
        ),
      ].join('\n');
      print(`\n${capacity}`);
    }

    let tokens: TokenSummary[] = [];
    if (options.tokens) {
      // On Redis only: oidc-provider's in-memory adapter keeps 1000 entries (an LRU), fewer than a round's codes need.
      const tokenTargets = targets.filter((target) => target.server.store === 'redis' && target !== noJitter);
      tokens = await measureTokenEndpoint(tokenTargets, running.sink, { rounds: options.tokenRounds, codesPerRound: options.tokenCodes, concurrency: options.concurrency });
      print(`\nToken endpoint alone: code + PKCE exchanges (client_secret_basic), ${options.tokenRounds} rounds of ${options.tokenCodes}, concurrency ${options.concurrency}`);
      print(tokenTable(tokens));
    }
    return { summaries, pairs, costs, tokens, capacity };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stopAll(running);
  }
}
