/**
 * People: each verified address gets one person with a stable, opaque `sub` for life. An address
 * in one of the organisation's domains is a `member`; anyone else starts as `adhoc`.
 */
import { randomUUID } from 'node:crypto';

import type { PersonRecord, Store, UserType } from '../adapters/store.ts';
import type { Clock } from './clock.ts';
import { domainOf } from './emails.ts';

export class People {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #organizationDomains: ReadonlySet<string>;

  constructor(store: Store, clock: Clock, organizationDomains: readonly string[]) {
    this.#store = store;
    this.#clock = clock;
    this.#organizationDomains = new Set(organizationDomains);
  }

  userTypeFor(emailNormalized: string): UserType {
    return this.#organizationDomains.has(domainOf(emailNormalized)) ? 'member' : 'adhoc';
  }

  /** The person for a just-verified address, created on first verification, with `lastVerifiedAt` now. */
  async recordVerification(email: { display: string; normalized: string }): Promise<PersonRecord> {
    const now = this.#clock.now();
    const { person, created } = await this.#store.createPersonIfAbsent({
      id: randomUUID(),
      email: email.display,
      emailNormalized: email.normalized,
      userType: this.userTypeFor(email.normalized),
      disabled: false,
      groups: [],
      identities: [],
      createdAt: now,
      lastVerifiedAt: now,
    });
    if (created) return person;
    return (await this.#store.savePerson({ ...person, lastVerifiedAt: now })) ?? person;
  }

  get(id: string): Promise<PersonRecord | undefined> {
    return this.#store.getPerson(id);
  }

  findByEmail(emailNormalized: string): Promise<PersonRecord | undefined> {
    return this.#store.findPersonByEmail(emailNormalized);
  }
}
