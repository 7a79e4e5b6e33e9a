/** `guestpass links list|show|create|delete`: secure links through the management API (docs/api.md). */
import type { Command } from 'commander';

import type { LinkView } from '../../api/views.ts';
import { writeJson, writeLine, writeTable, type CliIo } from '../io.ts';
import { connectionOptions, managementClient, parseInstant, positiveInteger } from '../management.ts';

export function registerLinks(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('links').description('secure links: list, show, create, delete'));

  group
    .command('list')
    .description('links of this client (every client\'s, for an admin client), newest first')
    .option('--resource <resource>', 'only links to this resource')
    .option('--recipient <email>', 'only links shared with this address')
    .option('--limit <n>', 'links per page (1–100)', positiveInteger('--limit', 100), 50)
    .option('--all', 'follow every page, not just the first')
    .option('--json', 'print the links as a JSON array')
    .action(async (options: { resource?: string; recipient?: string; limit: number; all?: boolean; json?: boolean }, command: Command) => {
      const api = managementClient(command, io);
      const links: LinkView[] = [];
      for await (const page of api.pages<LinkView>('links:read', '/links', { resource: options.resource, recipient: options.recipient, limit: options.limit })) {
        links.push(...page);
        if (!options.all) break;
      }
      if (options.json) return writeJson(io.stdout, links);
      writeTable(
        io.stdout,
        ['ID', 'RESOURCE', 'RECIPIENTS', 'EXPIRES', 'LIVE'],
        links.map((link) => [link.id, link.resource, String(link.recipients.length), link.expiresAt ?? '-', link.live ? 'yes' : 'no']),
      );
    });

  group
    .command('show')
    .description('one link, with each recipient\'s added, verified and last-access times')
    .argument('<id>', 'the link\'s id (its sharing_id)')
    .option('--json', 'print the link as JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const link = await managementClient(command, io).get<LinkView>('links:read', `/links/${encodeURIComponent(id)}`);
      if (options.json) return writeJson(io.stdout, link);
      writeLine(io.stdout, `${link.id}  ${link.resource}`);
      writeLine(io.stdout, `  client ${link.clientId}, created ${link.createdAt} by ${link.createdBy}, ${link.expiresAt ? `expires ${link.expiresAt}` : 'no expiry'}${link.live ? '' : ' (expired)'}`);
      writeTable(
        io.stdout,
        ['  RECIPIENT', 'TYPE', 'ADDED', 'VERIFIED', 'LAST ACCESS'],
        link.recipients.map((recipient) => [`  ${recipient.email}`, recipient.userType, recipient.addedAt, recipient.verifiedAt ?? '-', recipient.lastAccessAt ?? '-']),
      );
    });

  group
    .command('create')
    .description('share a resource with email addresses; prints the new link\'s id')
    .requiredOption('--resource <resource>', 'what the link opens, in the resource server\'s own terms')
    .requiredOption('--recipient <email...>', 'who may open it (repeat, or list several)')
    .option('--expires <when>', 'expiry: an ISO date-time, or a span from now (7d, 12h)', parseExpiry)
    .option('--created-by <who>', 'who shared it, for the audit trail')
    .option('--json', 'print the whole link as JSON')
    .action(async (options: { resource: string; recipient: string[]; expires?: string; createdBy?: string; json?: boolean }, command: Command) => {
      const response = await managementClient(command, io).request<LinkView>('links:write', 'POST', '/links', {
        body: { resource: options.resource, recipients: options.recipient, ...(options.expires ? { expiresAt: options.expires } : {}), ...(options.createdBy ? { createdBy: options.createdBy } : {}) },
      });
      if (options.json) return writeJson(io.stdout, response.body);
      writeLine(io.stdout, response.body.id);
    });

  group
    .command('delete')
    .description('delete a link; its recipients lose access at once')
    .argument('<id>', 'the link\'s id')
    .action(async (id: string, _options: unknown, command: Command) => {
      await managementClient(command, io).request('links:write', 'DELETE', `/links/${encodeURIComponent(id)}`);
      writeLine(io.stderr, `deleted ${id}`);
    });
}

/** An expiry: an ISO date-time, or a span forward from now (`7d`). */
function parseExpiry(value: string): string {
  const span = /^(\d+)([mhd])$/.exec(value);
  if (span) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd'];
    return new Date(Date.now() + Number(span[1]) * unit).toISOString();
  }
  return parseInstant('--expires')(value);
}
