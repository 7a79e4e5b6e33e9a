/**
 * What a batch of sign-ins costs Redis: commands (from `INFO commandstats`, and from MONITOR,
 * which tells a client's commands from those a Lua script runs) and the bytes that stay behind
 * (the sum of `MEMORY USAGE` over every key before and after, grouped by key pattern).
 *
 * Why both command counts: commandstats counts a command run inside a script as well as the
 * EVALSHA that ran it, so folding calls into a script leaves that total unchanged; the commands
 * clients send (MONITOR's) are what costs round trips and parsing.
 */
import type { Redis } from 'ioredis';

/** Commands of the bench's own admin connection, never the servers'. */
const ownCommands = new Set(['config|resetstat', 'info', 'echo', 'scan', 'memory|usage', 'client|info']);

/** `INFO commandstats` as command → calls, without the bench's own commands. */
export async function commandStats(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!ownCommands.has(match[1]!)) calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

export interface MonitoredCommands {
  /** Sent by a client (the server under test): each one a command on the wire. */
  sent: Map<string, number>;
  /** Run by a Lua script (`redis.call`), inside a command that was sent. */
  inScripts: Map<string, number>;
}

/** Counts, through MONITOR on a connection of its own, every command the servers under test send or script. */
export class CommandMonitor {
  readonly #counts: MonitoredCommands = { sent: new Map(), inScripts: new Map() };
  readonly #connection: Redis;
  readonly #marker = `bench-monitor-marker-${Math.random().toString(36).slice(2)}`;
  #sawMarker: (() => void) | undefined;

  private constructor(connection: Redis, ignoredSource: string) {
    this.#connection = connection;
    connection.on('monitor', (_time: string, args: string[], source: string) => {
      const name = (args[0] ?? '').toLowerCase();
      if (source === ignoredSource) {
        if (name === 'echo' && args[1] === this.#marker) this.#sawMarker?.();
        return;
      }
      const counts = source === 'lua' ? this.#counts.inScripts : this.#counts.sent;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    });
  }

  static async start(admin: Redis): Promise<CommandMonitor> {
    const connection = await admin.duplicate().monitor();
    // MONITOR names each command's client by address; the admin connection's own commands are left out.
    return new CommandMonitor(connection, `${admin.stream.localAddress}:${admin.stream.localPort}`);
  }

  /** Stops once MONITOR has shown everything Redis ran before this call. */
  async stop(admin: Redis): Promise<MonitoredCommands> {
    const seen = new Promise<void>((resolve) => (this.#sawMarker = resolve));
    await admin.echo(this.#marker);
    await Promise.race([seen, new Promise((resolve) => setTimeout(resolve, 5000))]);
    this.#connection.disconnect();
    return this.#counts;
  }
}

/** Every key with its `MEMORY USAGE` (all of it: SAMPLES 0). */
export async function keySizes(admin: Redis): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = admin.pipeline();
    for (const key of keys) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    const results = (await pipeline.exec()) ?? [];
    keys.forEach((key, index) => {
      const bytes = results[index]?.[1];
      if (typeof bytes === 'number') sizes.set(key, bytes);
    });
  } while (cursor !== '0');
  return sizes;
}

export async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

/**
 * A key's pattern: its segments up to the first that looks like an id (has a digit, `@`, a
 * bracket or quote, or is long), which becomes `*` — `guestpass:model:Session:*`.
 */
export function keyPattern(key: string): string {
  const segments: string[] = [];
  for (const segment of key.split(':')) {
    if (/[0-9@[\]"]/.test(segment) || segment.length >= 20) {
      segments.push('*');
      break;
    }
    segments.push(segment);
  }
  return segments.join(':');
}

export interface RetainedPattern {
  pattern: string;
  /** Keys of the pattern that were added (or are gone: negative). */
  keysAdded: number;
  /** Bytes after minus bytes before, over all keys of the pattern. */
  bytesAdded: number;
}

/** The growth between two `keySizes` snapshots, by pattern, largest first. */
export function retainedByPattern(before: Map<string, number>, after: Map<string, number>): RetainedPattern[] {
  const patterns = new Map<string, RetainedPattern>();
  const add = (key: string, keys: number, bytes: number) => {
    const pattern = keyPattern(key);
    const entry = patterns.get(pattern) ?? { pattern, keysAdded: 0, bytesAdded: 0 };
    entry.keysAdded += keys;
    entry.bytesAdded += bytes;
    patterns.set(pattern, entry);
  };
  for (const [key, bytes] of after) {
    const old = before.get(key);
    add(key, old === undefined ? 1 : 0, bytes - (old ?? 0));
  }
  for (const [key, bytes] of before) if (!after.has(key)) add(key, -1, -bytes);
  return [...patterns.values()].filter((entry) => entry.keysAdded !== 0 || entry.bytesAdded !== 0).sort((a, b) => b.bytesAdded - a.bytesAdded);
}
