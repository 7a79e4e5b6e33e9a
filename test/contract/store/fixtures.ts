/** What every part of the store contract shares: the store as the contract sees it, fixtures, and small helpers. */
import { expect } from 'chai';

import { InvalidCursorError } from '../../../adapters/errors.ts';
import type { AuditEvent, CodeInspection, FederatedIdentity, LinkRecipient, LinkRecord, OutboxMail, Page, PersonRecord, Store, StoredCode } from '../../../adapters/store.ts';

/** A store as the contract sees it: the production interface, and reading codes back. */
export type ContractStore = Store & CodeInspection;

/**
 * Stands for the store of the test that is running. The parts of the contract register their
 * tests once, before any store exists, and every test gets a fresh store: through this, each
 * test's `store.…` reaches its own.
 */
export function storeOfEachTest(current: () => ContractStore): ContractStore {
  return new Proxy({} as ContractStore, {
    get(_target, property) {
      const store = current();
      const value: unknown = Reflect.get(store, property);
      return typeof value === 'function' ? value.bind(store) : value;
    },
  });
}

/** Every page of a list, as `key` of each item; checks that only the last page has a null cursor. */
export async function everyPage<Query, T>(query: Query, limit: number, list: (cursor: string | undefined) => Promise<Page<T>>, key: (item: T) => string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await list(cursor);
    pages.push(page.items.map(key));
    if (page.nextCursor === null) return pages;
    expect(page.items).to.have.length(limit);
    if (pages.length > 100) throw new Error(`no last page after 100 pages of ${JSON.stringify(query)}`);
    cursor = page.nextCursor;
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` holds (checking every 10 ms), or fails naming `what` after 10 s. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let checks = 0; !condition(); checks += 1) {
    if (checks >= 1000) throw new Error(`still waiting for ${what}`);
    await delay(10);
  }
}

export const times = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Every cursor, under every query, is refused with an InvalidCursorError. */
export async function expectEachCursorRejected<Query>(
  list: (query: Query, page: { cursor: string; limit: number }) => Promise<unknown>,
  queries: Query[],
  cursors: string[],
): Promise<void> {
  for (const query of queries) {
    for (const cursor of cursors) {
      const error = await rejectionOf(list(query, { cursor, limit: 10 }));
      expect(error, `${JSON.stringify(query)} ${cursor}`).to.be.instanceOf(InvalidCursorError);
      expect(error).to.include({ code: 'invalid_cursor' });
    }
  }
}

export function storedCode(codeId: string, overrides: Partial<StoredCode> = {}): StoredCode {
  const now = Date.now();
  return { codeId, email: 'ada@example.com', digest: `digest-of-${codeId}`, issuedAt: now, expiresAt: now + 600_000, attempts: 0, ...overrides };
}

export function outboxMail(id: string, overrides: Partial<OutboxMail> = {}): OutboxMail {
  const now = Date.now();
  return {
    id,
    sealed: `sealed-body-of-${id}`,
    label: 'code to a***@example.com',
    state: 'queued',
    attempts: 0,
    createdAt: now,
    nextAttemptAt: now,
    notAfter: now + 600_000,
    ...overrides,
  };
}

/** Person fixtures, shared with the tests of what only one store has. */
export function person(id: string, emailNormalized: string, overrides: Partial<PersonRecord> = {}): PersonRecord {
  return {
    version: 1,
    id,
    email: emailNormalized.toUpperCase(),
    emailNormalized,
    userType: 'guest',
    state: 'PendingAcceptance',
    disabled: false,
    groups: [],
    identities: [],
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** Link fixtures, shared with the tests of what only one store has. */
export function recipient(emailNormalized: string, overrides: Partial<LinkRecipient> = {}): LinkRecipient {
  return { email: emailNormalized.toUpperCase(), emailNormalized, addedAt: 1_700_000_000_000, ...overrides };
}

export function secureLink(id: string, overrides: Partial<LinkRecord> = {}): LinkRecord {
  return {
    version: 1,
    id,
    resource: `https://files.example.com/${id}`,
    clientId: 'client-1',
    recipients: [recipient('ada@example.com')],
    createdAt: 1_700_000_000_000,
    createdBy: 'owner@example.com',
    ...overrides,
  };
}

export function auditEvent(overrides: Partial<Omit<AuditEvent, 'id'>> = {}): Omit<AuditEvent, 'id'> {
  return {
    time: new Date().toISOString(),
    operation: 'SignedIn',
    actor: { type: 'person', id: 'person-1' },
    detail: {},
    result: 'success',
    ...overrides,
  };
}

export const workIssuer = 'https://login.contoso.example/v2.0';
export const otherIssuer = 'https://accounts.fabrikam.example';
export const work = (subject: string): FederatedIdentity => ({ issuer: workIssuer, subject });
export const pad = (index: number, width = 2) => String(index).padStart(width, '0');
