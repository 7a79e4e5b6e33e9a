/**
 * How a relying party presents itself on the sign-in pages: its `client_name`, `logo_uri`,
 * `policy_uri` and `tos_uri` (standard client metadata, OIDC Dynamic Client Registration §2).
 *
 * Whoever registers a client chooses these values, and every person signing in to it sees them,
 * so they are treated as hostile: the name is only ever escaped text; a URL is used only when it
 * is a plain web URL the page may load without mixed content — https, or in development (an
 * http issuer) http on a loopback host — never `javascript:`, `data:` or one with credentials in
 * it. Registration refuses anything else, naming the field (`assertPresentationMetadata`, run by
 * src/provider.ts for dynamic and static clients alike), and the pages drop it again
 * (`clientPresentationOf`), for a client stored before the rule or a rule that changed.
 */
import { errors } from 'oidc-provider';

/** The metadata this module reads, as oidc-provider names it. */
export const presentationUriFields = ['logo_uri', 'policy_uri', 'tos_uri'] as const;
export type PresentationUriField = (typeof presentationUriFields)[number];

/** Where a client is shown, as the page needs it: every URL already judged safe to use. */
export interface ClientPresentation {
  /** `client_name`, trimmed and bounded; absent when the client gave none. */
  name?: string | undefined;
  logoUri?: string | undefined;
  policyUri?: string | undefined;
  tosUri?: string | undefined;
}

export interface PresentationRules {
  /** The issuer: an https issuer never shows an http URL (mixed content). */
  issuer: string;
  /** Production accepts https only, whatever the issuer. */
  production: boolean;
}

/** Longer names are cut on the page (a name is a line, not a message). */
export const maxShownNameLength = 100;

const loopbackHost = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Why a value cannot be one of these URLs under the rules, or undefined when it can. */
export function presentationUriProblem(field: PresentationUriField, value: unknown, rules: PresentationRules): string | undefined {
  if (typeof value !== 'string') return `${field} must be a string`;
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `${field} must be an https URL`;
  if (url.username || url.password) return `${field} must not carry a user name or password`;
  if (url.protocol === 'https:') return undefined;
  if (rules.production) return `${field} must be an https URL in production`;
  if (new URL(rules.issuer).protocol === 'https:') return `${field} must be an https URL: the pages are served over https`;
  return loopbackHost.test(url.hostname) ? undefined : `${field} may be an http URL only on a loopback host (localhost, 127.0.0.1, [::1]) in development; use https`;
}

/**
 * Registration's check (`extraClientMetadata.validator`): the first unusable URL stops the
 * client with `invalid_client_metadata` naming the field.
 */
export function assertPresentationMetadata(metadata: Partial<Record<PresentationUriField, unknown>>, rules: PresentationRules): void {
  for (const field of presentationUriFields) {
    if (metadata[field] === undefined) continue;
    const problem = presentationUriProblem(field, metadata[field], rules);
    if (problem) throw new errors.InvalidClientMetadata(problem);
  }
}

/** What a client shows, from oidc-provider's `Client` (static or stored); unusable values are left out. */
export function clientPresentationOf(
  client: { clientName?: unknown; logoUri?: unknown; policyUri?: unknown; tosUri?: unknown },
  rules: PresentationRules,
): ClientPresentation {
  const usable = (field: PresentationUriField, value: unknown) => (value !== undefined && presentationUriProblem(field, value, rules) === undefined ? new URL(value as string).href : undefined);
  return {
    name: shownName(client.clientName),
    logoUri: usable('logo_uri', client.logoUri),
    policyUri: usable('policy_uri', client.policyUri),
    tosUri: usable('tos_uri', client.tosUri),
  };
}

/** The origin a page showing this client's logo must let images come from; none when it is the issuer's own. */
export function presentationImageSources(presentation: ClientPresentation, issuer: string): string[] {
  if (!presentation.logoUri) return [];
  const origin = new URL(presentation.logoUri).origin;
  return origin === new URL(issuer).origin ? [] : [origin];
}

function shownName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  // Control characters have no business in a name on a page, nor bidi overrides that would show
  // it reversed (the page isolates the name with <bdi> as well); runs of spaces collapse.
  const clean = name
    .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim();
  if (!clean) return undefined;
  const characters = [...clean];
  return characters.length > maxShownNameLength ? `${characters.slice(0, maxShownNameLength - 1).join('')}…` : clean;
}
