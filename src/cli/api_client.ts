/**
 * The management API as the CLI speaks it: a `client_credentials` token for `<ISSUER>/api`
 * (RFC 8707) with the scopes a command needs, then JSON — or NDJSON, read line by line so an
 * export of any size never sits in memory. Errors become `CliError`s that say what the server
 * said (`error`, `error_description`) and what to do about the common ones.
 *
 * Client credentials cross the network only over https, or over http to this machine (a
 * development server on localhost).
 */
import * as client from 'openid-client';

import { CliError } from './io.ts';
import type { Connection } from './connection.ts';

export type ManagementScope = 'links:read' | 'links:write' | 'directory:read' | 'directory:write' | 'audit:read' | 'settings:write' | 'admin';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

const requestTimeoutMs = 30_000;

export class ManagementClient {
  readonly #connection: Connection;
  readonly #tokens = new Map<string, Promise<string>>();
  #configuration: Promise<client.Configuration> | undefined;

  constructor(connection: Connection) {
    this.#connection = connection;
    const url = URL.parse(connection.issuer);
    if (!url || !/^https?:$/.test(url.protocol)) throw new CliError(`the issuer must be an http(s) URL, not "${connection.issuer}"`);
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new CliError(`refusing to send client credentials over plain http to ${url.host}; use the https issuer (http is accepted for this machine only)`);
    }
  }

  get issuer(): string {
    return this.#connection.issuer;
  }

  async request<T>(scope: ManagementScope, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const response = await this.#fetch(scope, method, path, options, 'application/json');
    const text = await response.text();
    const body = text === '' ? undefined : parseJson(text);
    if (!response.ok) throw apiError(response.status, body, method, path);
    return { status: response.status, headers: response.headers, body: body as T };
  }

  get<T>(scope: ManagementScope, path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>(scope, 'GET', path, { query }).then((response) => response.body);
  }

  /** Every item of a list endpoint, page after page (`nextCursor` until null). */
  async *pages<T>(scope: ManagementScope, path: string, query: RequestOptions['query'] = {}): AsyncGenerator<T[]> {
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; nextCursor: string | null }>(scope, path, { ...query, cursor });
      yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** An NDJSON export, one parsed object per line, as the server streams it. */
  async *lines<T>(scope: ManagementScope, path: string, query: RequestOptions['query'] = {}): AsyncGenerator<T> {
    const response = await this.#fetch(scope, 'GET', path, { query }, 'application/x-ndjson', false);
    if (!response.ok) throw apiError(response.status, parseJson(await response.text()), 'GET', path);
    if (!response.body) return;
    let buffered = '';
    for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as T;
  }

  async #fetch(scope: ManagementScope, method: string, path: string, options: RequestOptions, accept: string, timeout = true): Promise<Response> {
    const token = await this.#token(scope);
    const url = new URL(`${this.#connection.issuer}/api/v1${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    try {
      return await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept,
          'user-agent': 'guestpass-cli',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        ...(timeout ? { signal: AbortSignal.timeout(requestTimeoutMs) } : {}),
      });
    } catch (error) {
      throw unreachable(this.#connection.issuer, error);
    }
  }

  /**
   * A token with `scope`, and with `admin` when the client may have it (to see every client's
   * links and the whole audit trail): asked for with `admin` first, without it when refused.
   */
  #token(scope: ManagementScope): Promise<string> {
    let token = this.#tokens.get(scope);
    if (!token) {
      token = this.#grant(`${scope} admin`).catch((error: unknown) => {
        if (errorCode(error) !== 'invalid_scope') throw error;
        return this.#grant(scope);
      });
      token = token.catch((error: unknown) => {
        throw this.#tokenError(error, scope);
      });
      this.#tokens.set(scope, token);
    }
    return token;
  }

  async #grant(scope: string): Promise<string> {
    const configuration = await this.#discover();
    const tokens = await client.clientCredentialsGrant(configuration, { scope, resource: `${this.#connection.issuer}/api` });
    return tokens.access_token;
  }

  #discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.#connection;
    this.#configuration ??= client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
      execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
      timeout: requestTimeoutMs / 1000,
    });
    return this.#configuration;
  }

  #tokenError(error: unknown, scope: string): CliError {
    const { clientId, issuer } = this.#connection;
    const code = errorCode(error);
    if (code === 'invalid_client') return new CliError(`${issuer} refused client "${clientId}" (invalid_client): check the client id and secret`);
    if (code === 'invalid_scope') return new CliError(`client "${clientId}" may not have the ${scope} scope: add it to the client's scope metadata`);
    if (code === 'unauthorized_client') return new CliError(`client "${clientId}" may not use client_credentials: add it to the client's grant_types`);
    if (code) return new CliError(`${issuer} refused a token: ${code}${errorDescription(error) ? `: ${errorDescription(error)}` : ''}`);
    return unreachable(issuer, error);
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function apiError(status: number, body: unknown, method: string, path: string): CliError {
  const { error, error_description: description } = (typeof body === 'object' && body !== null ? body : {}) as { error?: string; error_description?: string };
  if (status === 404 && error === 'not_found') return new CliError(`not found: ${description ?? `${method} ${path}`}`);
  return new CliError(`${method} ${path} answered ${status}${error ? ` ${error}` : ''}${description ? `: ${description}` : ''}`);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { error?: unknown } | undefined)?.error;
  return typeof code === 'string' ? code : undefined;
}

function errorDescription(error: unknown): string | undefined {
  const description = (error as { error_description?: unknown } | undefined)?.error_description;
  return typeof description === 'string' ? description : undefined;
}

function unreachable(issuer: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new CliError(`cannot reach ${issuer} (${reason})`);
}
