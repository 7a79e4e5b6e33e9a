/**
 * `GET /interaction/:uid/federation/:provider`: where the federation callback hands a work
 * provider's answer to the sign-in that asked for it (the browser's interaction cookie is sent
 * here). The state is used up and the code redeemed (`src/federation.ts`); the linking rules of
 * SPEC §1 decide what the answer may change (`../sign_in/work_accounts.ts`).
 */
import { errors } from 'oidc-provider';

import { FederationError } from '../../src/errors.ts';
import { requestOrigin } from '../../src/http/request_origin.ts';
import { applyUpstreamAnswer } from '../sign_in/work_accounts.ts';
import { interactionOf, signInOf, type RouteDeps } from './context.ts';
import { isSignInPrompt, loadInteraction, loadSignIn, showWhereSignInStands, type Step } from './steps.ts';

export function federationReturn(deps: RouteDeps): Step[] {
  return [
    loadInteraction(deps),

    function requireAWaitingSignIn(ctx, next) {
      const entry = deps.federation.byId(String(ctx.params.provider));
      if (!entry || !isSignInPrompt(interactionOf(ctx).prompt.name)) throw new errors.SessionNotFound('no such work-account provider for this sign-in');
      return next();
    },

    loadSignIn(deps),

    async function applyAnswer(ctx, next) {
      const entry = deps.federation.byId(String(ctx.params.provider))!;
      const details = interactionOf(ctx);
      const record = signInOf(ctx);
      if (record.step.name !== 'federating' || record.step.providerId !== entry.id) throw new errors.SessionNotFound('this sign-in is not waiting for a work account');
      const step = record.step;
      try {
        const { claims } = await deps.federation.complete(entry, details.uid, ctx.querystring);
        const verdict = await applyUpstreamAnswer(deps, record, step, entry, claims, requestOrigin(ctx));
        ctx.state.signIn = verdict.ok ? await deps.flow.federationSucceeded(record, verdict.person, claims.issuer) : await deps.flow.federationFailed(record, verdict.reason);
      } catch (error) {
        if (!(error instanceof FederationError)) throw error;
        if (error.reason === 'unknown_state' || error.reason === 'state_mismatch') throw new errors.SessionNotFound(error.message);
        ctx.state.signIn = await deps.flow.federationFailed(record, error.reason === 'provider_unavailable' ? 'provider_unavailable' : 'upstream_error');
      }
      return next();
    },

    showWhereSignInStands(deps),
  ];
}
