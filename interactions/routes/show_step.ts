/**
 * `GET /interaction/:uid`: the page of the step the sign-in is at. A consent prompt is answered
 * without a page; a verified sign-in is finished; a `federating` step sends the browser to the
 * work provider. `?lang=xx` chooses the page's language for the rest of the sign-in.
 */
import { errors } from 'oidc-provider';

import { maskEmail } from '../../src/emails.ts';
import { FederationError, UnexpectedStepError } from '../../src/errors.ts';
import { isLocale } from '../../src/i18n/index.ts';
import { signInPurpose } from '../../src/sign_in_purpose.ts';
import { accessRemovedPage, chooseAccountPage, codePage, emailPage, noAccessPage, upgradeFailedPage, upgradeOfferPage, type EmailPageAbout } from '../views/pages.ts';
import {
  clientDisplayName,
  clientNameOf,
  interactionOf,
  interactionPath,
  pageFrame,
  presentedInvitation,
  redirect303,
  shownInvitation,
  signInOf,
  type InteractionDetails,
  type RouteDeps,
} from './context.ts';
import { finishSignIn, isSignInPrompt, loadInteraction, loadSignIn, type Step } from './steps.ts';

export function showStep(deps: RouteDeps): Step[] {
  const providerName = (providerId: string) => deps.federation.byId(providerId)?.name ?? providerId;
  const { organizationName } = deps.branding.page;

  /** Who asked and what for; for an invitation, who sent it and where it leads, told only to the browser holding its ticket. */
  const emailPageAbout = async (ctx: Parameters<Step>[0], details: InteractionDetails, purpose: ReturnType<typeof signInPurpose>): Promise<EmailPageAbout> => {
    if (purpose !== 'invitation') return { purpose, clientName: await clientNameOf(deps, details) };
    const invitation = await shownInvitation(ctx, deps, details);
    return {
      purpose,
      organizationName,
      inviterName: invitation && (await clientDisplayName(deps, invitation.invitedBy)),
      continueToSite: invitation?.redirectUrl && URL.parse(invitation.redirectUrl)?.host,
    };
  };

  return [
    loadInteraction(deps),

    async function answerConsent(ctx, next) {
      const details = interactionOf(ctx);
      if (details.prompt.name === 'consent') return redirect303(ctx, await deps.finish.consent(ctx, details));
      if (!isSignInPrompt(details.prompt.name)) throw new errors.InvalidRequest(`unsupported prompt ${details.prompt.name}`);
      return next();
    },

    loadSignIn(deps),

    async function chooseLanguage(ctx, next) {
      const lang = ctx.query.lang;
      if (isLocale(lang)) await deps.flow.chooseLocale(signInOf(ctx), lang);
      return next();
    },

    async function finishIfVerified(ctx, next) {
      if (signInOf(ctx).step.name === 'verified') return finishSignIn(ctx, deps);
      return next();
    },

    async function goToWorkProvider(ctx, next) {
      const record = signInOf(ctx);
      if (record.step.name !== 'federating') return next();
      const { uid } = interactionOf(ctx);
      const entry = deps.federation.byId(record.step.providerId);
      try {
        if (entry) return redirect303(ctx, await deps.federation.authorizationUrl(entry, { interactionUid: uid, purpose: record.step.purpose, email: record.step.emailNormalized }));
      } catch (error) {
        if (!(error instanceof FederationError)) throw error;
      }
      await deps.flow.federationFailed(record, 'provider_unavailable');
      redirect303(ctx, interactionPath(uid));
    },

    async function showPage(ctx) {
      const details = interactionOf(ctx);
      const record = signInOf(ctx);
      const frame = await pageFrame(ctx, deps, details, record);
      const notice = await deps.flow.takeNotice(record);
      const policy = await deps.policy.get();
      const now = deps.clock.now();
      const form = { uid: details.uid, csrf: record.csrf };
      const purpose = signInPurpose(record);
      ctx.type = 'html';
      const step = record.step;
      switch (step.name) {
        case 'enter_email': {
          const invitation = await presentedInvitation(ctx, deps, details);
          // An invited guest whose domain has a work provider may accept with it instead of a code.
          const workProvider = invitation && (await deps.planner.redeemProvider(invitation.email));
          ctx.body = emailPage(frame, {
            ...form,
            about: await emailPageAbout(ctx, details, purpose),
            emailDraft: notice?.kind === 'invalid_email' ? notice.draft : step.emailDraft,
            workAccount: workProvider ? { providerName: providerName(workProvider) } : undefined,
            notice,
            now,
            codeLength: policy.otp.length,
          });
          return;
        }
        case 'code_sent':
          ctx.body = codePage(frame, {
            ...form,
            purpose,
            maskedEmail: maskEmail(step.email),
            codeLength: policy.otp.length,
            ttlMinutes: Math.round(policy.otp.ttlSeconds / 60),
            reverificationDays: policy.reverificationDays,
            delivery: await deps.flow.deliveryState(record),
            resendAvailableAt: await deps.flow.resendAvailableAt(record),
            notice,
            now,
          });
          return;
        case 'access_removed':
          ctx.body = accessRemovedPage(frame, { ...form, maskedEmail: maskEmail(step.email), organizationName, supportContact: deps.supportContact, purpose });
          return;
        case 'wrong_account':
          ctx.body = noAccessPage(frame, { ...form, maskedEmail: maskEmail(step.email), action: 'change-email', purpose });
          return;
        case 'choose_account':
          ctx.body = chooseAccountPage(frame, { ...form, maskedEmail: maskEmail(step.email), clientName: await clientNameOf(deps, details) });
          return;
        case 'upgrade_offered':
          ctx.body = upgradeOfferPage(frame, { ...form, maskedEmail: maskEmail(step.verified.email), providerName: providerName(step.providerId) });
          return;
        case 'upgrade_failed':
          ctx.body = upgradeFailedPage(frame, { ...form, reason: step.reason });
          return;
        case 'verified':
        case 'federating':
          // Handled by the steps before; reaching here means the sign-in moved meanwhile.
          throw new UnexpectedStepError(['enter_email', 'code_sent'], step.name);
      }
    },
  ];
}
