/**
 * One counted batch of N complete sign-ins against a server on its own Redis: the commands per
 * sign-in (commandstats, reset just before; and MONITOR's split into sent and scripted) and the
 * bytes that stay in Redis per sign-in once the flows have ended, by key pattern.
 *
 * Each server has a Redis of its own, so nothing else runs commands there meanwhile; the
 * server's own background work during the batch (guestpass's outbox polls) is counted, as it
 * is part of what a sign-in costs.
 */
import { runSignIns, type Target } from './load.ts';
import type { MailSink } from './mail_sink.ts';
import { CommandMonitor, commandStats, keySizes, retainedByPattern, usedMemory, type RetainedPattern } from './redis_stats.ts';

export interface CommandCount {
  command: string;
  /** Per sign-in, from INFO commandstats: every command Redis ran, inside scripts too. */
  executed: number;
  /** Per sign-in, from MONITOR: commands clients sent. */
  sent: number;
  /** Per sign-in, from MONITOR: commands run by Lua scripts. */
  inScripts: number;
}

export interface RedisCost {
  label: string;
  signIns: number;
  errors: number;
  commands: CommandCount[];
  executedPerSignIn: number;
  sentPerSignIn: number;
  /** Sum of MEMORY USAGE over all keys, after minus before, per sign-in. */
  retainedBytesPerSignIn: number;
  /** INFO memory used_memory, after minus before, per sign-in (allocator view; includes overhead). */
  usedMemoryPerSignIn: number;
  keysPerSignIn: number;
  patterns: RetainedPattern[];
}

export interface RedisCostOptions {
  signIns: number;
  concurrency: number;
  /** Time for work a sign-in leaves behind (the outbox recording a delivery) to finish before counting. */
  settleMs?: number;
}

export async function measureRedisCost(target: Target, sink: MailSink, { signIns, concurrency, settleMs = 1500 }: RedisCostOptions): Promise<RedisCost> {
  const redis = target.server.redis;
  if (!redis) throw new Error(`${target.label} has no Redis to count`);
  const { admin } = redis;
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const sizesBefore = await keySizes(admin);
  const memoryBefore = await usedMemory(admin);
  const monitor = await CommandMonitor.start(admin);
  await admin.config('RESETSTAT');
  const batch = await runSignIns(target, sink, { concurrency, count: signIns });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const executed = await commandStats(admin);
  const monitored = await monitor.stop(admin);
  const sizesAfter = await keySizes(admin);
  const memoryAfter = await usedMemory(admin);

  const n = batch.completed;
  const names = new Set([...executed.keys(), ...monitored.sent.keys(), ...monitored.inScripts.keys()]);
  const commands = [...names]
    .map((command) => ({
      command,
      executed: (executed.get(command) ?? 0) / n,
      sent: (monitored.sent.get(command) ?? 0) / n,
      inScripts: (monitored.inScripts.get(command) ?? 0) / n,
    }))
    .sort((a, b) => b.executed - a.executed || b.sent - a.sent);
  const patterns = retainedByPattern(sizesBefore, sizesAfter);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    label: target.label,
    signIns: n,
    errors: batch.errors,
    commands,
    executedPerSignIn: sum(commands.map((count) => count.executed)),
    sentPerSignIn: sum(commands.map((count) => count.sent)),
    retainedBytesPerSignIn: sum(patterns.map((pattern) => pattern.bytesAdded)) / n,
    usedMemoryPerSignIn: (memoryAfter - memoryBefore) / n,
    keysPerSignIn: sum(patterns.map((pattern) => pattern.keysAdded)) / n,
    patterns: patterns.map((pattern) => ({ ...pattern, keysAdded: pattern.keysAdded / n, bytesAdded: pattern.bytesAdded / n })),
  };
}
