/**
 * `POST /interaction/:uid/work-account`: an invited guest accepts with their work account
 * instead of a code. Only the invitation the browser proved it holds (its ticket, bound here to
 * this sign-in) allows it; see `src/invitations.ts`.
 */
import { InvalidRequestError } from '../../src/errors.ts';
import { interactionOf, presentedInvitation, type RouteDeps } from './context.ts';
import { acceptSignInForm, csrfForm, showWhereSignInStands, signInEvent, type Step } from './steps.ts';

export function useWorkAccount(deps: RouteDeps): Step[] {
  return [
    ...acceptSignInForm(deps, csrfForm),

    signInEvent(deps, async function acceptWithWorkAccount(ctx, record) {
      const details = interactionOf(ctx);
      const invitation = await presentedInvitation(ctx, deps, details);
      if (!invitation || !(await deps.invitations.bindTicket(invitation, details.uid))) {
        throw new InvalidRequestError('only an invitation can be accepted with a work account here');
      }
      return deps.flow.useWorkAccount(record, invitation);
    }),

    showWhereSignInStands(deps),
  ];
}
