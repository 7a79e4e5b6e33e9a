/**
 * Interaction routes: show the current step, accept a step. They parse input (zod), check the
 * CSRF token, move the state machine in `sign_in.ts`, and redirect with 303 (post/redirect/get).
 * They hold no sign-in logic of their own.
 *
 * Every POST must carry the interaction's CSRF token and must not come from another site
 * (`Sec-Fetch-Site` / `Origin`); oidc-provider's interaction cookie, `SameSite=Lax`, already ties
 * the interaction to the browser that started it.
 */
import { timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { errors, type Provider } from 'oidc-provider';
import { z } from 'zod';

import { TemporarilyUnavailable } from '../adapters/oidc_adapter.ts';
import type { Store } from '../adapters/store.ts';
import type { AuditLog } from '../src/audit.ts';
import type { Clock } from '../src/clock.ts';
import { maskEmail, normalizeEmail } from '../src/emails.ts';
import { isStoreUnavailable } from '../src/errors.ts';
import { createGrant, grantTtlSeconds } from '../src/grants.ts';
import { contentSecurityPolicy, noStore } from '../src/http/security_headers.ts';
import { isLocale, messagesFor, negotiateLocale, type Locale } from '../src/i18n/index.ts';
import type { Logger } from '../src/log.ts';
import type { People } from '../src/people.ts';
import { FederationError, type Federation } from '../src/federation.ts';
import { invitationCookie, type Invitations, type PresentedInvitation } from '../src/invitations.ts';
import type { Links } from '../src/links.ts';
import type { PolicySource } from '../src/policy.ts';
import { applyUpstreamAnswer } from './federation.ts';
import { RecordChangedError, UnexpectedStepError, type EligibilityCheck, type FederationPlanner, type SignInFlow, type SignInRecord, type SignInStep } from './sign_in.ts';
import { accessRemovedPage, chooseAccountPage, codePage, deliveryText, emailPage, errorPage, noAccessPage, upgradeFailedPage, upgradeOfferPage } from './views/pages.ts';

export interface InteractionDeps {
  provider: Provider;
  flow: SignInFlow;
  links: Links;
  federation: Federation;
  /** Work-account decisions (the same the sign-in flow uses). */
  planner: FederationPlanner;
  eligibility: EligibilityCheck;
  invitations: Invitations;
  supportContact?: string | undefined;
  store: Store;
  people: People;
  audit: AuditLog;
  policy: PolicySource;
  clock: Clock;
  logger: Logger;
  organizationName: string;
  issuer: string;
}

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

class FormRejected extends Error {
  constructor(
    readonly status: 400 | 403,
    message: string,
  ) {
    super(message);
  }
}

const uidPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** The prompts whose interaction is a sign-in (the state machine); consent is answered without a page. */
const signInPrompts = new Set(['login', 'select_account']);
const csrfForm = z.object({ csrf: z.string().min(1).max(256) });
const emailForm = csrfForm.extend({ email: z.string().max(1000) });
const codeForm = csrfForm.extend({ code: z.string().max(64), keep_signed_in: z.literal('1').optional() });
const upgradeForm = csrfForm.extend({ choice: z.enum(['accept', 'decline']) });

export function interactionRouter(deps: InteractionDeps): Router {
  const { provider, flow } = deps;
  const router = new Router({ prefix: '/interaction' });
  const parseForm = bodyParser({
    enableTypes: ['form'],
    formLimit: '8kb',
    onError: () => {
      throw new FormRejected(400, 'the form could not be read');
    },
  });

  router.use(noStore, interactionErrors(deps));
  router.param('uid', (uid, ctx, next) => {
    if (!uidPattern.test(uid)) throw new errors.SessionNotFound('malformed interaction id');
    return next();
  });

  router.get('/:uid', async (ctx) => {
    const details = await interactionFor(ctx);
    if (details.prompt.name === 'consent') return finishConsent(ctx, details);
    if (!signInPrompts.has(details.prompt.name)) throw new errors.InvalidRequest(`unsupported prompt ${details.prompt.name}`);
    const record = await recordFor(details);
    const lang = ctx.query.lang;
    if (isLocale(lang)) await flow.chooseLocale(record, lang);
    if (record.step.name === 'verified') return finishLogin(ctx, details, record);
    await showStep(ctx, details, record);
  });

  router.get('/:uid/status', async (ctx) => {
    const details = await interactionFor(ctx);
    const record = await recordFor(details);
    if (record.step.name !== 'code_sent') {
      ctx.body = { step: record.step.name };
      return;
    }
    const delivery = await flow.deliveryState(record);
    ctx.body = { step: record.step.name, delivery, text: deliveryText(messagesFor(localeOf(ctx, details, record)), delivery) };
  });

  router.post('/:uid/email', parseForm, (ctx) =>
    step(ctx, emailForm, async (record, form, details) => flow.submitEmail(record, { email: form.email }, await requestContext(ctx, details, record))),
  );
  router.post('/:uid/resend', parseForm, (ctx) =>
    step(ctx, csrfForm, async (record, _form, details) => flow.resendCode(record, await requestContext(ctx, details, record))),
  );
  router.post('/:uid/change-email', parseForm, (ctx) => step(ctx, csrfForm, (record) => flow.changeEmail(record)));
  router.post('/:uid/continue-as', parseForm, async (ctx) => {
    rejectCrossSite(ctx, deps.issuer);
    const details = await interactionFor(ctx);
    const record = await recordFor(details);
    parseBody(ctx, csrfForm, record.csrf);
    if (details.prompt.name !== 'select_account' || record.step.name !== 'choose_account') throw new FormRejected(400, 'there is no account to continue as here');
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { select_account: {} }, { mergeWithLastSubmission: true });
    redirect303(ctx, returnTo);
  });
  router.post('/:uid/upgrade', parseForm, (ctx) => step(ctx, upgradeForm, (record, form) => flow.answerUpgrade(record, form.choice === 'accept')));
  router.post('/:uid/continue', parseForm, (ctx) => step(ctx, csrfForm, (record) => flow.continueWithCode(record)));
  router.post('/:uid/restart', parseForm, (ctx) => step(ctx, csrfForm, (record) => flow.restart(record)));
  router.post('/:uid/work-account', parseForm, (ctx) =>
    step(ctx, csrfForm, async (record, _form, details) => {
      const invitation = await invitationFor(ctx, details);
      if (!invitation || !(await deps.invitations.bindTicket(invitation, details.uid))) {
        throw new FormRejected(400, 'only an invitation can be accepted with a work account here');
      }
      return flow.useWorkAccount(record, invitation);
    }),
  );
  router.get('/:uid/federation/:provider', async (ctx) => {
    const details = await interactionFor(ctx);
    const entry = deps.federation.byId(String(ctx.params.provider));
    if (!entry || !signInPrompts.has(details.prompt.name)) throw new errors.SessionNotFound('no such work-account provider for this sign-in');
    let record = await recordFor(details);
    if (record.step.name !== 'federating' || record.step.providerId !== entry.id) throw new errors.SessionNotFound('this sign-in is not waiting for a work account');
    const step = record.step;
    try {
      const { claims } = await deps.federation.complete(entry, details.uid, ctx.querystring);
      const verdict = await applyUpstreamAnswer(deps, record, step, entry, claims, origin(ctx));
      record = verdict.ok ? await flow.federationSucceeded(record, verdict.person, claims.issuer) : await flow.federationFailed(record, verdict.reason);
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      if (error.reason === 'unknown_state' || error.reason === 'state_mismatch') throw new errors.SessionNotFound(error.message);
      record = await flow.federationFailed(record, error.reason === 'provider_unavailable' ? 'provider_unavailable' : 'upstream_error');
    }
    if (record.step.name === 'verified') return finishLogin(ctx, details, record);
    redirect303(ctx, `/interaction/${details.uid}`);
  });
  router.post('/:uid/code', parseForm, (ctx) =>
    step(ctx, codeForm, (record, form) => flow.submitCode(record, { code: form.code, keepSignedIn: form.keep_signed_in === '1' }, origin(ctx))),
  );

  return router;

  // --- steps -----------------------------------------------------------------------------------

  /** Runs one event of the state machine for a POST, then shows where the sign-in stands. */
  async function step<S extends z.ZodType<{ csrf: string }>>(
    ctx: Context,
    schema: S,
    event: (record: SignInRecord, form: z.output<S>, details: InteractionDetails) => Promise<SignInRecord>,
  ): Promise<void> {
    rejectCrossSite(ctx, deps.issuer);
    const details = await interactionFor(ctx);
    if (!signInPrompts.has(details.prompt.name)) throw new FormRejected(400, 'this interaction does not take a sign-in form');
    let record = await recordFor(details);
    const form = parseBody(ctx, schema, record.csrf);
    try {
      record = await event(record, form, details);
    } catch (error) {
      // Another request moved the sign-in on meanwhile (a double click, a second tab): go by
      // where it stands now rather than by what this request read.
      if (!(error instanceof UnexpectedStepError || error instanceof RecordChangedError)) throw error;
      record = (await flow.read(record.uid)) ?? record;
      if (error instanceof UnexpectedStepError && record.step.name !== 'verified') await flow.notify(record, { kind: 'step_unavailable' });
    }
    if (record.step.name === 'verified') return finishLogin(ctx, details, record);
    redirect303(ctx, `/interaction/${details.uid}`);
  }

  async function showStep(ctx: Context, details: InteractionDetails, record: SignInRecord): Promise<void> {
    const locale = localeOf(ctx, details, record);
    const t = messagesFor(locale);
    const frame = { locale, t, organizationName: deps.organizationName, languageSwitch: true };
    const notice = await flow.takeNotice(record);
    const policy = await deps.policy.get();
    const now = deps.clock.now();
    await setPageSecurity(ctx, details);
    ctx.type = 'html';
    switch (record.step.name) {
      case 'enter_email': {
        ctx.body = emailPage(frame, {
          uid: details.uid,
          csrf: record.csrf,
          clientName: await clientName(details),
          emailDraft: notice?.kind === 'invalid_email' ? notice.draft : record.step.emailDraft,
          workAccount: await workAccountFor(ctx, details),
          notice,
          now,
          codeLength: policy.otp.length,
        });
        return;
      }
      case 'code_sent': {
        ctx.body = codePage(frame, {
          uid: details.uid,
          csrf: record.csrf,
          maskedEmail: maskEmail(record.step.email),
          codeLength: policy.otp.length,
          ttlMinutes: Math.round(policy.otp.ttlSeconds / 60),
          reverificationDays: policy.reverificationDays,
          delivery: await flow.deliveryState(record),
          resendAvailableAt: await flow.resendAvailableAt(record),
          notice,
          now,
        });
        return;
      }
      case 'access_removed': {
        ctx.body = accessRemovedPage(frame, {
          uid: details.uid,
          csrf: record.csrf,
          maskedEmail: maskEmail(record.step.email),
          organizationName: deps.organizationName,
          supportContact: deps.supportContact,
        });
        return;
      }
      case 'wrong_account': {
        ctx.body = noAccessPage(frame, { uid: details.uid, csrf: record.csrf, maskedEmail: maskEmail(record.step.email), action: 'change-email' });
        return;
      }
      case 'choose_account': {
        ctx.body = chooseAccountPage(frame, { uid: details.uid, csrf: record.csrf, maskedEmail: maskEmail(record.step.email), clientName: await clientName(details) });
        return;
      }
      case 'upgrade_offered': {
        ctx.body = upgradeOfferPage(frame, { uid: details.uid, csrf: record.csrf, maskedEmail: maskEmail(record.step.verified.email), providerName: providerName(record.step.providerId) });
        return;
      }
      case 'upgrade_failed': {
        ctx.body = upgradeFailedPage(frame, { uid: details.uid, csrf: record.csrf, reason: record.step.reason });
        return;
      }
      case 'federating': {
        const entry = deps.federation.byId(record.step.providerId);
        if (!entry) {
          await flow.federationFailed(record, 'provider_unavailable');
          return redirect303(ctx, `/interaction/${details.uid}`);
        }
        try {
          const url = await deps.federation.authorizationUrl(entry, { interactionUid: details.uid, purpose: record.step.purpose, email: record.step.emailNormalized });
          return redirect303(ctx, url);
        } catch (error) {
          if (!(error instanceof FederationError)) throw error;
          await flow.federationFailed(record, 'provider_unavailable');
          return redirect303(ctx, `/interaction/${details.uid}`);
        }
      }
      case 'verified':
        throw new UnexpectedStepError(['enter_email', 'code_sent'], 'verified');
    }
  }

  /** An invited guest whose domain has a work provider may accept with it instead of a code. */
  async function workAccountFor(ctx: Context, details: InteractionDetails): Promise<{ providerName: string } | undefined> {
    const invitation = await invitationFor(ctx, details);
    const providerId = invitation && (await deps.planner.redeemProvider(invitation.email));
    return providerId ? { providerName: providerName(providerId) } : undefined;
  }

  /** The invitation this sign-in carries, when the browser holds its ticket (the cookie the redeem URL set). */
  function invitationFor(ctx: Context, details: InteractionDetails): Promise<PresentedInvitation | undefined> {
    const loginHint = typeof details.params.login_hint === 'string' ? normalizeEmail(details.params.login_hint) : undefined;
    return deps.invitations.presented(details.params.invitation, ctx.cookies.get(invitationCookie.name, { signed: false }), loginHint, details.uid);
  }

  function providerName(providerId: string): string {
    return deps.federation.byId(providerId)?.name ?? providerId;
  }

  /**
   * The code was right: sign the person in, with a grant recording the link this was for.
   * Parallel requests may all see the sign-in verified; exactly one finishes it (a slot in the
   * store is the gate) and the others follow that one to the same place.
   */
  async function finishLogin(ctx: Context, details: InteractionDetails, record: SignInRecord): Promise<void> {
    if (record.step.name !== 'verified') throw new UnexpectedStepError(['verified'], record.step.name);
    const verified = record.step;
    // Asked once more at the very end: access may have changed since the code was sent, and a
    // work-account sign-in was not asked before it went upstream.
    const eligibility = await deps.eligibility({ emailNormalized: verified.emailNormalized, clientId: record.clientId, sharingId: record.sharingId });
    if (eligibility.kind !== 'deliver') return showNoAccess(ctx, details, record, verified.email);
    // Disabled since they proved their address (a code mailed before, a trip to the work provider).
    if ((await deps.people.get(verified.personId))?.disabled) {
      await flow.removeAccess(record).catch((error: unknown) => {
        if (!(error instanceof RecordChangedError)) throw error;
      });
      return redirect303(ctx, `/interaction/${details.uid}`);
    }
    const gate = await deps.store.claimSlot(`signin-finish:${record.uid}`, Math.max(1, details.exp - Math.floor(Date.now() / 1000)), deps.clock.now());
    if (!gate.claimed) return followFinished(ctx, details);
    const { personId, verifiedAt, keepSignedIn, amr, idp } = verified;
    const person = await deps.people.get(personId);
    if (!person) throw new errors.SessionNotFound('the verified person no longer exists');
    const invitationId = (await invitationFor(ctx, details))?.invitationId;
    await deps.invitations.acceptPendingGuest(person, { amr, clientId: record.clientId, invitationId }, origin(ctx));
    const grantId = await createGrant(provider, deps.store, {
      accountId: person.id,
      clientId: record.clientId,
      params: details.params,
      context: { personId: person.id, sharingId: record.sharingId, idp },
      ttlSeconds: grantTtlSeconds((await deps.policy.get()).reverificationDays),
    });
    if (record.sharingId) await deps.links.recordAccess(record.sharingId, person.emailNormalized, { verified: true });
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        login: { accountId: person.id, amr, remember: keepSignedIn, ts: Math.floor(verifiedAt / 1000) },
        consent: { grantId },
        // prompt=select_account is answered by choosing another address and proving it.
        ...(details.prompt.name === 'select_account' ? { select_account: {} } : {}),
      },
      { mergeWithLastSubmission: false },
    );
    await deps.audit.record('SignedIn', {
      actor: { type: 'person', id: person.id },
      sharingId: record.sharingId,
      detail: { email: person.emailNormalized, clientId: record.clientId, userType: person.userType, amr, ...(idp ? { idp } : {}) },
      ...origin(ctx),
    });
    redirect303(ctx, returnTo);
  }

  /** The person proved who they are, but this link is not theirs: say so, and offer another address. */
  async function showNoAccess(ctx: Context, details: InteractionDetails, record: SignInRecord, email: string): Promise<void> {
    const locale = localeOf(ctx, details, record);
    await setPageSecurity(ctx, details);
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = noAccessPage({ locale, t: messagesFor(locale), organizationName: deps.organizationName, languageSwitch: true }, { uid: details.uid, csrf: record.csrf, maskedEmail: maskEmail(email), action: 'restart' });
  }

  /** Waits (briefly) for the request that is finishing this sign-in, then goes where it went. */
  async function followFinished(ctx: Context, details: InteractionDetails): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const interaction = await provider.Interaction.find(details.uid);
      if (!interaction) throw new errors.SessionNotFound('the sign-in was completed by another request');
      if (interaction.result) return redirect303(ctx, interaction.returnTo);
      if (Date.now() > deadline) throw new errors.SessionNotFound('the sign-in is being completed by another request');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** A live session asks for a client it has not granted for this link yet: grant and return. */
  async function finishConsent(ctx: Context, details: InteractionDetails): Promise<void> {
    const accountId = details.session?.accountId;
    const person = accountId ? await deps.people.get(accountId) : undefined;
    if (!person || person.disabled) {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'the signed-in person is no longer available' });
      return redirect303(ctx, returnTo);
    }
    const sharingId = typeof details.params.sharing_id === 'string' ? details.params.sharing_id : undefined;
    const clientId = String(details.params.client_id);
    // The login prompt's check has already asked this; asked again here so no path grants what a code would not.
    const verdict = await deps.eligibility({ emailNormalized: person.emailNormalized, clientId, sharingId });
    if (verdict.kind !== 'deliver') {
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'the signed-in person has no access here' });
      return redirect303(ctx, returnTo);
    }
    if (sharingId) await deps.links.recordAccess(sharingId, person.emailNormalized, { verified: false });
    const grantId = await createGrant(provider, deps.store, {
      accountId: person.id,
      clientId,
      params: details.params,
      context: { personId: person.id, sharingId },
      ttlSeconds: grantTtlSeconds((await deps.policy.get()).reverificationDays),
    });
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    await deps.audit.record('SignedIn', {
      actor: { type: 'person', id: person.id },
      sharingId,
      detail: { email: person.emailNormalized, clientId, userType: person.userType, amr: details.session?.amr ?? [], sso: true },
      ...origin(ctx),
    });
    redirect303(ctx, returnTo);
  }

  // --- helpers ---------------------------------------------------------------------------------

  async function interactionFor(ctx: Context): Promise<InteractionDetails> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction cookie does not match this page');
    return details;
  }

  async function recordFor(details: InteractionDetails): Promise<SignInRecord> {
    const { params } = details;
    const loginHint = typeof params.login_hint === 'string' ? params.login_hint.slice(0, 254) : undefined;
    const existing = await flow.read(details.uid);
    return (
      existing ??
      flow.load({
        uid: details.uid,
        clientId: String(params.client_id),
        sharingId: typeof params.sharing_id === 'string' ? params.sharing_id : undefined,
        loginHint,
        expiresAt: details.exp * 1000,
        firstStep: await firstStepWithSession(details, loginHint),
      })
    );
  }

  /**
   * Where a sign-in begins when the browser already has a session: the signed-in person has no
   * access to this link (say so, without a word about who has), prompt=select_account (offer to
   * continue), a disabled person (access removed), or a new proof that is due (the same address,
   * pre-filled: reverification, prompt=login, max_age).
   */
  async function firstStepWithSession(details: InteractionDetails, loginHint: string | undefined): Promise<SignInStep | undefined> {
    const accountId = details.session?.accountId;
    const person = accountId ? await deps.people.get(accountId) : undefined;
    if (!person) return undefined;
    if (person.disabled) return { name: 'access_removed', email: person.email };
    if (details.prompt.name === 'select_account') return { name: 'choose_account', email: person.email, personId: person.id };
    if (details.prompt.reasons.includes('sharing_link_access')) return { name: 'wrong_account', email: person.email };
    return { name: 'enter_email', emailDraft: loginHint ?? person.email };
  }

  async function clientName(details: InteractionDetails): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function requestContext(ctx: Context, details: InteractionDetails, record: SignInRecord) {
    return { ...origin(ctx), locale: localeOf(ctx, details, record), clientName: await clientName(details) };
  }

  /** Forms may end at the relying party (the end of a sign-in) and at the work providers (an upgrade). */
  async function setPageSecurity(ctx: Context, details: InteractionDetails): Promise<void> {
    const redirectUri = typeof details.params.redirect_uri === 'string' ? URL.parse(details.params.redirect_uri) : null;
    const targets = [...(redirectUri ? [redirectUri.origin] : []), ...(await deps.federation.formTargets())];
    ctx.set('Content-Security-Policy', contentSecurityPolicy([...new Set(targets)]));
  }
}

// --- shared by routes and the error handler --------------------------------------------------

function localeOf(ctx: Context, details: InteractionDetails | undefined, record?: SignInRecord): Locale {
  return record?.locale ?? negotiateLocale({ uiLocales: details?.params.ui_locales, acceptLanguage: ctx.get('accept-language') });
}

function origin(ctx: Context) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
}

function redirect303(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

/**
 * Refuses a form posted from another site. Our pages send `Referrer-Policy: no-referrer`, under
 * which browsers send `Origin: null` even for a page's own forms, so `null` is accepted unless
 * `Sec-Fetch-Site` says the post is cross-site (a sandboxed frame elsewhere also says `null`).
 * The CSRF token and SameSite=Lax cookies stand behind this check either way.
 */
function rejectCrossSite(ctx: Context, issuer: string): void {
  const site = ctx.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') throw new FormRejected(403, 'the form was posted from another site');
  const requestOrigin = ctx.get('origin');
  if (requestOrigin && requestOrigin !== 'null' && requestOrigin !== new URL(issuer).origin) throw new FormRejected(403, 'the form was posted from another origin');
}

function parseBody<S extends z.ZodType<{ csrf: string }>>(ctx: Context, schema: S, expectedCsrf: string): z.output<S> {
  const body = ctx.request.body;
  const csrf = csrfForm.safeParse(body);
  if (!csrf.success || !sameToken(csrf.data.csrf, expectedCsrf)) throw new FormRejected(403, 'missing or wrong CSRF token');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new FormRejected(400, 'the form is incomplete');
  return parsed.data;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** People get a page in their language; nothing they did wrong becomes a 500. */
function interactionErrors(deps: InteractionDeps) {
  return async function renderInteractionError(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const locale = localeOf(ctx, undefined);
      const t = messagesFor(locale);
      const page = (status: number, message: string, details?: { error: string; description?: string }) => {
        ctx.status = status;
        ctx.type = 'html';
        ctx.body = errorPage({ locale, t, organizationName: deps.organizationName }, { message, details });
      };
      if (error instanceof FormRejected) {
        deps.logger.info({ path: ctx.path, reason: error.message }, 'interaction form rejected');
        return page(error.status, error.status === 403 ? t.error.forbidden : t.error.invalidRequest);
      }
      if (error instanceof errors.SessionNotFound) return page(400, t.error.expired);
      if (isStoreUnavailable(error) || error instanceof TemporarilyUnavailable) {
        ctx.set('Retry-After', '5');
        return page(503, t.error.unavailable);
      }
      if (error instanceof errors.OIDCProviderError && error.status < 500) {
        return page(error.status, t.error.invalidRequest, { error: error.message, description: (error as { error_description?: string }).error_description });
      }
      deps.logger.error({ err: error, path: ctx.path }, 'interaction failed');
      page(500, t.error.generic);
    }
  };
}
