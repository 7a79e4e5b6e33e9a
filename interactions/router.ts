/**
 * The sign-in's routes under `/interaction/:uid`: show the current step, accept a step. Each
 * route is a list of named steps in `routes/` (read one top to bottom); the state machine they
 * move is `sign_in/`. Forms answer with 303 (post/redirect/get), errors with a page.
 */
import Router from '@koa/router';

import { noStore } from '../src/http/security_headers.ts';
import type { InteractionDeps } from './routes/context.ts';
import { continueAs } from './routes/continue_as.ts';
import { deliveryStatus } from './routes/delivery_status.ts';
import { renderInteractionErrors } from './routes/error_page.ts';
import { federationReturn } from './routes/federation_return.ts';
import { showStep } from './routes/show_step.ts';
import { answerUpgrade, changeEmail, continueWithCode, resendCode, restart, submitCode, submitEmail } from './routes/sign_in_forms.ts';
import { checkUid } from './routes/steps.ts';
import { useWorkAccount } from './routes/work_account.ts';
import { SignInFinish } from './sign_in/finish.ts';

export type { InteractionDeps } from './routes/context.ts';

export function interactionRouter(interactionDeps: InteractionDeps): Router {
  const deps = { ...interactionDeps, finish: new SignInFinish(interactionDeps) };
  const router = new Router({ prefix: '/interaction' });
  router.use(noStore, renderInteractionErrors(deps));
  router.param('uid', checkUid);

  router.get('/:uid', ...showStep(deps));
  router.get('/:uid/status', ...deliveryStatus(deps));
  router.get('/:uid/federation/:provider', ...federationReturn(deps));
  router.post('/:uid/email', ...submitEmail(deps));
  router.post('/:uid/code', ...submitCode(deps));
  router.post('/:uid/resend', ...resendCode(deps));
  router.post('/:uid/change-email', ...changeEmail(deps));
  router.post('/:uid/continue-as', ...continueAs(deps));
  router.post('/:uid/upgrade', ...answerUpgrade(deps));
  router.post('/:uid/continue', ...continueWithCode(deps));
  router.post('/:uid/restart', ...restart(deps));
  router.post('/:uid/work-account', ...useWorkAccount(deps));
  return router;
}
