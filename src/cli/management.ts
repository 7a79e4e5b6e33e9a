/** What the management command groups share: the connection options and the client they make. */
import type { Command } from 'commander';

import { ManagementClient } from './api_client.ts';
import { resolveConnection, type ConnectionOptions } from './connection.ts';
import { UsageError, type CliIo } from './io.ts';

/** `--issuer`, `--client-id`, `--profile` on a management group; its subcommands read them. */
export function connectionOptions(command: Command): Command {
  return command
    .option('--issuer <url>', 'the guestpass to manage (default: GUESTPASS_ISSUER, or the profile\'s)')
    .option('--client-id <id>', 'the client to act as (default: GUESTPASS_CLIENT_ID, or the profile\'s); its secret comes from GUESTPASS_CLIENT_SECRET(_FILE) or the profile')
    .option('--profile <name>', 'a profile of the profile file (default: GUESTPASS_PROFILE, or the file\'s default)');
}

export function managementClient(command: Command, io: CliIo): ManagementClient {
  return new ManagementClient(resolveConnection(command.optsWithGlobals<ConnectionOptions>(), io.env));
}

/** A positive whole number from the command line. */
export function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1 || number > max) throw new UsageError(`${name} must be a whole number from 1 to ${max}, not "${value}"`);
    return number;
  };
}

/**
 * An instant from the command line: an ISO 8601 date-time, a date (midnight UTC), or a span
 * back from now (`90m`, `24h`, `7d`).
 */
export function parseInstant(name: string, now: () => number = Date.now) {
  return (value: string): string => {
    const span = /^(\d+)([smhd])$/.exec(value);
    if (span) {
      const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 's' | 'm' | 'h' | 'd'];
      return new Date(now() - Number(span[1]) * unit).toISOString();
    }
    const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new UsageError(`${name} must be an ISO 8601 date-time (2030-01-31T12:00:00Z), a date, or a span back from now (90m, 24h, 7d), not "${value}"`);
    return new Date(time).toISOString();
  };
}
