/**
 * A real redis-server for the tests: started on a free port in a temporary directory, with
 * nothing persisted, and stopped afterwards. When REDIS_URL is set, that server is used instead
 * and nothing is started; tests then keep to their own key prefix and delete only their keys.
 * `spawnRedis` and `stopRedis` also serve the Cluster and Sentinel harnesses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningRedis {
  url: string;
  /** Stops the server this harness started (or does nothing for an outside one). */
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port (for outage tests). */
  pause?(): Promise<void>;
  resume?(): Promise<void>;
}

export interface HostPort {
  host: string;
  port: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `count` free ports, all different (the OS may hand the same one out twice in a row). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export async function startRedisServer(): Promise<RunningRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-redis-'));
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = await spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], port);
  };
  const halt = async () => {
    const running = child;
    child = undefined;
    await stopRedis(running);
  };

  try {
    await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: halt,
    resume: launch,
  };
}

/**
 * Runs `redis-server <args>` in the foreground and resolves once it listens on `port`. Fails
 * with the reason (no binary on PATH, the server's own output) when it cannot start. A server
 * still running when this process exits is killed, so an aborted run leaves none behind.
 */
export async function spawnRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args, '--daemonize', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  let spawnError: Error | undefined;
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.once('error', (error) => (spawnError = error));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run redis-server (is Redis installed and on PATH?): ${spawnError.message}`, { cause: spawnError });
    if (child.exitCode !== null) throw new Error(`redis-server ${args.join(' ')} exited (${child.exitCode}): ${output}`);
    if (await canConnect(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await stopRedis(child);
  throw new Error(`redis-server did not listen on ${port} within 10 s: ${output}`);
}

/** Stops a server started by `spawnRedis` and waits until it is gone (SIGKILL if SIGTERM is not enough within 2 s). */
export async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
