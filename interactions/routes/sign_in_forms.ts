/**
 * The forms of the sign-in pages, one route each: every one is accepted the same way (same
 * site, CSRF token, the route's fields), moves the state machine by one event, and then shows
 * where the sign-in stands — the next page, or the relying party once it is verified.
 */
import { z } from 'zod';

import { requestOrigin } from '../../src/http/request_origin.ts';
import { formOf, requestContextOf, type RouteDeps } from './context.ts';
import { acceptSignInForm, csrfForm, moveSignIn, showWhereSignInStands, type Step } from './steps.ts';

const emailForm = csrfForm.extend({ email: z.string().max(1000) });
const codeForm = csrfForm.extend({ code: z.string().max(64), keep_signed_in: z.literal('1').optional() });
const upgradeForm = csrfForm.extend({ choice: z.enum(['accept', 'decline']) });

/** `POST /interaction/:uid/email` */
export function submitEmail(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, emailForm),
    async function enterEmail(ctx, next) {
      const { email } = formOf(ctx, emailForm);
      const request = await requestContextOf(ctx, deps);
      await moveSignIn(ctx, deps, (record) => deps.flow.submitEmail(record, { email }, request));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/code` */
export function submitCode(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, codeForm),
    async function enterCode(ctx, next) {
      const form = formOf(ctx, codeForm);
      await moveSignIn(ctx, deps, (record) => deps.flow.submitCode(record, { code: form.code, keepSignedIn: form.keep_signed_in === '1' }, requestOrigin(ctx)));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/resend` */
export function resendCode(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),
    async function askForAnotherCode(ctx, next) {
      const request = await requestContextOf(ctx, deps);
      await moveSignIn(ctx, deps, (record) => deps.flow.resendCode(record, request));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/change-email` */
export function changeEmail(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),
    async function useAnotherAddress(ctx, next) {
      await moveSignIn(ctx, deps, (record) => deps.flow.changeEmail(record));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/upgrade` */
export function answerUpgrade(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, upgradeForm),
    async function answerUpgradeOffer(ctx, next) {
      const { choice } = formOf(ctx, upgradeForm);
      await moveSignIn(ctx, deps, (record) => deps.flow.answerUpgrade(record, choice === 'accept'));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/continue` */
export function continueWithCode(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),
    async function continueAfterFailedUpgrade(ctx, next) {
      await moveSignIn(ctx, deps, (record) => deps.flow.continueWithCode(record));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}

/** `POST /interaction/:uid/restart` */
export function restart(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),
    async function startOver(ctx, next) {
      await moveSignIn(ctx, deps, (record) => deps.flow.restart(record));
      return next();
    },
    showWhereSignInStands(deps),
  ];
}
