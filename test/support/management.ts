/** A management-API caller as a resource server would be: client_credentials with resource=<ISSUER>/api, then JSON over HTTP. */
import { expect } from 'chai';
import * as client from 'openid-client';

import type { LinkView } from '../../src/api/views.ts';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ClientCredentials {
  client_id: string;
  client_secret: string;
}

export async function managementToken(issuer: string, credentials: ClientCredentials, scope: string): Promise<string> {
  const config = await client.discovery(new URL(issuer), credentials.client_id, credentials.client_secret, undefined, { execute: [client.allowInsecureRequests] });
  const tokens = await client.clientCredentialsGrant(config, { scope, resource: `${issuer}/api` });
  return tokens.access_token;
}

export class ManagementApi {
  constructor(
    readonly issuer: string,
    readonly token: string,
  ) {}

  static async as(issuer: string, credentials: ClientCredentials, scope: string): Promise<ManagementApi> {
    return new ManagementApi(issuer, await managementToken(issuer, credentials, scope));
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.issuer}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // NDJSON or empty bodies stay text
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('POST', path, body);
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Shares a resource with `recipients` as this client (`POST /links`); anything but a 201 fails the test. */
  async share(recipients: readonly string[], extra: { resource?: string; expiresAt?: string; createdBy?: string } = {}): Promise<LinkView> {
    const response = await this.post<LinkView>('/links', { resource: `files/${recipients[0]}.pdf`, recipients, ...extra });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  }
}

/** The API's answers as the API defines them (`src/api/views.ts`), under the names the tests use. */
export type { InvitationView as InvitationBody, LinkView as LinkBody, ListView as ListBody, PersonView as PersonBody } from '../../src/api/views.ts';
