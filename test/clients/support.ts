/** What the client tests share: an administrator allowed to manage clients, and RFC 7591/7592 over real HTTP. */
import { expect } from 'chai';

import { adminClient } from '../support/guestpass.ts';
import { ManagementApi } from '../support/management.ts';

/** An administrator's client that may also manage relying parties. */
export const clientsAdmin = { ...adminClient, client_id: 'clients-admin', client_secret: 'clients-admin-secret-for-tests-only', scope: `${adminClient.scope} clients:read clients:write` };

export function clientsApi(issuer: string): Promise<ManagementApi> {
  return ManagementApi.as(issuer, clientsAdmin, 'clients:read clients:write');
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request to the registration endpoint (or a client's registration_client_uri) with a bearer token, as an RP's tooling sends it. */
export async function registration(url: string, method: string, token: string | undefined, body?: unknown): Promise<JsonAnswer> {
  const response = await fetch(url, {
    method,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** An initial access token from the clients API; anything but a 201 fails the test. */
export async function initialAccessToken(api: ManagementApi, options: Record<string, unknown> = {}): Promise<string> {
  const issued = await api.post<{ initial_access_token: string }>('/initial-access-tokens', options);
  expect(issued.status, JSON.stringify(issued.body)).to.equal(201);
  return issued.body.initial_access_token;
}
