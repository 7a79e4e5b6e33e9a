/**
 * What the sign-in bench runs against: private redis-servers on free ports in temporary
 * directories (never 6379, never one already running), and each server under test in a child
 * process (`server_process.ts`). Also the CPU time of those processes, read from /proc, so the
 * bench can show who was busy.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

import { freePort, spawnRedis, stopRedis } from '../../test/support/redis_server.ts';
import type { ServerMessage, ServerSpec, StoreName, SystemName } from './server_process.ts';

export const redirectUri = 'http://rp.bench/callback';

export interface BenchClient {
  clientId: string;
  clientSecret: string;
  idTokenAlg: 'RS256' | 'ES256';
}

export const benchClients: Record<'RS256' | 'ES256', BenchClient> = {
  RS256: { clientId: 'bench-rs256', clientSecret: 'bench-secret-rs256-for-the-bench-only', idTokenAlg: 'RS256' },
  ES256: { clientId: 'bench-es256', clientSecret: 'bench-secret-es256-for-the-bench-only', idTokenAlg: 'ES256' },
};

/** The same client settings on both sides; guestpass's may send codes to any address (no secure link needed). */
function clientMetadata(system: SystemName): Record<string, unknown>[] {
  return Object.values(benchClients).map((client) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    scope: 'openid email',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: client.idTokenAlg,
    ...(system === 'guestpass' ? { guestpass_open_sign_in: true } : {}),
  }));
}

export interface KeySet {
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  secrets: string[];
}

/** One RSA key (the first, so RS256 is the default) and one P-256 key, shared by both sides. */
export async function generateKeys(): Promise<KeySet> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  return { jwks: { keys }, cookieKeys: [randomBytes(32).toString('base64url')], secrets: [randomBytes(32).toString('base64url')] };
}

export interface BenchRedis {
  url: string;
  pid: number;
  /** A connection of the bench's own, for INFO, CONFIG RESETSTAT, SCAN and MEMORY USAGE. */
  admin: Redis;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  if (port === 6379) throw new Error('refusing to start a bench Redis on 6379');
  const dir = mkdtempSync(join(tmpdir(), 'guestpass-bench-redis-'));
  const child = await spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], port);
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { lazyConnect: true });
  await admin.connect();
  return {
    url,
    pid: child.pid!,
    admin,
    async stop() {
      admin.disconnect();
      await stopRedis(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServerUnderTest {
  system: SystemName;
  store: StoreName;
  issuer: string;
  /** Where it listens (its issuer may be a balancer's). */
  port: number;
  pid: number;
  redis?: BenchRedis | undefined;
  stop(): Promise<void>;
}

export interface ServerOptions {
  system: SystemName;
  store: StoreName;
  redis?: BenchRedis | undefined;
  smtpUrl: string;
  keys: KeySet;
  /** guestpass only: false queues code mails right after the answer (config `outbox.codeMailJitter`). */
  codeMailJitter?: boolean;
  /** Several instances of one deployment: the issuer they share (a balancer in front) and their key prefix. */
  issuer?: string | undefined;
  keyPrefix?: string | undefined;
}

export async function startServer(options: ServerOptions): Promise<ServerUnderTest> {
  const port = await freePort();
  const issuer = options.issuer ?? `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'guestpass-bench-data-'));
  const spec: ServerSpec = {
    system: options.system,
    store: options.store,
    port,
    issuer,
    redisUrl: options.redis?.url,
    keyPrefix: options.keyPrefix ?? (options.system === 'guestpass' ? 'guestpass:' : 'base:'),
    smtpUrl: options.smtpUrl,
    dataDir,
    jwks: options.keys.jwks as ServerSpec['jwks'],
    cookieKeys: options.keys.cookieKeys,
    secrets: options.keys.secrets,
    clients: clientMetadata(options.system),
    codeMailJitter: options.codeMailJitter,
  };
  const child = fork(fileURLToPath(new URL('./server_process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', ...profileArgs(options.system)], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  forwardStderr(child, `${options.system} (${options.store})`);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', (message: ServerMessage) => (message.type === 'ready' ? resolve() : reject(new Error(`${options.system} (${options.store}) did not start: ${message.message}`))));
      child.once('exit', (code) => reject(new Error(`${options.system} (${options.store}) exited with ${code} before it was ready`)));
      child.send(spec);
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    system: options.system,
    store: options.store,
    issuer,
    port,
    pid: child.pid!,
    redis: options.redis,
    async stop() {
      await stopChild(child);
      process.off('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `GUESTPASS_BENCH_CPU_PROF=<dir>`: each guestpass server writes a V8 CPU profile there when it
 * stops (`node --cpu-prof`; NODE_OPTIONS may not carry it). Open it in Chrome DevTools, or sum
 * it with `npx tsx bench/signin/profile_top.ts <file>`.
 */
function profileArgs(system: SystemName): string[] {
  const dir = process.env.GUESTPASS_BENCH_CPU_PROF;
  return dir && system === 'guestpass' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** The server's errors, labelled; oidc-provider's notes on the Node version and its development adapter are expected here and dropped. */
function forwardStderr(child: ChildProcess, label: string): void {
  let pending = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() && !/^oidc-provider WARNING/.test(line)) process.stderr.write(`[${label}] ${line}\n`);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the numbers after its closing parenthesis start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** CPU seconds this (the driver's) process has used so far. */
export function driverCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
