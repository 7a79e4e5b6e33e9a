/**
 * A removal that lands while a sign-in for the link is finishing: after the sign-in's last
 * eligibility check, before its grant exists. The grant is indexed first and the link read again
 * after, so the sign-in is refused rather than left holding a grant the removal never saw. The
 * race is made exact with an eligibility check that removes the person (through the API) when
 * asked, and answers "deliver" as it would have a moment earlier.
 */
import { expect } from 'chai';

import type { EligibilityCheck } from '../../src/eligibility.ts';
import { visibleText } from '../support/browser.ts';
import { filesClient, openSignIn, rpClient, submitCode, submitEmail, useGuestpass, adminClient } from '../support/guestpass.ts';
import { ManagementApi } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom } from '../support/smtp.ts';
import { openSilently, signInToLink } from './support.ts';

describe('a removal racing a sign-in for the link', () => {
  let api: ManagementApi;
  let files: TestRelyingParty;
  /** When set, the next eligibility question about this address removes it from the link first. */
  let removeWhenAsked: { sharingId: string; email: string } | undefined;

  const racingEligibility: EligibilityCheck = async ({ emailNormalized, sharingId }) => {
    if (removeWhenAsked && removeWhenAsked.sharingId === sharingId && removeWhenAsked.email === emailNormalized) {
      removeWhenAsked = undefined;
      const removed = await api.delete(`/links/${sharingId}/recipients/${encodeURIComponent(emailNormalized)}`);
      expect(removed.status).to.equal(200);
    }
    return { kind: 'deliver' };
  };

  const filesWithRefresh = { ...filesClient, scope: `${filesClient.scope} offline_access` };
  const gp = useGuestpass({ store: 'redis', config: { clients: [rpClient, filesWithRefresh, adminClient] }, deps: { eligibility: racingEligibility } });
  before(async () => {
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
  });

  it('refuses a code sign-in whose person was removed just before its grant was made, and leaves no grant', async () => {
    const link = await api.share(['kai@example.org']);
    const journey = await openSignIn({ rp: files, browser: () => gp.browser() }, { sharing_id: link.id });
    await submitEmail(journey, 'kai@example.org');
    const code = codeFrom(await gp.smtp.waitForMail('kai@example.org'));
    removeWhenAsked = { sharingId: link.id, email: 'kai@example.org' };

    const page = await submitCode(journey, code);

    expect(removeWhenAsked, 'the removal happened during the sign-in').to.equal(undefined);
    expect(page.leftTo ?? '').to.not.match(/code=/);
    expect(visibleText(page.body)).to.contain('No access to this link');
    const grants = await gp.store.linkGrants(link.id);
    const live = await Promise.all(grants.map((grantId) => gp.store.findModel('Grant', grantId)));
    expect(live.filter(Boolean), 'no grant of the link is left').to.deep.equal([]);
  });

  it('refuses a signed-in browser opening a link it was just removed from', async () => {
    const first = await api.share(['lea@example.org']);
    const second = await api.share(['lea@example.org']);
    const { browser } = await signInToLink(gp, gp.smtp, files, first.id, 'lea@example.org');
    removeWhenAsked = { sharingId: second.id, email: 'lea@example.org' };

    expect(await openSilently(files, second.id, browser)).to.equal(undefined);

    expect(removeWhenAsked).to.equal(undefined);
    const live = await Promise.all((await gp.store.linkGrants(second.id)).map((grantId) => gp.store.findModel('Grant', grantId)));
    expect(live.filter(Boolean)).to.deep.equal([]);
    expect(await openSilently(files, first.id, browser), 'the first link is still open to her').to.not.equal(undefined);
  });
});
