/**
 * `guestpass report external-sharing`: every live link with its external recipients, each with
 * when they were added, verified and last seen (SPEC §6) — one CSV row per recipient, or the
 * links as JSON or NDJSON. Read as a stream, with progress on stderr.
 */
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';

import type { LinkView } from '../../api/views.ts';
import { sharingReportCsvHeader, sharingReportCsvRows } from '../../sharing_report.ts';
import { UsageError, writeLine, type CliIo } from '../io.ts';
import { connectionOptions, managementClient } from '../management.ts';
import { outputFile } from '../output_file.ts';
import { progressBar } from '../progress.ts';

export function registerReport(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('report').description('reports: external-sharing'));
  group
    .command('external-sharing')
    .description('live links and their external recipients (anyone not a member)')
    .option('-f, --format <format>', 'csv (one row per recipient), json or ndjson (one link per line)', 'csv')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--progress', 'show progress on stderr even when it is not a terminal')
    .option('--no-progress', 'no progress, even on a terminal')
    .action(async (options: { format: string; output?: string; progress?: boolean }, command: Command) => {
      if (!['csv', 'json', 'ndjson'].includes(options.format)) throw new UsageError(`--format must be csv, json or ndjson, not "${options.format}"`);
      const api = managementClient(command, io);
      const file = options.output ? await outputFile(options.output) : undefined;
      const out: NodeJS.WritableStream = file ?? io.stdout;
      const write = (text: string) => (out.write(text) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve())));
      // No total is known before the end: the bar counts.
      const progress = progressBar(io, options.progress, 'external sharing | {links} links, {recipients} recipients', 0, { links: 0, recipients: 0 });
      let links = 0;
      let recipients = 0;
      if (options.format === 'csv') await write(sharingReportCsvHeader);
      if (options.format === 'json') await write('[');
      for await (const link of api.lines<LinkView>('links:read', '/reports/external-sharing')) {
        links += 1;
        recipients += link.recipients.length;
        progress.update(0, { links, recipients });
        if (options.format === 'csv') {
          await write(sharingReportCsvRows(link));
        } else if (options.format === 'json') {
          await write(`${links > 1 ? ',' : ''}\n  ${JSON.stringify(link)}`);
        } else {
          await write(`${JSON.stringify(link)}\n`);
        }
      }
      if (options.format === 'json') await write(links > 0 ? '\n]\n' : ']\n');
      progress.stop();
      if (file) {
        file.end();
        await finished(file);
        writeLine(io.stderr, `${links} links, ${recipients} external recipients written to ${options.output}`);
      }
    });
}
