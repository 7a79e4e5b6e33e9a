/**
 * The directory's administrative operations — disable or enable, delete, end every session —
 * each with its audit event, whoever asks: a client through the management API, or a person
 * through the admin console. One implementation, so both keep the same rules (a disabled or
 * deleted person's sessions end at once, everywhere).
 */
import type { AuditActor, PersonRecord } from '../adapters/store.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import type { People } from './people.ts';
import type { EndedSessions, Sessions } from './sessions.ts';

export class Directory {
  readonly #people: Pick<People, 'setDisabled' | 'delete'>;
  readonly #sessions: Pick<Sessions, 'endAll'>;
  readonly #audit: AuditLog;

  constructor(deps: { people: Pick<People, 'setDisabled' | 'delete'>; sessions: Pick<Sessions, 'endAll'>; audit: AuditLog }) {
    this.#people = deps.people;
    this.#sessions = deps.sessions;
    this.#audit = deps.audit;
  }

  /** Disables or enables a person; disabling ends their sessions. A person already so is left as is, unaudited. */
  async setDisabled(actor: AuditActor, person: PersonRecord, disabled: boolean, origin: RequestOrigin): Promise<PersonRecord> {
    if (person.disabled === disabled) return person;
    const changed = (await this.#people.setDisabled(person.id, disabled)) ?? person;
    const ended = disabled ? await this.#sessions.endAll(person.id) : undefined;
    await this.#audit.record('UserDisabled', {
      actor,
      detail: { email: person.emailNormalized, personId: person.id, disabled, ...(ended ? { sessionsEnded: ended.sessions } : {}) },
      ...origin,
    });
    return changed;
  }

  async delete(actor: AuditActor, person: PersonRecord, origin: RequestOrigin): Promise<void> {
    const ended = await this.#sessions.endAll(person.id);
    await this.#people.delete(person.id);
    await this.#audit.record('UserDeleted', {
      actor,
      detail: { email: person.emailNormalized, personId: person.id, userType: person.userType, sessionsEnded: ended.sessions },
      ...origin,
    });
  }

  async endSessions(actor: AuditActor, person: PersonRecord, origin: RequestOrigin): Promise<EndedSessions> {
    const ended = await this.#sessions.endAll(person.id);
    await this.#audit.record('SessionsRevoked', { actor, detail: { email: person.emailNormalized, personId: person.id, ...ended }, ...origin });
    return ended;
  }
}
