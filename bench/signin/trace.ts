/**
 * `npx tsx bench/signin/trace.ts [--system=guestpass|baseline]`: every Redis command of one
 * complete sign-in, in order, as MONITOR shows it — a command the server sent, and under it the
 * commands its script ran — then the sent ones by command and key pattern. Where the figures of
 * `npm run bench:signin` say how many, this says which: the first place to look before changing
 * the hot path. One sign-in on an idle server, so background work (outbox polls) shows in full.
 */
import type { Redis } from 'ioredis';

import { discover, signIn } from './journey.ts';
import { MailSink } from './mail_sink.ts';
import { keyPattern } from './redis_stats.ts';
import { benchClients, generateKeys, startRedis, startServer } from './servers.ts';

const system = process.argv.find((arg) => arg.startsWith('--system='))?.slice('--system='.length) === 'baseline' ? 'baseline' : 'guestpass';

/** A command as printed: its name, and its first key as a pattern (ids become `*`). */
function describe(args: string[]): string {
  const name = (args[0] ?? '').toLowerCase();
  const keyIndex = name === 'evalsha' || name === 'eval' ? 3 : 1;
  const key = args[keyIndex];
  return key === undefined ? name : `${name} ${keyPattern(key)}`;
}

async function traceOneSignIn(): Promise<void> {
  const sink = new MailSink();
  await sink.start();
  const redis = await startRedis();
  const server = await startServer({ system, store: 'redis', redis, smtpUrl: sink.url, keys: await generateKeys() });
  try {
    const endpoints = await discover(server.issuer);
    // One sign-in first, so what a first request of the process does once is not counted.
    await signIn(endpoints, benchClients.RS256, sink, 'warm-up@example.com');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lines: string[] = [];
    const sent = new Map<string, number>();
    const monitor: Redis = await redis.admin.duplicate().monitor();
    const own = `${redis.admin.stream.localAddress}:${redis.admin.stream.localPort}`;
    const started = Date.now();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === own) return;
      const line = describe(args);
      if (source !== 'lua') sent.set(line, (sent.get(line) ?? 0) + 1);
      lines.push(`${String(Date.now() - started).padStart(6)} ms  ${source === 'lua' ? '    · ' : ''}${line}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    lines.push('--- the sign-in starts');
    await signIn(endpoints, benchClients.RS256, sink, 'traced@example.com');
    lines.push('--- the sign-in has its tokens; what follows is background work');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    monitor.disconnect();
    console.log(lines.join('\n'));
    const total = [...sent.values()].reduce((sum, count) => sum + count, 0);
    console.log(`\n${system}: ${total} commands sent for one sign-in, by command and key`);
    for (const [line, count] of [...sent.entries()].sort((a, b) => b[1] - a[1])) console.log(`${String(count).padStart(4)}  ${line}`);
  } finally {
    await server.stop();
    await redis.stop();
    await sink.stop();
  }
}

await traceOneSignIn();
