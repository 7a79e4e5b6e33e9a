/**
 * Signing in to the console, as a relying party of this guestpass (`../relying_party.ts`):
 * `GET /admin/sign-in` starts an authorization request for `guestpass-admin` (PKCE, state,
 * nonce, kept in a sealed cookie of this browser), the person signs in as anyone does (code or
 * work account, reverification, sessions), `GET /admin/callback` redeems the code and opens a
 * console session bound to the person, their role and the grant. `POST /admin/sign-out` ends it
 * and offers to end the guestpass session too (RP-initiated logout).
 */
import * as client from 'openid-client';

import { adminClientId, consolePaths } from '../../../src/admin/client.ts';
import { csrfForm, parseForm, rejectCrossSite, type Step } from '../../routes/steps.ts';
import type { ConsoleDeps } from '../context.ts';
import { redirect303 } from '../../routes/context.ts';
import { endSession, startPendingSignIn, startSession, takePendingSignIn } from '../session.ts';
import { checkConsoleForm, loadConsoleSession } from '../steps.ts';
import { refusedPage, signedOutPage, signInFailedPage } from '../views/sign_in.ts';

/** Where a sign-in may return to: a console page of this origin, never another site. */
function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?][^\s\\]*)?$/.test(value) && !value.includes('//') && !value.includes('..') ? value : '/admin';
}

export function startSignIn(deps: ConsoleDeps): Step[] {
  return [
    async function redirectToAuthorization(ctx) {
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      startPendingSignIn(ctx, deps, { state, nonce, codeVerifier, returnTo: safeReturn(ctx.query.return_to) });
      const url = client.buildAuthorizationUrl(deps.relyingParty.configuration(), {
        redirect_uri: `${deps.issuer}${consolePaths.callback}`,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      redirect303(ctx, url.href);
    },
  ];
}

export function finishSignIn(deps: ConsoleDeps): Step[] {
  return [
    async function redeemCode(ctx) {
      const pending = takePendingSignIn(ctx, deps);
      const page = (status: number, body: string) => {
        ctx.status = status;
        ctx.type = 'html';
        ctx.body = body;
      };
      if (!pending) return page(400, signInFailedPage(deps.organizationName, 'this sign-in was not started in this browser, or it expired'));
      if (typeof ctx.query.error === 'string') return page(400, signInFailedPage(deps.organizationName, ctx.query.error === 'access_denied' ? 'access was refused' : ctx.query.error.slice(0, 100)));
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        // The URL as the provider redirected to it: ISSUER's origin, whatever host the request came in by.
        tokens = await client.authorizationCodeGrant(deps.relyingParty.configuration(), new URL(ctx.originalUrl, deps.issuer), {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
        });
      } catch (error) {
        deps.logger.info({ err: error }, 'console sign-in failed');
        return page(400, signInFailedPage(deps.organizationName, 'the answer of the sign-in could not be used'));
      }
      const personId = tokens.claims()?.sub;
      const accessToken = await deps.provider.AccessToken.find(tokens.access_token);
      const current = personId ? await deps.roles.ofPerson(personId) : undefined;
      if (!personId || !accessToken?.grantId || accessToken.clientId !== adminClientId || accessToken.accountId !== personId || !current) return page(403, refusedPage(deps.organizationName));
      startSession(ctx, deps, { personId, role: current.role, grantId: accessToken.grantId });
      redirect303(ctx, pending.returnTo);
    },
  ];
}

export function signOut(deps: ConsoleDeps): Step[] {
  return [
    parseForm,
    rejectCrossSite(deps.issuer),
    loadConsoleSession(deps),
    checkConsoleForm(csrfForm),
    function endConsoleSession(ctx) {
      endSession(ctx);
      redirect303(ctx, consolePaths.signedOut);
    },
  ];
}

export function showSignedOut(deps: ConsoleDeps): Step[] {
  return [
    function signedOut(ctx) {
      // Back from the provider's logout (state=ended): nothing more to offer.
      const ended = ctx.query.state === 'ended';
      const endSessionUrl = ended
        ? undefined
        : client.buildEndSessionUrl(deps.relyingParty.configuration(), { client_id: adminClientId, post_logout_redirect_uri: `${deps.issuer}${consolePaths.signedOut}`, state: 'ended' }).href;
      endSession(ctx);
      ctx.type = 'html';
      ctx.body = signedOutPage(deps.organizationName, endSessionUrl);
    },
  ];
}
