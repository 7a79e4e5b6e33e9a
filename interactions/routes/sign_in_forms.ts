/**
 * The forms of the sign-in pages, one route each: every one is accepted the same way (same
 * site, CSRF token, the route's fields), moves the state machine by one event, and then shows
 * where the sign-in stands — the next page, or the relying party once it is verified.
 */
import { z } from 'zod';

import { requestOrigin } from '../../src/http/request_origin.ts';
import { formOf, requestContextOf, type RouteDeps } from './context.ts';
import { acceptSignInForm, csrfForm, showWhereSignInStands, signInEvent, type Step } from './steps.ts';

const emailForm = csrfForm.extend({ email: z.string().max(1000) });
const codeForm = csrfForm.extend({ code: z.string().max(64), keep_signed_in: z.literal('1').optional() });
const upgradeForm = csrfForm.extend({ choice: z.enum(['accept', 'decline']) });

/** `POST /interaction/:uid/email` */
export function submitEmail(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, emailForm),
    signInEvent(deps, async function enterEmail(ctx, record) {
      return deps.flow.submitEmail(record, { email: formOf(ctx, emailForm).email }, await requestContextOf(ctx, deps));
    }),
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/code` */
export function submitCode(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, codeForm),
    signInEvent(deps, function enterCode(ctx, record) {
      const form = formOf(ctx, codeForm);
      return deps.flow.submitCode(record, { code: form.code, keepSignedIn: form.keep_signed_in === '1' }, requestOrigin(ctx));
    }),
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/resend` */
export function resendCode(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),
    signInEvent(deps, async function askForAnotherCode(ctx, record) {
      return deps.flow.resendCode(record, await requestContextOf(ctx, deps));
    }),
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/change-email` */
export function changeEmail(deps: RouteDeps): Step[] {
  return [...acceptSignInForm(deps, csrfForm), signInEvent(deps, function useAnotherAddress(_ctx, record) { return deps.flow.changeEmail(record); }), showWhereSignInStands(deps)];
}

/** `POST /interaction/:uid/upgrade` */
export function answerUpgrade(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, upgradeForm),
    signInEvent(deps, function answerUpgradeOffer(ctx, record) {
      return deps.flow.answerUpgrade(record, formOf(ctx, upgradeForm).choice === 'accept');
    }),
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/continue` */
export function continueWithCode(deps: RouteDeps): Step[] {
  return [...acceptSignInForm(deps, csrfForm), signInEvent(deps, function continueAfterFailedUpgrade(_ctx, record) { return deps.flow.continueWithCode(record); }), showWhereSignInStands(deps)];
}

/** `POST /interaction/:uid/restart` */
export function restart(deps: RouteDeps): Step[] {
  return [...acceptSignInForm(deps, csrfForm), signInEvent(deps, function startOver(_ctx, record) { return deps.flow.restart(record); }), showWhereSignInStands(deps)];
}
