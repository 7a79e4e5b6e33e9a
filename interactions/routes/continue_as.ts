/**
 * `POST /interaction/:uid/continue-as`: on the prompt=select_account page, continue as the
 * person signed in in this browser (the other choice, another address, is `change-email`).
 */
import { InvalidRequestError } from '../../src/errors.ts';
import { interactionOf, redirect303, signInOf, type RouteDeps } from './context.ts';
import { checkForm, csrfForm, loadInteraction, loadSignIn, parseForm, rejectCrossSite, type Step } from './steps.ts';

export function continueAs(deps: RouteDeps): Step[] {
  return [
    parseForm,
    rejectCrossSite(deps.issuer),
    loadInteraction(deps),
    loadSignIn(deps),
    checkForm(csrfForm),

    async function continueAsSignedInPerson(ctx) {
      if (interactionOf(ctx).prompt.name !== 'select_account' || signInOf(ctx).step.name !== 'choose_account') throw new InvalidRequestError('there is no account to continue as here');
      const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, { select_account: {} }, { mergeWithLastSubmission: true });
      redirect303(ctx, returnTo);
    },
  ];
}
