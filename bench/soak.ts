/**
 * `npm run bench:soak -- --minutes 10`: one guestpass on a private Redis signing people in
 * without pause for the given time (`--minutes 0.5` tries it), printing the server's RSS and
 * Redis's used memory at the start, every minute and at the end. What a sign-in keeps (session,
 * tokens, the mail for a day, audit) is measured first over 200 sign-ins; the soak's Redis growth
 * per sign-in should stay at that figure, and the server's RSS should level off: targets, the
 * second half of the run grows RSS by ≤ 10 % and Redis by ≤ 1.25× the retained state.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { discover } from './signin/journey.ts';
import { runSignIns, type Target } from './signin/load.ts';
import { MailSink } from './signin/mail_sink.ts';
import { measureRedisCost } from './signin/redis_cost.ts';
import { usedMemory } from './signin/redis_stats.ts';
import { generateKeys, startRedis, startServer, type BenchRedis, type ServerUnderTest } from './signin/servers.ts';

function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Sample {
  atS: number;
  signIns: number;
  rss: number;
  redis: number;
}

/** `sampleSeconds`: how often RSS and Redis memory are read (a minute for the long run; shorter runs need more points). */
export async function benchSoak(minutes: number, concurrency: number, print: (line: string) => void = console.log, sampleSeconds = 60): Promise<string> {
  const sink = await new MailSink().start();
  let redis: BenchRedis | undefined;
  let server: ServerUnderTest | undefined;
  try {
    redis = await startRedis();
    server = await startServer({ system: 'guestpass', store: 'redis', redis, smtpUrl: sink.url, keys: await generateKeys() });
    const target: Target = { label: 'guestpass · redis', server, endpoints: await discover(server.issuer) };
    // Warm up (JIT, pools), then what one sign-in keeps in Redis.
    await runSignIns(target, sink, { concurrency, durationMs: 5000 });
    const cost = await measureRedisCost(target, sink, { signIns: 200, concurrency });
    const admin = redis.admin;
    const samples: Sample[] = [];
    let signIns = 0;
    let errors = 0;
    const started = performance.now();
    const sample = async () => {
      const entry = { atS: (performance.now() - started) / 1000, signIns, rss: rssBytes(server!.pid), redis: await usedMemory(admin) };
      samples.push(entry);
      print(`  ${entry.atS.toFixed(0).padStart(4)} s  ${String(signIns).padStart(7)} sign-ins  server RSS ${mb(entry.rss)}  Redis ${mb(entry.redis)}`);
    };
    await sample();
    const endAt = started + minutes * 60_000;
    while (performance.now() < endAt) {
      const batch = await runSignIns(target, sink, { concurrency, durationMs: Math.min(sampleSeconds * 1000, endAt - performance.now()) });
      signIns += batch.times.length;
      errors += batch.errors;
      await sample();
    }
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const middle = samples.reduce((best, entry) => (Math.abs(entry.atS - last.atS / 2) < Math.abs(best.atS - last.atS / 2) ? entry : best), first);
    const rssSecondHalf = middle === last ? 0 : (last.rss - middle.rss) / middle.rss;
    const redisPerSignIn = signIns > 0 ? (last.redis - first.redis) / signIns : 0;
    const redisRatio = redisPerSignIn / cost.usedMemoryPerSignIn;
    return [
      `soak: ${minutes} min of complete sign-ins at concurrency ${concurrency}, one guestpass on a private Redis; ${signIns} sign-ins (${(signIns / last.atS).toFixed(1)}/s), ${errors} errors`,
      `server RSS   start ${mb(first.rss)}, half-way ${mb(middle.rss)}, end ${mb(last.rss)}; second half ${(rssSecondHalf * 100).toFixed(1)} % — target ≤ 10 % ${rssSecondHalf <= 0.1 ? 'ok' : 'MISSED'}`,
      `Redis memory start ${mb(first.redis)}, end ${mb(last.redis)}; ${redisPerSignIn.toFixed(0)} B per sign-in against ${cost.usedMemoryPerSignIn.toFixed(0)} B retained per sign-in measured first (${cost.keysPerSignIn.toFixed(1)} keys): ${redisRatio.toFixed(2)}× — target ≤ 1.25× ${redisRatio <= 1.25 ? 'ok' : 'MISSED'}`,
    ].join('\n');
  } finally {
    await server?.stop();
    await redis?.stop();
    await sink.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '8' } } });
  const minutes = Number(values.minutes);
  const concurrency = Number(values.concurrency);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new RangeError('--minutes must be a number of minutes above 0 (0.5 tries it)');
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new RangeError('--concurrency must be a whole number from 1 to 256');
  console.log(`soak for ${minutes} min, concurrency ${concurrency}; a line a minute:`);
  console.log(await benchSoak(minutes, concurrency));
}
