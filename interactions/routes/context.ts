/**
 * What the interaction routes share: their dependencies, what the steps leave on `ctx.state`
 * for the next ones (the interaction, the sign-in record, the parsed form), and the few reads of
 * a request that pages and events need (language, client name, the invitation presented).
 */
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';

import type { AuditLog } from '../../src/audit.ts';
import type { Branding, PageBranding } from '../../src/branding.ts';
import { clientPresentationOf, presentationImageSources } from '../../src/client_presentation.ts';
import type { Clock } from '../../src/clock.ts';
import type { EligibilityCheck } from '../../src/eligibility.ts';
import { normalizeEmail } from '../../src/emails.ts';
import type { Federation } from '../../src/federation.ts';
import type { FederationPlanner } from '../../src/federation_planner.ts';
import { requestOrigin } from '../../src/http/request_origin.ts';
import { contentSecurityPolicy } from '../../src/http/security_headers.ts';
import { messagesFor, negotiateLocale, type Locale, type Messages } from '../../src/i18n/index.ts';
import { invitationCookie, invitationsClientId, type InvitationRecord, type Invitations, type PresentedInvitation } from '../../src/invitations.ts';
import type { Links } from '../../src/links.ts';
import type { SafeHtml } from '../../src/html.ts';
import type { Logger } from '../../src/log.ts';
import type { People } from '../../src/people.ts';
import type { PolicySource } from '../../src/policy.ts';
import type { RequestContext } from '../sign_in/code_requests.ts';
import type { FinishDeps, InteractionDetails, SignInFinish } from '../sign_in/finish.ts';
import type { SignInFlow } from '../sign_in/flow.ts';
import type { SignInRecord } from '../sign_in/state.ts';
import { clientSlot } from '../views/client_slot.ts';

export type { InteractionDetails } from '../sign_in/finish.ts';

export interface InteractionDeps {
  provider: Provider;
  flow: SignInFlow;
  links: Pick<Links, 'recordAccess' | 'recipientVerdict'>;
  federation: Pick<Federation, 'byId' | 'complete' | 'authorizationUrl' | 'formTargets' | 'tenantIssuerFor'>;
  /** Work-account decisions (the same the sign-in flow uses). */
  planner: FederationPlanner;
  eligibility: EligibilityCheck;
  invitations: Pick<Invitations, 'presented' | 'shownTo' | 'bindTicket' | 'acceptPendingGuest' | 'redeem'>;
  supportContact?: string | undefined;
  store: FinishDeps['store'];
  people: Pick<People, 'get' | 'findByEmail' | 'findByIdentity' | 'linkIdentity'>;
  audit: AuditLog;
  policy: PolicySource;
  clock: Clock;
  logger: Logger;
  /** The organisation's name, logo and accent colour on every page, and the logo's origin for the CSP. */
  branding: Branding;
  issuer: string;
}

/** What every route gets: the dependencies, and the one finisher of sign-ins. */
export interface RouteDeps extends InteractionDeps {
  finish: SignInFinish;
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `loadInteraction`. */
    interaction?: InteractionDetails;
    /** Set by `loadSignIn`, and replaced by each event with where the sign-in now stands. */
    signIn?: SignInRecord;
    /** Set by `checkForm`: the posted form, parsed by the route's schema. */
    form?: unknown;
  }
}

export function interactionOf(ctx: Context): InteractionDetails {
  const details = ctx.state.interaction;
  if (!details) throw new Error('loadInteraction must run before this step');
  return details;
}

export function signInOf(ctx: Context): SignInRecord {
  const record = ctx.state.signIn;
  if (!record) throw new Error('loadSignIn must run before this step');
  return record;
}

/** The form `checkForm(schema)` parsed; the schema names its type. */
export function formOf<T>(ctx: Context, _schema: { parse(input: unknown): T }): T {
  if (ctx.state.form === undefined) throw new Error('checkForm must run before this step');
  return ctx.state.form as T;
}

export function uidParam(ctx: RouterContext): string {
  return String(ctx.params.uid);
}

/** The language chosen on the page, else `ui_locales`, else Accept-Language. */
export function localeOf(ctx: Context, details?: InteractionDetails, record?: SignInRecord): Locale {
  return record?.locale ?? negotiateLocale({ uiLocales: details?.params.ui_locales, acceptLanguage: ctx.get('accept-language') });
}

/**
 * The frame of a sign-in page — the person's language, the organisation, and who is asking —
 * and the CSP that lets exactly what it shows through: forms to the relying party and the work
 * providers, images from here, the organisation's logo and this client's logo, nothing else.
 * An invitation is guestpass's own client: its page speaks of the inviter instead.
 */
export async function pageFrame(ctx: Context, deps: Pick<InteractionDeps, 'branding' | 'provider' | 'federation' | 'issuer'>, details: InteractionDetails, record?: SignInRecord): Promise<PageBranding & { locale: Locale; t: Messages; languageSwitch: boolean; clientSlot?: SafeHtml | undefined }> {
  const locale = localeOf(ctx, details, record);
  const t = messagesFor(locale);
  const clientId = String(details.params.client_id);
  const client = clientId === invitationsClientId ? undefined : await clientOf(deps, details);
  // Pages judge the URLs by the issuer alone; registration already held them to `production`.
  const presentation = client && clientPresentationOf(client, { issuer: deps.issuer, production: false });
  await setPageSecurity(ctx, deps, details, presentation ? presentationImageSources(presentation, deps.issuer) : []);
  return { locale, t, ...deps.branding.page, languageSwitch: true, clientSlot: presentation && clientSlot(t, presentation) };
}

/** One request's interaction asks for its client once: a registered client is a read from the store. */
const clientLookups = new WeakMap<InteractionDetails, ReturnType<Provider['Client']['find']>>();

function clientOf(deps: Pick<InteractionDeps, 'provider'>, details: InteractionDetails): ReturnType<Provider['Client']['find']> {
  let lookup = clientLookups.get(details);
  if (!lookup) {
    lookup = deps.provider.Client.find(String(details.params.client_id));
    clientLookups.set(details, lookup);
  }
  return lookup;
}

export async function clientNameOf(deps: Pick<InteractionDeps, 'provider'>, details: InteractionDetails): Promise<string> {
  const client = await clientOf(deps, details);
  return client?.clientName ?? String(details.params.client_id);
}

/** Who asked for a code, as the mail and the audit need it. */
export async function requestContextOf(ctx: Context, deps: Pick<InteractionDeps, 'provider'>): Promise<RequestContext> {
  const details = interactionOf(ctx);
  return { ...requestOrigin(ctx), locale: localeOf(ctx, details, signInOf(ctx)), clientName: await clientNameOf(deps, details) };
}

/** The invitation this sign-in carries, when the browser holds its ticket (the cookie the redeem URL set). */
export function presentedInvitation(ctx: Context, deps: Pick<InteractionDeps, 'invitations'>, details: InteractionDetails): Promise<PresentedInvitation | undefined> {
  const loginHint = typeof details.params.login_hint === 'string' ? normalizeEmail(details.params.login_hint) : undefined;
  return deps.invitations.presented(details.params.invitation, ctx.cookies.get(invitationCookie.name, { signed: false }), loginHint, details.uid);
}

/** The invitation this sign-in's page speaks of, when the browser holds its ticket; redeemed or not. */
export function shownInvitation(ctx: Context, deps: Pick<InteractionDeps, 'invitations'>, details: InteractionDetails): Promise<InvitationRecord | undefined> {
  return deps.invitations.shownTo(details.params.invitation, ctx.cookies.get(invitationCookie.name, { signed: false }));
}

/** The display name (`client_name`) of a client, when it is registered and has one. */
export async function clientDisplayName(deps: Pick<InteractionDeps, 'provider'>, clientId: string): Promise<string | undefined> {
  return (await deps.provider.Client.find(clientId))?.clientName;
}

/** Forms may end at the relying party (the end of a sign-in) and at the work providers (an upgrade); images come from where the page shows them. */
async function setPageSecurity(ctx: Context, deps: Pick<InteractionDeps, 'federation' | 'branding'>, details: InteractionDetails, clientImageSources: readonly string[]): Promise<void> {
  const redirectUri = typeof details.params.redirect_uri === 'string' ? URL.parse(details.params.redirect_uri) : null;
  const targets = [...(redirectUri ? [redirectUri.origin] : []), ...(await deps.federation.formTargets())];
  ctx.set('Content-Security-Policy', contentSecurityPolicy([...new Set(targets)], [...deps.branding.imageSources, ...clientImageSources]));
}

/** Post/redirect/get: every form answers with a 303. */
export function redirect303(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

export function interactionPath(uid: string): string {
  return `/interaction/${uid}`;
}
