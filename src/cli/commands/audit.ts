/**
 * `guestpass audit export|tail`: the audit trail (SPEC §7). `export` streams the matching trail
 * as NDJSON or CSV, with a progress bar over the time span it covers (events come oldest
 * first); `tail` shows the recent events and, with `--follow`, the new ones as they happen.
 */
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';

import type { AuditEvent } from '../../../adapters/store.ts';
import type { ManagementClient } from '../api_client.ts';
import { csvRow } from '../../csv.ts';
import { UsageError, writeLine, type CliIo } from '../io.ts';
import { outputFile } from '../output_file.ts';
import { connectionOptions, managementClient, parseInstant } from '../management.ts';
import { progressBar } from '../progress.ts';

interface FilterOptions {
  since?: string;
  until?: string;
  operation?: string;
  sharingId?: string;
  email?: string;
}

const csvHeader = ['id', 'time', 'operation', 'actor_type', 'actor_id', 'sharing_id', 'result', 'ip', 'user_agent', 'detail'];

export function registerAudit(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('audit').description('the audit trail: export, tail'));

  filterOptions(group.command('export').description('every matching event, oldest first, as NDJSON (default) or CSV'))
    .option('-f, --format <format>', 'ndjson or csv', 'ndjson')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .option('--no-progress', 'no progress, even on a terminal')
    .action(async (options: FilterOptions & { format: string; output?: string; progress?: boolean }, command: Command) => {
      if (!['ndjson', 'csv'].includes(options.format)) throw new UsageError(`--format must be ndjson or csv, not "${options.format}"`);
      const api = managementClient(command, io);
      const file = options.output ? await outputFile(options.output) : undefined;
      const out: NodeJS.WritableStream = file ?? io.stdout;
      // Waits when the reader is slower than the server, so an export never piles up in memory.
      const write = (text: string) => (out.write(text) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve())));
      if (options.format === 'csv') await write(csvRow(csvHeader));
      const until = Date.parse(options.until ?? new Date().toISOString());
      let progress: ReturnType<typeof progressBar> | undefined;
      let start = 0;
      let count = 0;
      for await (const event of api.lines<AuditEvent>('audit:read', '/audit', query(options))) {
        count += 1;
        const time = Date.parse(event.time);
        if (!progress) {
          start = options.since ? Date.parse(options.since) : time;
          progress = progressBar(io, options.progress, 'audit export [{bar}] {percentage}% | {events} events | up to {time}', Math.max(1, until - start), { events: 0, time: '' });
        }
        progress.update(Math.min(until, time) - start, { events: count, time: event.time });
        await write(options.format === 'csv' ? csvRow(csvCells(event)) : `${JSON.stringify(event)}\n`);
      }
      if (progress) {
        progress.update(until - start, { events: count, time: new Date(until).toISOString() });
        progress.stop();
      }
      if (file) {
        file.end();
        await finished(file);
        writeLine(io.stderr, `${count} events written to ${options.output}`);
      }
    });

  filterOptions(group.command('tail').description('recent events (default: the last hour), one line each; --follow keeps watching'))
    .option('-n, --lines <n>', 'at most this many of the recent events', (value) => Number(value), 20)
    .option('--follow', 'keep printing new events until interrupted')
    .option('--interval <seconds>', 'with --follow: how often to ask for new events', (value) => Number(value), 2)
    .option('--json', 'one JSON object per line (NDJSON) instead of text')
    .action(async (options: FilterOptions & { lines: number; follow?: boolean; interval: number; json?: boolean }, command: Command) => {
      if (!(options.interval >= 0.1)) throw new UsageError('--interval must be at least 0.1 seconds');
      if (!Number.isInteger(options.lines) || options.lines < 0) throw new UsageError('--lines must be a whole number');
      const api = managementClient(command, io);
      const print = (event: AuditEvent) => writeLine(io.stdout, options.json ? JSON.stringify(event) : eventLine(event));
      const recent = await readFrom(api, { ...options, since: options.since ?? new Date(Date.now() - 3_600_000).toISOString() });
      recent.slice(-options.lines).forEach(print);
      if (!options.follow) return;
      // New events: those from the instant of the last one seen on (inclusive: several may share
      // it), minus the ones seen at that instant.
      let since = recent.at(-1)?.time ?? new Date().toISOString();
      let seenAtSince = new Set(recent.filter((event) => event.time === since).map((event) => event.id));
      for (;;) {
        await sleep(options.interval * 1000);
        const read = await readFrom(api, { ...options, since, until: undefined });
        read.filter((event) => !(event.time === since && seenAtSince.has(event.id))).forEach(print);
        const last = read.at(-1);
        if (last && last.time !== since) {
          since = last.time;
          seenAtSince = new Set();
        }
        for (const event of read) if (event.time === since) seenAtSince.add(event.id);
      }
    });
}

function filterOptions(command: Command): Command {
  return command
    .option('--since <when>', 'from this instant: ISO date-time, date, or a span back from now (24h, 7d)', parseInstant('--since'))
    .option('--until <when>', 'up to this instant, same forms', parseInstant('--until'))
    .option('--operation <name>', 'only this operation, e.g. VerificationCodeSent')
    .option('--sharing-id <id>', 'only events about this link')
    .option('--email <address>', 'only events about this address');
}

function query(options: FilterOptions): Record<string, string | undefined> {
  return { since: options.since, until: options.until, operation: options.operation, sharingId: options.sharingId, email: options.email };
}

async function readFrom(api: ManagementClient, options: FilterOptions): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const page of api.pages<AuditEvent>('audit:read', '/audit', { ...query(options), limit: 100 })) events.push(...page);
  return events;
}

function csvCells(event: AuditEvent): (string | undefined)[] {
  return [event.id, event.time, event.operation, event.actor.type, event.actor.id, event.sharingId, event.result, event.ip, event.userAgent, JSON.stringify(event.detail)];
}

function eventLine(event: AuditEvent): string {
  const detail = Object.entries(event.detail)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return [event.time, event.operation, event.result, `${event.actor.type}:${event.actor.id}`, event.sharingId ? `link=${event.sharingId}` : '', detail].filter(Boolean).join('  ');
}
