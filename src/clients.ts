/**
 * Relying parties as the administrator manages them at runtime (`/api/v1/clients`, the CLI):
 * the static clients of the configuration, read-only, and the dynamic ones oidc-provider keeps
 * as `Client` model entries in the store (registered through RFC 7591 or created here), which
 * every instance reads on each use, so a change applies everywhere at once.
 *
 * A client secret leaves here twice only: in the answer to create and to rotate. Lists, reads,
 * logs and the audit trail never carry it.
 */
import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { Adapter, ClientMetadata } from 'oidc-provider';

import { InvalidCursorError } from '../adapters/errors.ts';
import type { AuditActor, ClientIndexStore, OidcModelStore, RecordStore } from '../adapters/store.ts';
import type { AuditLog, RequestOrigin } from './audit.ts';
import { checkRedirectSchemes, policyNames, type RegistrationPolicy } from './client_registration.ts';
import { endGrace, startGrace } from './client_secret_grace.ts';
import type { Clock } from './clock.ts';
import { ConflictError, NotFoundError } from './errors.ts';

/** A client as the API shows it: its metadata without the secret, and whether it can be changed here. */
export type ClientView = Record<string, unknown> & { client_id: string; readOnly: boolean; registeredAt: string | null };

/** Metadata no caller sets: the provider decides them. */
export const reservedMetadata = ['client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_access_token', 'registration_client_uri'] as const;
const hidden = new Set(['client_secret', 'registration_access_token']);

export const defaultGraceSeconds = 24 * 60 * 60;
export const maxGraceSeconds = 30 * 24 * 60 * 60;

export interface ClientsDeps {
  provider: Provider;
  store: Pick<OidcModelStore, 'findModel'> & ClientIndexStore & Pick<RecordStore, 'putRecord' | 'deleteRecord'>;
  audit: AuditLog;
  clock: Clock;
  issuer: string;
  staticClients: readonly ClientMetadata[];
}

type Stored = ClientMetadata & { client_secret?: string; client_id_issued_at?: number };

export class Clients {
  readonly #deps: ClientsDeps;
  readonly #static: Map<string, ClientMetadata>;

  constructor(deps: ClientsDeps) {
    this.#deps = deps;
    this.#static = new Map(deps.staticClients.map((client) => [client.client_id, client]));
  }

  /** Static clients first (in id order), then the dynamic ones; the cursor is opaque. */
  async list(page: { cursor?: string | undefined; limit: number }): Promise<{ items: ClientView[]; nextCursor: string | null }> {
    const statics = [...this.#static.keys()].sort();
    const items: ClientView[] = [];
    let storeCursor: string | undefined;
    if (page.cursor === undefined || page.cursor.startsWith('s')) {
      const offset = page.cursor === undefined ? 0 : Number(page.cursor.slice(1));
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > statics.length || page.cursor === 's') throw new InvalidCursorError();
      const slice = statics.slice(offset, offset + page.limit);
      items.push(...slice.map((id) => this.#view(this.#static.get(id)!, true)));
      if (offset + page.limit < statics.length) return { items, nextCursor: `s${offset + page.limit}` };
    } else if (page.cursor.startsWith('d')) {
      storeCursor = page.cursor.slice(1);
    } else {
      throw new InvalidCursorError();
    }
    const room = page.limit - items.length;
    if (room === 0) return { items, nextCursor: 'd' };
    const found = await this.#deps.store.listClientIds({ cursor: storeCursor || undefined, limit: room });
    const payloads = await Promise.all(found.items.map((id) => this.#deps.store.findModel('Client', id)));
    // An id whose client is gone (a crash between the two writes) is skipped.
    items.push(...payloads.flatMap((payload) => (payload ? [this.#view(payload as Stored, false)] : [])));
    return { items, nextCursor: found.nextCursor === null ? null : `d${found.nextCursor}` };
  }

  async get(clientId: string): Promise<ClientView> {
    const known = this.#static.get(clientId);
    if (known) return this.#view(known, true);
    return this.#view(await this.#dynamic(clientId), false);
  }

  /** Creates a client from its metadata; the answer carries the secret, this once. */
  async create(metadata: Record<string, unknown>, actor: AuditActor, origin: RequestOrigin, via: 'api' | 'console' = 'api'): Promise<ClientView & { client_secret?: string }> {
    const { Client } = this.#deps.provider;
    const properties: Stored = { ...metadata, client_id: `gp-${randomBytes(12).toString('base64url')}`, client_id_issued_at: Math.floor(this.#deps.clock.now() / 1000) };
    if ((Client as unknown as { needsSecret(m: unknown): boolean }).needsSecret({ token_endpoint_auth_method: 'client_secret_basic', ...properties })) {
      properties.client_secret = newSecret();
    }
    const saved = await this.#save(properties);
    await this.#deps.audit.record('ClientRegistered', { actor, detail: { clientId: saved.client_id, via, clientName: saved.client_name }, ...origin });
    return { ...this.#view(saved, false), ...(saved.client_secret ? { client_secret: saved.client_secret } : {}) };
  }

  /** Changes the given metadata (`null` removes a field); the secret stays. */
  async update(clientId: string, changes: Record<string, unknown>, actor: AuditActor, origin: RequestOrigin): Promise<ClientView> {
    const current = await this.#dynamic(clientId, 'changed');
    const next: Record<string, unknown> = { ...current };
    for (const [field, value] of Object.entries(changes)) {
      if (value === null) delete next[field];
      else next[field] = value;
    }
    const saved = await this.#save(next as Stored);
    await this.#deps.audit.record('ClientUpdated', { actor, detail: { clientId, fields: Object.keys(changes).sort() }, ...origin });
    return this.#view(saved, false);
  }

  async delete(clientId: string, actor: AuditActor, origin: RequestOrigin, via: 'api' | 'console' = 'api'): Promise<void> {
    await this.#dynamic(clientId, 'deleted');
    await this.#adapter().destroy(clientId);
    await endGrace(this.#deps.store, clientId);
    await this.#deps.audit.record('ClientDeleted', { actor, detail: { clientId, via }, ...origin });
  }

  /** A new secret; the previous one keeps working for `graceSeconds` (see client_secret_grace.ts). */
  async rotateSecret(clientId: string, graceSeconds: number, actor: AuditActor, origin: RequestOrigin): Promise<ClientView & { client_secret: string; previousSecretValidUntil: string | null }> {
    const current = await this.#dynamic(clientId, 'rotated');
    if (!current.client_secret) throw new ConflictError(`client ${clientId} has no secret to rotate (token_endpoint_auth_method ${String(current.token_endpoint_auth_method)})`);
    const secret = newSecret();
    // The grace first: if saving the new secret fails, the old one still works and nothing is lost.
    await startGrace(this.#deps.store, this.#deps.clock, clientId, current.client_secret, graceSeconds);
    const saved = await this.#save({ ...current, client_secret: secret });
    await this.#deps.audit.record('ClientSecretRotated', { actor, detail: { clientId, graceSeconds }, ...origin });
    const until = graceSeconds > 0 ? new Date(this.#deps.clock.now() + graceSeconds * 1000).toISOString() : null;
    return { ...this.#view(saved, false), client_secret: secret, previousSecretValidUntil: until };
  }

  /** An initial access token for RFC 7591 registration; its value is in the answer only. */
  async issueInitialAccessToken(options: { expiresInSeconds: number; policy: RegistrationPolicy }, actor: AuditActor, origin: RequestOrigin): Promise<{ initial_access_token: string; expiresAt: string; policy: RegistrationPolicy }> {
    const { InitialAccessToken } = this.#deps.provider;
    const token = new InitialAccessToken({ expiresIn: options.expiresInSeconds, policies: policyNames(options.policy) } as never);
    const value = await token.save();
    const expiresAt = new Date(this.#deps.clock.now() + options.expiresInSeconds * 1000).toISOString();
    await this.#deps.audit.record('InitialAccessTokenIssued', { actor, detail: { expiresAt, ...options.policy }, ...origin });
    return { initial_access_token: value, expiresAt, policy: options.policy };
  }

  async #dynamic(clientId: string, change?: string): Promise<Stored> {
    if (change && this.#static.has(clientId)) {
      throw new ConflictError(`client ${clientId} comes from the configuration file and cannot be ${change} here (readOnly); change the file instead`);
    }
    const payload = await this.#deps.store.findModel('Client', clientId);
    if (!payload) throw new NotFoundError(`no such client: ${clientId}`);
    return payload as Stored;
  }

  /** Checks the metadata as oidc-provider does (throwing its invalid_client_metadata/invalid_redirect_uri), then stores it. */
  async #save(properties: Stored): Promise<Stored> {
    checkRedirectSchemes(this.#deps.issuer, properties);
    const { Client } = this.#deps.provider;
    const client = new (Client as unknown as new (metadata: unknown) => { metadata(): Stored })(properties);
    const metadata = client.metadata();
    await this.#adapter().upsert(metadata.client_id, metadata as never);
    return metadata;
  }

  /** oidc-provider's own adapter for clients, so it stores (and indexes) them exactly as registration does. */
  #adapter(): Adapter {
    return (this.#deps.provider.Client as unknown as { adapter: Adapter }).adapter;
  }

  #view(metadata: ClientMetadata | Stored, readOnly: boolean): ClientView {
    const shown = Object.fromEntries(Object.entries(metadata).filter(([field]) => !hidden.has(field)));
    const issuedAt = (metadata as Stored).client_id_issued_at;
    return { ...shown, client_id: metadata.client_id, readOnly, registeredAt: typeof issuedAt === 'number' ? new Date(issuedAt * 1000).toISOString() : null };
  }
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
