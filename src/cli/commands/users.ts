/**
 * `guestpass users list|invite|disable|enable|delete|revoke-sessions`: the directory (docs/api.md).
 * A person is named by id (their `sub`) or by email address.
 */
import type { Command } from 'commander';

import type { PersonView } from '../../api/views.ts';
import { normalizeEmail } from '../../emails.ts';
import type { ManagementClient } from '../api_client.ts';
import { CliError, UsageError, writeJson, writeLine, writeTable, type CliIo } from '../io.ts';
import { connectionOptions, managementClient, positiveInteger } from '../management.ts';

export function registerUsers(program: Command, io: CliIo): void {
  const group = connectionOptions(program.command('users').description('the directory: list, invite, disable, enable, delete, revoke-sessions'));

  group
    .command('list')
    .description('people in the directory')
    .option('--type <type>', 'adhoc, guest or member')
    .option('--email <prefix>', 'addresses starting with this')
    .option('--limit <n>', 'people per page (1–100)', positiveInteger('--limit', 100), 50)
    .option('--all', 'follow every page, not just the first')
    .option('--json', 'print the people as a JSON array')
    .action(async (options: { type?: string; email?: string; limit: number; all?: boolean; json?: boolean }, command: Command) => {
      if (options.type && !['adhoc', 'guest', 'member'].includes(options.type)) throw new UsageError(`--type must be adhoc, guest or member, not "${options.type}"`);
      const api = managementClient(command, io);
      const people: PersonView[] = [];
      for await (const page of api.pages<PersonView>('directory:read', '/users', { type: options.type, email: options.email, limit: options.limit })) {
        people.push(...page);
        if (!options.all) break;
      }
      if (options.json) return writeJson(io.stdout, people);
      writeTable(
        io.stdout,
        ['ID', 'EMAIL', 'TYPE', 'STATE', 'LAST VERIFIED'],
        people.map((person) => [person.id, person.email, person.userType, person.disabled ? 'disabled' : (person.state ?? 'active'), person.lastVerifiedAt ?? '-']),
      );
    });

  group
    .command('invite')
    .description('invite a guest; prints the redeem URL')
    .argument('<email>', 'the guest\'s address')
    .option('--name <display name>', 'how to greet them')
    .option('--redirect-url <url>', 'where to send them once they accepted (on a registered client\'s origin)')
    .option('--send-mail', 'mail them the invitation')
    .option('--locale <locale>', 'language of the mail: en, de, es, fr or it')
    .option('--json', 'print {user, inviteRedeemUrl} as JSON')
    .action(async (email: string, options: { name?: string; redirectUrl?: string; sendMail?: boolean; locale?: string; json?: boolean }, command: Command) => {
      const response = await managementClient(command, io).request<{ user: PersonView; inviteRedeemUrl: string }>('directory:write', 'POST', '/invitations', {
        body: {
          email,
          ...(options.name ? { displayName: options.name } : {}),
          ...(options.redirectUrl ? { redirectUrl: options.redirectUrl } : {}),
          ...(options.sendMail ? { sendInvitationMail: true } : {}),
          ...(options.locale ? { locale: options.locale } : {}),
        },
      });
      if (options.json) return writeJson(io.stdout, response.body);
      writeLine(io.stdout, response.body.inviteRedeemUrl);
    });

  for (const [name, disabled, description] of [
    ['disable', true, 'disable a person: their sessions end, and they get no code until enabled'],
    ['enable', false, 'enable a disabled person again'],
  ] as const) {
    group
      .command(name)
      .description(description)
      .argument('<person>', 'id or email address')
      .option('--json', 'print the person as JSON')
      .action(async (person: string, options: { json?: boolean }, command: Command) => {
        const api = managementClient(command, io);
        const id = await personId(api, person);
        const response = await api.request<PersonView>('directory:write', 'PATCH', `/users/${encodeURIComponent(id)}`, { body: { disabled } });
        if (options.json) return writeJson(io.stdout, response.body);
        writeLine(io.stderr, `${disabled ? 'disabled' : 'enabled'} ${response.body.email} (${id})`);
      });
  }

  group
    .command('delete')
    .description('delete a person; their address stays blocked until invited again')
    .argument('<person>', 'id or email address')
    .action(async (person: string, _options: unknown, command: Command) => {
      const api = managementClient(command, io);
      const id = await personId(api, person);
      await api.request('directory:write', 'DELETE', `/users/${encodeURIComponent(id)}`);
      writeLine(io.stderr, `deleted ${person === id ? id : `${person} (${id})`}`);
    });

  group
    .command('revoke-sessions')
    .description('end every session, grant and token of a person')
    .argument('<person>', 'id or email address')
    .option('--json', 'print what was ended as JSON')
    .action(async (person: string, options: { json?: boolean }, command: Command) => {
      const api = managementClient(command, io);
      const id = await personId(api, person);
      const response = await api.request<{ sessions: number; grants: number; backchannelSent: number; backchannelFailed: number }>('directory:write', 'POST', `/users/${encodeURIComponent(id)}/revoke-sessions`);
      if (options.json) return writeJson(io.stdout, response.body);
      const ended = response.body;
      writeLine(io.stdout, `ended ${ended.sessions} sessions and ${ended.grants} grants; back-channel logout sent ${ended.backchannelSent}, failed ${ended.backchannelFailed}`);
    });
}

/** A person's id: the argument itself, or looked up when it is an address. */
async function personId(api: ManagementClient, person: string): Promise<string> {
  if (!person.includes('@')) return person;
  const wanted = normalizeEmail(person);
  const page = await api.get<{ items: PersonView[] }>('directory:read', '/users', { email: wanted, limit: 100 });
  const match = page.items.find((candidate) => normalizeEmail(candidate.email) === wanted);
  if (!match) throw new CliError(`not found: nobody in the directory has the address ${person}`);
  return match.id;
}
