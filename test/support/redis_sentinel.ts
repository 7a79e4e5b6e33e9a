/**
 * A real Redis Sentinel setup for the tests: one master (a `startRedisServer` server, which can
 * be stopped and started again on its port) watched by two sentinels under the name
 * `guestpass`, all on free ports, persisting nothing. A sentinel rewrites its config file, so
 * each one gets its own in a temporary directory.
 *
 * There is no replica, so no failover can happen: a test that stops the master sees the store
 * wait for that same master to come back, which is what a restart of the only node looks like.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePorts, spawnRedis, startRedisServer, stopRedis, type HostPort } from './redis_server.ts';

export interface RunningRedisSentinel {
  sentinels: HostPort[];
  /** The master name the sentinels monitor. */
  name: 'guestpass';
  master: HostPort & {
    /** Stops the master process (its data goes with it). */
    stop(): Promise<void>;
    /** Starts it again on the same port. */
    start(): Promise<void>;
  };
  /** Stops the sentinels and the master and removes their directories. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const name = 'guestpass';
const sentinelCount = 2;

export async function startRedisSentinel(): Promise<RunningRedisSentinel> {
  const master = await startRedisServer();
  const masterPort = Number(new URL(master.url).port);
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-redis-sentinel-'));
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((child) => stopRedis(child)));
    await master.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await freePorts(sentinelCount);
    const started = await Promise.allSettled(
      ports.map((port) => {
        const configFile = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          configFile,
          [
            `port ${port}`,
            `bind ${host}`,
            `dir ${dir}`,
            `sentinel monitor ${name} ${host} ${masterPort} 1`,
            // Long enough that a test's restart of the master is never taken for a failure.
            `sentinel down-after-milliseconds ${name} 60000`,
            '',
          ].join('\n'),
        );
        return spawnRedis([configFile, '--sentinel'], port);
      }),
    );
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(ports.map((port) => waitUntilSentinelKnowsMaster(port, masterPort)));
    return {
      sentinels: ports.map((port) => ({ host, port })),
      name,
      master: { host, port: masterPort, stop: () => master.pause!(), start: () => master.resume!() },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilSentinelKnowsMaster(sentinelPort: number, masterPort: number): Promise<void> {
  const sentinel = new Redis({ host, port: sentinelPort, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      const address = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
      if (address?.[0] === host && address[1] === String(masterPort)) return;
      if (Date.now() > deadline) throw new Error(`sentinel on ${sentinelPort} does not know master ${name} at ${host}:${masterPort} after 10 s (it says ${JSON.stringify(address)})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    sentinel.disconnect();
  }
}
