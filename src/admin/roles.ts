/**
 * Who may use the admin console, and as what (docs/console.md): `admin` may do everything the
 * console offers, `auditor` only read. A role comes from the configuration — an address in
 * `admin.emails` or `admin.auditorEmails`, or a `member` in one of `admin.groups` — and is asked
 * again on every console request, so removing someone from a list or a group, or disabling
 * them, takes their console away at once. Admin wins where both apply.
 */
import type { PersonRecord } from '../../adapters/store.ts';
import type { AdminConfig } from '../../config/schema.ts';
import type { People } from '../people.ts';

export const consoleRoles = ['admin', 'auditor'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

export class ConsoleRoles {
  readonly #emails: Record<ConsoleRole, ReadonlySet<string>>;
  readonly #groups: Record<ConsoleRole, ReadonlySet<string>>;
  readonly #people: Pick<People, 'findByEmail' | 'get'>;

  constructor(config: AdminConfig, people: Pick<People, 'findByEmail' | 'get'>) {
    this.#emails = { admin: new Set(config.emails), auditor: new Set(config.auditorEmails) };
    this.#groups = { admin: new Set(config.groups.admin), auditor: new Set(config.groups.auditor) };
    this.#people = people;
  }

  /** Whether anyone at all can get in. */
  get anyone(): boolean {
    return consoleRoles.some((role) => this.#emails[role].size > 0 || this.#groups[role].size > 0);
  }

  /** The role of an address, whether or not the directory knows it yet (a listed admin's first sign-in). */
  async ofAddress(emailNormalized: string): Promise<ConsoleRole | undefined> {
    const person = await this.#people.findByEmail(emailNormalized);
    if (person) return this.of(person);
    return consoleRoles.find((role) => this.#emails[role].has(emailNormalized));
  }

  /** The role of a person now; none once they are disabled. */
  of(person: PersonRecord): ConsoleRole | undefined {
    if (person.disabled) return undefined;
    return consoleRoles.find((role) => this.#emails[role].has(person.emailNormalized) || (person.userType === 'member' && person.groups.some((group) => this.#groups[role].has(group))));
  }

  /** The role of the person with this `sub`, read from the directory now. */
  async ofPerson(id: string): Promise<{ person: PersonRecord; role: ConsoleRole } | undefined> {
    const person = await this.#people.get(id);
    const role = person && this.of(person);
    return person && role ? { person, role } : undefined;
  }
}

/**
 * A console session keeps the role it signed in with: a role taken away applies at once, a role
 * granted since waits for the next sign-in (no session gains power it was not signed in with).
 */
export function narrowerRole(a: ConsoleRole, b: ConsoleRole): ConsoleRole {
  return a === 'auditor' || b === 'auditor' ? 'auditor' : 'admin';
}
