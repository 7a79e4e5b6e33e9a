/**
 * Ending access to a link ends what guestpass issued for it (SPEC §6): removing a recipient,
 * deleting the link and its expiry revoke that link's grants at its client — access and refresh
 * tokens, the session's hold on the grant — and send the client a back-channel logout token for
 * that sign-in; the same person's other links and other clients keep theirs. Real Redis, SMTP and
 * HTTP, openid-client as the relying party, a real back-channel endpoint; time moves by a test
 * clock and the sweep is triggered by hand (or by a second instance's short interval).
 */
import { expect } from 'chai';

import type { AuditEvent } from '../../adapters/store.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, deleteKeys, filesClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { startLogoutReceiver, type LogoutReceiver } from '../support/logout_receiver.ts';
import { ManagementApi } from '../support/management.ts';
import { uniqueKeyPrefix } from '../support/redis.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { filesWithLogout, isActive, openSilently, refreshes, signInToLink, userinfoStatus, verifiedLogoutToken } from './support.ts';

const hour = 60 * 60 * 1000;

describe('ending access to a link', () => {
  let smtp: SmtpCapture;
  let receiver: LogoutReceiver;
  let gp: TestGuestpass;
  let files: TestRelyingParty;
  let api: ManagementApi;
  const clock = new ManualClock();
  const keyPrefix = uniqueKeyPrefix('revocation');
  const clients = () => [rpClient, filesWithLogout(receiver.url), adminClient];

  before(async () => {
    smtp = await new SmtpCapture().start();
    receiver = await startLogoutReceiver();
    // The sweep runs when a test says so; its own timer would not fire within a test anyway.
    gp = await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config: { clients: clients(), allowPrivateNetworkCalls: true, links: { checkIntervalSeconds: 600 } } });
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    api = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
  });
  after(async () => {
    await gp?.close();
    await receiver?.stop();
    await smtp?.stop();
    await deleteKeys(keyPrefix);
  });

  async function auditOf(sharingId: string, operation: string): Promise<AuditEvent[]> {
    return (await gp.store.listAudit({ sharingId, operation }, { limit: 100 })).items;
  }

  /** The file host's authorizations in the person's live sessions. */
  async function sessionGrants(personId: string): Promise<{ clientId: string; grantId?: string }[]> {
    const { sessions } = await gp.store.findModelsByAccount(personId);
    const found = await Promise.all(sessions.map((id) => gp.store.findModel('Session', id)));
    return found.flatMap((session) => Object.entries((session?.authorizations ?? {}) as Record<string, { grantId?: string }>).map(([clientId, { grantId }]) => ({ clientId, grantId })));
  }

  it('removing a recipient revokes that link\'s grant and tells the file host about that sign-in; the person\'s other link and other client keep theirs', async () => {
    const first = await api.share(['ada@example.org']);
    const second = await api.share(['ada@example.org']);
    const { tokens: onFirst, browser } = await signInToLink(gp, smtp, files, first.id, 'ada@example.org');
    // The same browser opens the second link and signs in to another client: no new code, two more grants.
    const onSecond = (await openSilently(files, second.id, browser))!;
    const elsewhere = (await openSilently(gp.rp, undefined, browser))!;
    const sub = onFirst.claims()!.sub;
    expect(onSecond.claims()).to.include({ sub, sharing_id: second.id });
    expect(onSecond.claims()!.sid, 'each sign-in has a sid of its own').to.not.equal(onFirst.claims()!.sid);
    expect(await gp.store.linkGrants(first.id)).to.have.length(1);
    const received = receiver.tokens.length;

    expect((await api.delete(`/links/${first.id}/recipients/ada%40example.org`)).status).to.equal(200);

    const [token] = (await receiver.received(received + 1)).slice(received);
    const claims = await verifiedLogoutToken(gp, token!);
    expect(claims).to.include({ sub, sid: onFirst.claims()!.sid });
    expect(receiver.tokens, 'one notice, for the sign-in that ended').to.have.length(received + 1);

    expect(await isActive(files, onFirst.access_token)).to.equal(false);
    expect(await isActive(files, onFirst.refresh_token!)).to.equal(false);
    expect(await userinfoStatus(gp, onFirst.access_token)).to.equal(401);
    expect(await refreshes(files, onFirst.refresh_token!)).to.equal(false);

    expect(await isActive(files, onSecond.access_token)).to.equal(true);
    expect(await isActive(gp.rp, elsewhere.access_token)).to.equal(true);
    const userinfo = await fetch(`${gp.issuer}/me`, { headers: { authorization: `Bearer ${onSecond.access_token}` } });
    expect(await userinfo.json()).to.include({ sub, sharing_id: second.id });
    expect(await refreshes(files, onSecond.refresh_token!)).to.equal(true);
    expect((await openSilently(files, second.id, browser))?.claims(), 'the session still opens the other link').to.include({ sharing_id: second.id });
    expect(await openSilently(files, first.id, browser), 'but no longer this one').to.equal(undefined);

    expect(await gp.store.linkGrants(first.id), 'nothing left in the index').to.deep.equal([]);
    expect(await gp.store.linkGrants(second.id)).to.not.be.empty;
    const [removed] = await auditOf(first.id, 'RemovedFromSecureLink');
    expect(removed!.detail).to.deep.include({ email: 'ada@example.org', revoked: { grants: 1, backchannelSent: 1, backchannelFailed: 0 } });
  });

  it('takes the ended grant out of the session that held it, and keeps the session and its other grants', async () => {
    const link = await api.share(['bea@example.org']);
    const { tokens, browser } = await signInToLink(gp, smtp, files, link.id, 'bea@example.org');
    const elsewhere = (await openSilently(gp.rp, undefined, browser))!;
    const sub = tokens.claims()!.sub;
    expect((await sessionGrants(sub)).map((entry) => entry.clientId).toSorted()).to.deep.equal(['files', 'rp']);

    expect((await api.delete(`/links/${link.id}/recipients/bea%40example.org`)).status).to.equal(200);

    const remaining = await sessionGrants(sub);
    expect(remaining.map((entry) => entry.clientId), 'only the other client\'s grant is left').to.deep.equal(['rp']);
    expect(remaining[0]!.grantId).to.be.a('string');
    expect(await isActive(gp.rp, elsewhere.access_token)).to.equal(true);
    expect((await openSilently(gp.rp, undefined, browser))?.claims()?.sub, 'still signed in at guestpass').to.equal(sub);
  });

  it('deleting a link revokes every recipient\'s grant for it, and the audit says what went for each and in all', async () => {
    const link = await api.share(['cem@example.org', 'dora@example.org', 'never-signed-in@example.org']);
    const kept = await api.share(['cem@example.org']);
    const cem = await signInToLink(gp, smtp, files, link.id, 'cem@example.org');
    const dora = await signInToLink(gp, smtp, files, link.id, 'dora@example.org');
    const cemElsewhere = (await openSilently(files, kept.id, cem.browser))!;
    const received = receiver.tokens.length;

    expect((await api.delete(`/links/${link.id}`)).status).to.equal(204);

    const tokens = (await receiver.received(received + 2)).slice(received);
    const notified = await Promise.all(tokens.map((token) => verifiedLogoutToken(gp, token)));
    expect(notified.map(({ sub, sid }) => ({ sub, sid }))).to.have.deep.members([
      { sub: cem.tokens.claims()!.sub, sid: cem.tokens.claims()!.sid },
      { sub: dora.tokens.claims()!.sub, sid: dora.tokens.claims()!.sid },
    ]);
    for (const ended of [cem.tokens, dora.tokens]) {
      expect(await isActive(files, ended.access_token)).to.equal(false);
      expect(await userinfoStatus(gp, ended.access_token)).to.equal(401);
    }
    expect(await isActive(files, cemElsewhere.access_token)).to.equal(true);
    expect(await gp.store.linkGrants(link.id)).to.deep.equal([]);

    const removals = await auditOf(link.id, 'RemovedFromSecureLink');
    expect(removals.map((event) => [event.detail.email, event.detail.revoked])).to.have.deep.members([
      ['cem@example.org', { grants: 1, backchannelSent: 1, backchannelFailed: 0 }],
      ['dora@example.org', { grants: 1, backchannelSent: 1, backchannelFailed: 0 }],
      ['never-signed-in@example.org', { grants: 0, backchannelSent: 0, backchannelFailed: 0 }],
    ]);
    const [deleted] = await auditOf(link.id, 'SecureLinkDeleted');
    expect(deleted!.detail.revoked).to.deep.equal({ grants: 2, backchannelSent: 2, backchannelFailed: 0 });
  });

  it('counts and tells nothing again for a grant that already ended another way, and leaves the index empty', async () => {
    const link = await api.share(['jon@example.org']);
    const { tokens } = await signInToLink(gp, smtp, files, link.id, 'jon@example.org');
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:write');
    expect((await admin.post(`/users/${tokens.claims()!.sub}/revoke-sessions`, {})).status).to.equal(200);
    const received = receiver.tokens.length;

    expect((await api.delete(`/links/${link.id}`)).status).to.equal(204);

    expect(receiver.tokens, 'the deletion answers after its notices are sent: there were none').to.have.length(received);
    const [deleted] = await auditOf(link.id, 'SecureLinkDeleted');
    expect(deleted!.detail.revoked).to.deep.equal({ grants: 0, backchannelSent: 0, backchannelFailed: 0 });
    expect(await gp.store.linkGrants(link.id)).to.deep.equal([]);
  });

  it('notices an expiry in the sweep, with no request: the grants go, the file host is told, and SecureLinkExpired records it once', async () => {
    const link = await api.share(['eli@example.org'], { expiresAt: new Date(clock.now() + hour).toISOString() });
    const lasting = await api.share(['eli@example.org']);
    const { tokens, browser } = await signInToLink(gp, smtp, files, link.id, 'eli@example.org');
    const onLasting = (await openSilently(files, lasting.id, browser))!;
    expect(await gp.server.linkChecks.sweep(), 'nothing is due before the expiry').to.equal(0);
    const received = receiver.tokens.length;

    clock.advance(2 * hour);
    expect(await gp.server.linkChecks.sweep()).to.equal(1);

    const [token] = (await receiver.received(received + 1)).slice(received);
    expect(await verifiedLogoutToken(gp, token!)).to.include({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });
    expect(await isActive(files, tokens.access_token)).to.equal(false);
    expect(await isActive(files, tokens.refresh_token!)).to.equal(false);
    expect(await userinfoStatus(gp, tokens.access_token)).to.equal(401);
    expect(await isActive(files, onLasting.access_token)).to.equal(true);
    expect(await gp.store.linkGrants(link.id)).to.deep.equal([]);
    const [expired] = await auditOf(link.id, 'SecureLinkExpired');
    expect(expired).to.deep.include({ actor: { type: 'system', id: 'link-checks' }, sharingId: link.id });
    expect(expired!.detail).to.deep.equal({ clientId: 'files', expiresAt: link.expiresAt, revoked: { grants: 1, backchannelSent: 1, backchannelFailed: 0 } });

    expect(await gp.server.linkChecks.sweep(), 'the check is done').to.equal(0);
    expect(await auditOf(link.id, 'SecureLinkExpired')).to.have.length(1);
  });

  it('sweeps again at the new expiry when a link is extended before its first one', async () => {
    const link = await api.share(['finn@example.org'], { expiresAt: new Date(clock.now() + hour).toISOString() });
    const { tokens } = await signInToLink(gp, smtp, files, link.id, 'finn@example.org');
    expect((await api.patch(`/links/${link.id}`, { expiresAt: new Date(clock.now() + 3 * hour).toISOString() })).status).to.equal(200);

    clock.advance(2 * hour);
    expect(await gp.server.linkChecks.sweep(), 'the first expiry is checked, and finds the link live').to.equal(1);
    expect(await isActive(files, tokens.access_token)).to.equal(true);
    expect(await auditOf(link.id, 'SecureLinkExpired')).to.deep.equal([]);

    clock.advance(2 * hour);
    expect(await gp.server.linkChecks.sweep()).to.equal(1);
    expect(await isActive(files, tokens.access_token)).to.equal(false);
    expect(await auditOf(link.id, 'SecureLinkExpired')).to.have.length(1);
  });

  it('finishes in the next sweep a removal whose revocation was cut short, and audits it as SessionsRevoked', async () => {
    const link = await api.share(['gus@example.org', 'hana@example.org']);
    const { tokens } = await signInToLink(gp, smtp, files, link.id, 'gus@example.org');
    const hana = await signInToLink(gp, smtp, files, link.id, 'hana@example.org');
    // As if the instance stopped right after saving the change: the check scheduled before it is all that is left.
    await gp.store.scheduleLinkCheck(link.id, clock.now());
    const stored = (await gp.store.getLink(link.id))!;
    expect(await gp.store.saveLink({ ...stored, recipients: stored.recipients.filter((recipient) => recipient.emailNormalized !== 'gus@example.org') }, stored.version)).to.equal(true);
    expect(await isActive(files, tokens.access_token)).to.equal(true);
    const received = receiver.tokens.length;

    expect(await gp.server.linkChecks.sweep()).to.equal(1);

    const [token] = (await receiver.received(received + 1)).slice(received);
    expect(await verifiedLogoutToken(gp, token!)).to.include({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });
    expect(await isActive(files, tokens.access_token)).to.equal(false);
    expect(await isActive(files, hana.tokens.access_token), 'a current recipient keeps hers').to.equal(true);
    const [revoked] = await auditOf(link.id, 'SessionsRevoked');
    expect(revoked!.detail).to.deep.equal({ clientId: 'files', email: 'gus@example.org', reason: 'recipient_removed', grants: 1, backchannelSent: 1, backchannelFailed: 0 });
    expect(await gp.store.linkGrants(link.id)).to.have.length(1);
  });

  it('has every instance sweep on its own timer, so an expiry needs no request at all', async () => {
    const link = await api.share(['ines@example.org'], { expiresAt: new Date(clock.now() + hour).toISOString() });
    const { tokens } = await signInToLink(gp, smtp, files, link.id, 'ines@example.org');
    const received = receiver.tokens.length;
    const sweeping = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      keyPrefix,
      config: { issuer: gp.issuer, clients: clients(), allowPrivateNetworkCalls: true, links: { checkIntervalSeconds: 1 } },
    });
    try {
      clock.advance(2 * hour);
      const [token] = (await receiver.received(received + 1)).slice(received);
      expect(await verifiedLogoutToken(gp, token!)).to.include({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });
    } finally {
      await sweeping.close();
    }
    expect(await isActive(files, tokens.access_token)).to.equal(false);
    expect(await auditOf(link.id, 'SecureLinkExpired')).to.have.length(1);
  });
});
