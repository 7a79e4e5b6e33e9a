/**
 * Two guestpass instances against one: complete sign-ins per second through a TCP round-robin
 * balancer (one connection to one instance, in turn), one instance behind one balancer and two
 * behind another, on one private Redis, measured in alternating rounds. Both sides pass through
 * the same kind of balancer, so it costs both alike. On a 2-core machine the driver, Redis, the
 * SMTP sink and the instances share the cores: expect little gain; the figure says how much.
 */
import { connect, createServer, type Server } from 'node:net';

import { median } from './measure.ts';
import { discover } from './signin/journey.ts';
import { runSignIns, summarize, type Batch, type Target } from './signin/load.ts';
import { MailSink } from './signin/mail_sink.ts';
import { generateKeys, startRedis, startServer, type BenchRedis, type ServerUnderTest } from './signin/servers.ts';
import { freePort } from '../test/support/redis_server.ts';

export const instancesTarget = 'two instances ≥ 1.0× one (no loss); on 2 cores little gain is expected';

interface Balancer {
  issuer: string;
  backends: number[];
  close(): Promise<void>;
}

/** A TCP round-robin balancer: each new connection goes to the next backend. */
async function startBalancer(port: number): Promise<Balancer> {
  const backends: number[] = [];
  let next = 0;
  const server: Server = createServer((socket) => {
    const backend = backends[next++ % backends.length]!;
    const upstream = connect(backend, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { issuer: `http://127.0.0.1:${port}`, backends, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface InstancesOptions {
  rounds: number;
  roundSeconds: number;
  concurrency: number;
}

export async function benchInstances(options: InstancesOptions = { rounds: 3, roundSeconds: 4, concurrency: 16 }): Promise<string> {
  const sink = await new MailSink().start();
  const balancers: Balancer[] = [];
  const servers: ServerUnderTest[] = [];
  let redis: BenchRedis | undefined;
  try {
    redis = await startRedis();
    const keys = await generateKeys();
    const deployment = async (label: string, count: number): Promise<Target> => {
      const balancer = await startBalancer(await freePort());
      balancers.push(balancer);
      for (let index = 0; index < count; index += 1) {
        const server = await startServer({ system: 'guestpass', store: 'redis', redis, smtpUrl: sink.url, keys, issuer: balancer.issuer, keyPrefix: `${label}:` });
        servers.push(server);
        balancer.backends.push(server.port);
      }
      return { label, server: servers.at(-count)!, endpoints: await discover(balancer.issuer) };
    };
    const one = await deployment('one', 1);
    const two = await deployment('two', 2);
    for (const target of [one, two]) await runSignIns(target, sink, { concurrency: options.concurrency, durationMs: 1000 });
    const batches = new Map<Target, Batch[]>([
      [one, []],
      [two, []],
    ]);
    for (let round = 0; round < options.rounds; round += 1) {
      for (const target of round % 2 === 0 ? [one, two] : [two, one]) {
        batches.get(target)!.push(await runSignIns(target, sink, { concurrency: options.concurrency, durationMs: options.roundSeconds * 1000 }));
      }
    }
    const [oneSummary, twoSummary] = [summarize(batches.get(one)!), summarize(batches.get(two)!)];
    const ratios = oneSummary.rates.map((rate, index) => twoSummary.rates[index]! / rate);
    return [
      `several instances: complete sign-ins through a TCP round-robin balancer, one private Redis, concurrency ${options.concurrency}, ${options.rounds} alternating rounds of ${options.roundSeconds} s`,
      `1 instance  ${oneSummary.rate.toFixed(1)} sign-ins/s (p50 ${oneSummary.p50.toFixed(0)} ms, p99 ${oneSummary.p99.toFixed(0)} ms, ${oneSummary.errors} errors)`,
      `2 instances ${twoSummary.rate.toFixed(1)} sign-ins/s (p50 ${twoSummary.p50.toFixed(0)} ms, p99 ${twoSummary.p99.toFixed(0)} ms, ${twoSummary.errors} errors)`,
      `2 vs 1: ${median(ratios).toFixed(2)}× (median of the rounds' ratios) — target: ${instancesTarget}`,
    ].join('\n');
  } finally {
    for (const server of servers) await server.stop();
    for (const balancer of balancers) await balancer.close();
    await redis?.stop();
    await sink.stop();
  }
}
