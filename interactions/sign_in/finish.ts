/**
 * Ending an interaction: a verified sign-in becomes a login with a grant for the link it was
 * verified for; a live session asking for a client it has not granted gets that grant without a
 * page (the consent prompt). Both ask the eligibility check once more at the very end, so no
 * path grants what a code would not, and both record the access on the link and `SignedIn`.
 *
 * A grant for a link is indexed under it when it is made, and the link is read once more after
 * that: a removal (or deletion, or expiry) that lands between the last check and the grant then
 * either finds the grant in the index and revokes it, or is seen here and the grant is dropped.
 *
 * Parallel requests may all see a sign-in verified; exactly one finishes it, and the others follow
 * that one to the same place. The gate is the sign-in record's `finishing` (`records.ts`), taken
 * by a compare-and-set here, once the last checks have passed, and never given up.
 */
import { errors, type Provider } from 'oidc-provider';
import type { Context } from 'koa';

import { readFresh } from '../../adapters/request_cache.ts';
import type { LinkStore, RecordStore } from '../../adapters/store.ts';
import type { AuditLog } from '../../src/audit.ts';
import type { Clock } from '../../src/clock.ts';
import type { EligibilityCheck } from '../../src/eligibility.ts';
import { UnexpectedStepError } from '../../src/errors.ts';
import { createGrant, grantTtlSeconds, type GrantRequest } from '../../src/grants.ts';
import { requestOrigin } from '../../src/http/request_origin.ts';
import type { Invitations } from '../../src/invitations.ts';
import type { Links } from '../../src/links.ts';
import type { People } from '../../src/people.ts';
import type { PolicySource } from '../../src/policy.ts';
import type { SignInFlow } from './flow.ts';
import { followSignIn, signInMoved } from './progress.ts';
import { followParallelRequest, type SignInRecord } from './state.ts';

/** What oidc-provider says of the interaction a request belongs to. */
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface FinishDeps {
  provider: Provider;
  store: Pick<RecordStore, 'putRecord'> & Pick<LinkStore, 'indexLinkGrant'>;
  flow: Pick<SignInFlow, 'claimFinish' | 'releaseFinish'>;
  people: Pick<People, 'get'>;
  links: Pick<Links, 'recordAccess' | 'recipientVerdict'>;
  invitations: Pick<Invitations, 'acceptPendingGuest'>;
  eligibility: EligibilityCheck;
  policy: PolicySource;
  audit: AuditLog;
  clock: Clock;
}

/**
 * Where a finished sign-in goes: back to the relying party, a page saying this link is not the
 * person's, or — the person was disabled since they proved their address — nowhere: the flow
 * moves the sign-in to access_removed (`SignInFlow.removeAccess`).
 */
export type Finished = { kind: 'redirect'; to: string } | { kind: 'no_access'; email: string } | { kind: 'access_removed' };

export class SignInFinish {
  readonly #deps: FinishDeps;

  constructor(deps: FinishDeps) {
    this.#deps = deps;
  }

  /**
   * The code (or work account) proved who this is: sign the person in, with a grant recording
   * the link this was for. `invitationId` names the invitation the browser presented, if any.
   */
  async login(ctx: Context, details: InteractionDetails, record: SignInRecord, invitationId: () => Promise<string | undefined>): Promise<Finished> {
    const { provider, people, invitations, links, audit, flow } = this.#deps;
    if (record.step.name !== 'verified') throw new UnexpectedStepError(['verified'], record.step.name);
    const verified = record.step;
    const { personId, verifiedAt, keepSignedIn, amr, idp } = verified;
    // Asked once more at the very end: access may have changed since the code was sent, and a
    // work-account sign-in was not asked before it went upstream.
    const eligibility = await this.#deps.eligibility({ emailNormalized: verified.emailNormalized, clientId: record.clientId, sharingId: record.sharingId });
    if (eligibility.kind !== 'deliver') return { kind: 'no_access', email: verified.email };
    const person = await people.get(personId);
    // Disabled since they proved their address (a code mailed before, a trip to the work provider).
    if (person?.disabled) return { kind: 'access_removed' };
    // The gate only now, every check passed: nothing above holds it, so a failure up to here
    // leaves the sign-in for the next request to finish.
    if (!(await flow.claimFinish(record))) return { kind: 'redirect', to: await this.#followFinished(details) };
    if (!person) throw new errors.SessionNotFound('the verified person no longer exists');
    await invitations.acceptPendingGuest(person, { amr, clientId: record.clientId, invitationId: await invitationId() }, requestOrigin(ctx));
    const grantId = await this.#grant({
      accountId: person.id,
      clientId: record.clientId,
      params: details.params,
      context: { personId: person.id, email: person.emailNormalized, sharingId: record.sharingId, idp },
      ttlSeconds: grantTtlSeconds((await this.#deps.policy.get()).reverificationDays),
    });
    if (!grantId) {
      // Access went between the checks and the grant: the person is told so and may try another
      // address, which must find the gate free again.
      await flow.releaseFinish(record);
      return { kind: 'no_access', email: verified.email };
    }
    if (record.sharingId) await links.recordAccess(record.sharingId, person.emailNormalized, { verified: true });
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
    // A double click waiting in this process (#followFinished) can go there now.
    signInMoved(record.uid);
    await audit.record('SignedIn', {
      actor: { type: 'person', id: person.id },
      sharingId: record.sharingId,
      detail: { email: person.emailNormalized, clientId: record.clientId, userType: person.userType, amr, ...(idp ? { idp } : {}) },
      ...requestOrigin(ctx),
    });
    return { kind: 'redirect', to: returnTo };
  }

  /** A live session asks for a client it has not granted for this link yet: grant and return. */
  async consent(ctx: Context, details: InteractionDetails): Promise<string> {
    const { provider, people, links, audit } = this.#deps;
    const accountId = details.session?.accountId;
    const person = accountId ? await people.get(accountId) : undefined;
    if (!person || person.disabled) {
      return provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'the signed-in person is no longer available' });
    }
    const sharingId = typeof details.params.sharing_id === 'string' ? details.params.sharing_id : undefined;
    const clientId = String(details.params.client_id);
    // The login prompt's check has already asked this; asked again here so no path grants what a code would not.
    const verdict = await this.#deps.eligibility({ emailNormalized: person.emailNormalized, clientId, sharingId });
    if (verdict.kind !== 'deliver') {
      return provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'the signed-in person has no access here' });
    }
    const grantId = await this.#grant({
      accountId: person.id,
      clientId,
      params: details.params,
      context: { personId: person.id, email: person.emailNormalized, sharingId },
      ttlSeconds: grantTtlSeconds((await this.#deps.policy.get()).reverificationDays),
    });
    if (!grantId) {
      return provider.interactionResult(ctx.req, ctx.res, { error: 'login_required', error_description: 'the signed-in person has no access here' });
    }
    if (sharingId) await links.recordAccess(sharingId, person.emailNormalized, { verified: false });
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    await audit.record('SignedIn', {
      actor: { type: 'person', id: person.id },
      sharingId,
      detail: { email: person.emailNormalized, clientId, userType: person.userType, amr: details.session?.amr ?? [], sso: true },
      ...requestOrigin(ctx),
    });
    return returnTo;
  }

  /** Makes the grant; undefined when the person lost access to the link meanwhile (the grant is then dropped). */
  async #grant(request: GrantRequest): Promise<string | undefined> {
    const { provider, store, links } = this.#deps;
    const grantId = await createGrant(provider, store, request);
    const { sharingId, email } = request.context;
    if (!sharingId || (await links.recipientVerdict(sharingId, request.clientId, email)).ok) return grantId;
    await (await provider.Grant.find(grantId))?.destroy();
    return undefined;
  }

  /** Waits (briefly, woken by its result: progress.ts) for the request that is finishing this sign-in, then goes where it went. */
  async #followFinished(details: InteractionDetails): Promise<string> {
    const returnTo = await followSignIn(
      this.#deps.clock,
      details.uid,
      async () => {
        // From the store each time (never this request's cache): it is the other request's progress.
        const interaction = await readFresh(() => this.#deps.provider.Interaction.find(details.uid));
        if (!interaction) throw new errors.SessionNotFound('the sign-in was completed by another request');
        return interaction.result ? interaction.returnTo : undefined;
      },
      followParallelRequest,
    );
    if (returnTo === undefined) throw new errors.SessionNotFound('the sign-in is being completed by another request');
    return returnTo;
  }
}
