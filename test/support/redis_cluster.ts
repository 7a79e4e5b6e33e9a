/**
 * A real Redis Cluster for the tests: three masters without replicas, on free ports in one
 * temporary directory, persisting nothing, each owning a third of the 16384 slots.
 *
 * The cluster is formed with the commands `redis-cli --cluster create` sends (SET-CONFIG-EPOCH,
 * ADDSLOTSRANGE, MEET) rather than by redis-cli itself: the harness then needs only
 * redis-server, and is ready as soon as every node says `cluster_state:ok` (about 2 s after
 * start, the delay a fresh master waits before it takes writes; redis-cli is no faster).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePorts, spawnRedis, stopRedis, type HostPort } from './redis_server.ts';

export interface RunningRedisCluster {
  /** The masters, each also a start-up node for a client. */
  nodes: HostPort[];
  /** Stops every node and removes their directory. */
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const masterCount = 3;
const slotCount = 16384;

export async function startRedisCluster(): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-redis-cluster-'));
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((child) => stopRedis(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A bus port of our own for each node: the default (port + 10000) may be taken or above 65535.
    const ports = await freePorts(masterCount * 2);
    const nodes = Array.from({ length: masterCount }, (_, index) => ({ port: ports[index]!, busPort: ports[masterCount + index]! }));
    const started = await Promise.allSettled(
      nodes.map(({ port, busPort }) => {
        const args = [
          '--port', String(port),
          '--bind', host,
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout', '2000',
          '--cluster-port', String(busPort),
          '--cluster-announce-ip', host,
        ];
        return spawnRedis(args, port);
      }),
    );
    // Every node that did start is stopped again below, even when another one failed.
    for (const result of started) if (result.status === 'fulfilled') processes.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await formCluster(nodes);
    return { nodes: nodes.map(({ port }) => ({ host, port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function formCluster(nodes: { port: number; busPort: number }[]): Promise<void> {
  const admins = nodes.map(({ port }) => new Redis({ host, port, maxRetriesPerRequest: 1, retryStrategy: () => null }));
  try {
    await Promise.all(
      admins.map(async (admin, index) => {
        // Distinct epochs, as redis-cli sets them, so no node has to resolve a collision first.
        await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', String(index + 1));
        const first = Math.floor((slotCount * index) / masterCount);
        const last = Math.floor((slotCount * (index + 1)) / masterCount) - 1;
        await admin.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
      }),
    );
    await Promise.all(nodes.slice(1).map(({ port, busPort }) => admins[0]!.call('CLUSTER', 'MEET', host, String(port), String(busPort))));
    await waitUntilClusterOk(admins);
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}

/** Until every node knows every other and sees all slots served (a fresh master waits about 2 s before it says ok). */
async function waitUntilClusterOk(admins: Redis[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO') as Promise<string>));
    const ready = infos.every(
      (info) => /^cluster_state:ok\r?$/m.test(info) && new RegExp(`^cluster_known_nodes:${admins.length}\\r?$`, 'm').test(info) && /^cluster_slots_ok:16384\r?$/m.test(info),
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster did not reach cluster_state:ok within 15 s; CLUSTER INFO of each node:\n${infos.join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
