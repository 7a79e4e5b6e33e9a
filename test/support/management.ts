/** A management-API caller as a resource server would be: client_credentials with resource=<ISSUER>/api, then JSON over HTTP. */
import * as client from 'openid-client';

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
}

export interface LinkBody {
  id: string;
  resource: string;
  clientId: string;
  recipients: { email: string; userType: string; addedAt: string; verifiedAt?: string; lastAccessAt?: string }[];
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  live: boolean;
}

/** A person as the directory API shows one (SPEC §6). */
export interface PersonBody {
  id: string;
  email: string;
  userType: 'adhoc' | 'guest' | 'member';
  state?: 'PendingAcceptance' | 'Accepted';
  displayName?: string;
  disabled: boolean;
  groups: string[];
  identities: { issuer: string; subject: string }[];
  createdAt: string;
  lastVerifiedAt?: string;
}

/** What `POST /invitations` answers. */
export interface InvitationBody {
  user: PersonBody;
  inviteRedeemUrl: string;
}

/** Every list of the API: a page of items and the cursor of the next one (`null` on the last). */
export interface ListBody<T> {
  items: T[];
  nextCursor: string | null;
}
