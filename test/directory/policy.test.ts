/**
 * The sharing policy (SPEC §5) and the settings API that changes it at runtime (SPEC §6):
 * `sharingLevel` and `domains` decide who may be added to a link (a 400 naming each address
 * and why) and who may be sent a code (the same page as anyone, no mail, audited with the
 * reason). A change applies at once, on every instance sharing the store. Real Redis, SMTP,
 * HTTP and openid-client.
 */
import { expect } from 'chai';

import type { AuditEvent, AuditOperation } from '../../src/audit.ts';
import { visibleText, type PageResponse } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, deleteKeys, filesClient, openSignIn, rpClient, signIn, startGuestpass, submitEmail, type Journey, type TestGuestpass } from '../support/guestpass.ts';
import { ManagementApi, type ApiResponse, type LinkBody, type ListBody } from '../support/management.ts';
import { uniqueKeyPrefix } from '../support/redis.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

type PolicyBody = Record<string, unknown> & { otp: Record<string, number>; sharingLevel: string; domains: { allow?: string[]; block?: string[] } };

const callback = /^http:\/\/files\.test\/callback\?code=/;
const existingGuestsText = 'the sharing policy allows only people already in the directory (existingGuests)';
const organizationOnlyText = 'the sharing policy allows only members of the organisation (organizationOnly)';

const config = {
  clients: [rpClient, filesClient, adminClient],
  organization: { name: 'Contoso', domains: ['contoso.com'], supportContact: 'it-help@contoso.com' },
  // Every test signs in from 127.0.0.1; the per-IP cap has tests of its own.
  rateLimits: { codesPerIpPerHour: 1000 },
};

/** One guestpass as its callers see it: the file host signing people in and managing links, the admin console. */
interface Instance {
  gp: TestGuestpass;
  files: TestRelyingParty;
  links: ManagementApi;
  admin: ManagementApi;
}

async function connect(gp: TestGuestpass): Promise<Instance> {
  return {
    gp,
    files: await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!),
    links: await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write'),
    admin: await ManagementApi.as(gp.issuer, adminClient, 'settings:write directory:read directory:write'),
  };
}

describe('the sharing policy and the settings API', () => {
  let smtp: SmtpCapture;
  let one: Instance;
  const clock = new ManualClock();

  before(async () => {
    smtp = await new SmtpCapture().start();
    one = await connect(await startGuestpass({ store: 'redis', smtp, clock, config }));
  });
  after(async () => {
    await one?.gp.close();
    await smtp?.stop();
  });
  afterEach(async () => {
    clock.advanceSeconds(61);
    // Back to the defaults: PUT replaces the whole policy.
    expect((await one.admin.request('PUT', '/settings', {})).status).to.equal(200);
  });

  async function setPolicy(policy: Record<string, unknown>, on: Instance = one): Promise<ApiResponse<PolicyBody>> {
    const response = await on.admin.request<PolicyBody>('PUT', '/settings', policy);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    return response;
  }

  function tryToShare(recipients: string[], on: Instance = one) {
    return on.links.post<{ error: string; error_description: string }>('/links', { resource: 'files/refused.pdf', recipients });
  }

  async function invite(email: string, on: Instance = one): Promise<void> {
    const response = await on.admin.post('/invitations', { email });
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
  }

  function open(link: LinkBody, on: Instance = one, browser = on.gp.browser()): Promise<Journey> {
    return openSignIn({ rp: on.files, browser: () => browser }, { sharing_id: link.id });
  }

  async function signInToLink(email: string, link: LinkBody, on: Instance = one) {
    return signIn({ rp: on.files, browser: () => on.gp.browser() }, smtp, email, { sharing_id: link.id });
  }

  async function expectNoMail(email: string): Promise<void> {
    await smtp.expectNoMail(email, 600);
  }

  async function audited(operation: AuditOperation, email: string, on: Instance = one): Promise<AuditEvent[]> {
    return (await on.gp.store.listAudit({ operation, email }, { limit: 100 })).items;
  }

  /** The page without what differs between any two sign-ins (ids, tokens, timings, the masked address's first letter stays). */
  function normalize(journey: Journey): string {
    return journey.page.body
      .replaceAll(new URL(journey.page.url).pathname.split('/')[2]!, 'UID')
      .replace(/value="[A-Za-z0-9_-]{32}"/g, 'value="CSRF"')
      .replace(/data-seconds-left="\d+"/g, '')
      .replace(/in \d+ s\./g, '')
      .replace(/data-delivery="\w+"/g, '')
      .replace(/(id="delivery-state"[^>]*>)[^<]*/, '$1');
  }

  describe('sharingLevel', () => {
    it('existingGuests: refuses addresses not in the directory at link creation, naming each and why, and allows guests and members', async () => {
      // Verified by code before the change: in the directory, but as adhoc, not as a guest.
      await signInToLink('early@example.org', await one.links.share(['early@example.org']));
      await invite('known@example.org');
      await setPolicy({ sharingLevel: 'existingGuests' });

      const refused = await tryToShare(['known@example.org', 'Newbie@Example.org', 'early@example.org', 'staff@contoso.com']);
      expect(refused.status).to.equal(400);
      expect(refused.body).to.deep.equal({
        error: 'invalid_request',
        error_description: `not allowed by the sharing policy: newbie@example.org (${existingGuestsText}); early@example.org (${existingGuestsText})`,
      });
      expect((await one.links.get<ListBody<LinkBody>>('/links?recipient=newbie@example.org')).body.items, 'nothing was created').to.deep.equal([]);

      const allowed = await one.links.share(['known@example.org', 'Staff@Contoso.com']);
      const adding = await one.links.post(`/links/${allowed.id}/recipients`, { emails: ['newbie@example.org'] });
      expect(adding.status).to.equal(400);
      expect(adding.body.error_description).to.equal(`not allowed by the sharing policy: newbie@example.org (${existingGuestsText})`);
      expect((await one.links.get<LinkBody>(`/links/${allowed.id}`)).body.recipients.map((recipient) => recipient.email)).to.deep.equal(['known@example.org', 'Staff@Contoso.com']);
    });

    it('existingGuests at sign-in: a recipient not in the directory sees what anyone sees, gets no mail, and it is audited as policy_not_in_directory', async () => {
      const link = await one.links.share(['olga@example.org', 'oscar@example.org', 'mina@contoso.com']);
      await invite('oscar@example.org');
      await setPolicy({ sharingLevel: 'existingGuests' });

      const outsider = await open(link);
      const guest = await open(link);
      await submitEmail(outsider, 'olga@example.org');
      await submitEmail(guest, 'oscar@example.org');
      expect(outsider.page.status).to.equal(guest.page.status);
      expect(normalize(outsider)).to.equal(normalize(guest));
      expect(visibleText(outsider.page.body)).to.contain('If o***@example.org has access, a 6-digit code is on its way to it.');

      await smtp.waitForMail('oscar@example.org');
      await expectNoMail('olga@example.org');
      const [rejected, ...more] = await audited('VerificationCodeRejected', 'olga@example.org');
      expect(more).to.deep.equal([]);
      expect(rejected).to.include({ sharingId: link.id, result: 'failure' });
      expect(rejected!.detail).to.include({ email: 'olga@example.org', clientId: 'files', reason: 'policy_not_in_directory' });
      expect(await audited('RecipientNotOnLink', 'olga@example.org')).to.deep.equal([]);

      const { claims } = await signInToLink('mina@contoso.com', link);
      expect(claims).to.include({ user_type: 'member', sharing_id: link.id });
    });

    it('organizationOnly: allows members only, at link creation and at sign-in', async () => {
      const link = await one.links.share(['ext@example.org', 'inside@contoso.com']);
      await invite('partner-guest@example.org');
      await setPolicy({ sharingLevel: 'organizationOnly' });

      const refused = await tryToShare(['partner-guest@example.org', 'inside@contoso.com']);
      expect(refused.status).to.equal(400);
      expect(refused.body.error_description).to.equal(`not allowed by the sharing policy: partner-guest@example.org (${organizationOnlyText})`);
      await one.links.share(['inside@contoso.com', 'other-inside@contoso.com']);

      const outsider = await open(link);
      await submitEmail(outsider, 'ext@example.org');
      expect(visibleText(outsider.page.body)).to.contain('If e***@example.org has access, a 6-digit code is on its way to it.');
      await expectNoMail('ext@example.org');
      expect((await audited('VerificationCodeRejected', 'ext@example.org')).map((event) => event.detail.reason)).to.deep.equal(['policy_not_a_member']);

      const { claims } = await signInToLink('inside@contoso.com', link);
      expect(claims).to.include({ user_type: 'member', sharing_id: link.id });
    });

    it('does not let a live session carry someone the policy now excludes into a link', async () => {
      const link = await one.links.share(['sso@example.org']);
      const { journey } = await signInToLink('sso@example.org', link);
      const reopen = async (parameters: Record<string, string> = {}): Promise<PageResponse> => journey.browser.get((await one.files.authorizationUrl({ sharing_id: link.id, ...parameters })).url);
      expect((await reopen()).leftTo, 'signed in: the link reopens without a code').to.match(callback);

      await setPolicy({ sharingLevel: 'organizationOnly' });
      const page = await reopen();
      expect(page.leftTo, 'no code for the link without signing in again').to.equal(undefined);
      expect(visibleText(page.body), 'the signed-in person is told this link is not open to them').to.contain('No access to this link');
      expect(new URL((await reopen({ prompt: 'none' })).leftTo!).searchParams.get('error')).to.equal('login_required');

      await setPolicy({});
      expect((await reopen()).leftTo, 'the session itself was not ended').to.match(callback);
    });
  });

  describe('domains', () => {
    it('allow: refuses other domains at link creation, naming the addresses, and sends them no code at sign-in', async () => {
      const link = await one.links.share(['xavier@example.org', 'yann@partner.example']);
      // Domain lists govern external sharing: the organisation's own domain needs no listing.
      await setPolicy({ domains: { allow: ['partner.example'] } });

      const refused = await tryToShare(['ana@partner.example', 'bert@example.org', 'Cleo@Other.Example']);
      expect(refused.status).to.equal(400);
      const why = 'its domain is not in the allowed domains of the sharing policy';
      expect(refused.body.error_description).to.equal(`not allowed by the sharing policy: bert@example.org (${why}); cleo@other.example (${why})`);
      await one.links.share(['ana@partner.example', 'staff@contoso.com']);

      const journey = await open(link);
      await submitEmail(journey, 'xavier@example.org');
      expect(visibleText(journey.page.body)).to.contain('If x***@example.org has access');
      await expectNoMail('xavier@example.org');
      expect((await audited('VerificationCodeRejected', 'xavier@example.org')).map((event) => event.detail.reason)).to.deep.equal(['policy_domain_not_allowed']);
      const { claims } = await signInToLink('yann@partner.example', link);
      expect(claims).to.include({ email: 'yann@partner.example', sharing_id: link.id });
    });

    it('block: refuses blocked domains at link creation, naming the addresses, and sends them no code at sign-in', async () => {
      const link = await one.links.share(['zoe@blocked.example', 'ugo@example.org']);
      await setPolicy({ domains: { block: ['blocked.example'] } });

      const refused = await tryToShare(['ugo@example.org', 'Zed@Blocked.Example', 'zara@blocked.example']);
      expect(refused.status).to.equal(400);
      const why = 'its domain is blocked by the sharing policy';
      expect(refused.body.error_description).to.equal(`not allowed by the sharing policy: zed@blocked.example (${why}); zara@blocked.example (${why})`);
      await one.links.share(['ugo@example.org']);

      const journey = await open(link);
      await submitEmail(journey, 'zoe@blocked.example');
      expect(visibleText(journey.page.body)).to.contain('If z***@blocked.example has access');
      await expectNoMail('zoe@blocked.example');
      expect((await audited('VerificationCodeRejected', 'zoe@blocked.example')).map((event) => event.detail.reason)).to.deep.equal(['policy_domain_blocked']);
      const { claims } = await signInToLink('ugo@example.org', link);
      expect(claims).to.include({ email: 'ugo@example.org', sharing_id: link.id });
    });
  });

  describe('the settings API', () => {
    it('GET answers the policy with the keys of the configuration\'s policy and an ETag; PUT replaces it and audits the changed keys', async () => {
      const read = await one.admin.get<PolicyBody>('/settings');
      expect(read.status).to.equal(200);
      expect(Object.keys(read.body)).to.have.members(Object.keys(one.gp.config.policy));
      expect(read.body).to.deep.equal(JSON.parse(JSON.stringify(one.gp.config.policy)));
      const etag = read.headers.get('etag')!;
      expect(etag).to.match(/^"\d+"$/);
      const version = Number(etag.replace(/"/g, ''));

      const put = await setPolicy({ sharingLevel: 'existingGuests', reverificationDays: 7, otp: { length: 8 } });
      expect(put.headers.get('etag')).to.equal(`"${version + 1}"`);
      expect(put.body).to.deep.include({ sharingLevel: 'existingGuests', reverificationDays: 7, guestUpgrade: 'automatic', maxLinkLifetimeDays: null, domains: {} });
      expect(put.body.otp).to.include({ length: 8, ttlSeconds: 600, resendCooldownSeconds: 60 });
      const again = await one.admin.get<PolicyBody>('/settings');
      expect(again.body).to.deep.equal(put.body);
      expect(again.headers.get('etag')).to.equal(`"${version + 1}"`);

      const updates = (await one.gp.store.listAudit({ operation: 'SettingsUpdated' }, { limit: 100 })).items;
      expect(updates.at(-1)!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
      expect(updates.at(-1)!.detail).to.deep.equal({ changed: ['otp', 'sharingLevel', 'reverificationDays'], version: version + 1 });

      // PUT replaces: what it leaves out goes back to its default.
      const replaced = await setPolicy({ reverificationDays: 7 });
      expect(replaced.body).to.include({ sharingLevel: 'newAndExistingGuests', reverificationDays: 7 });
      expect(replaced.body.otp.length).to.equal(6);
      const last = (await one.gp.store.listAudit({ operation: 'SettingsUpdated' }, { limit: 100 })).items.at(-1)!;
      expect(last.detail).to.deep.equal({ changed: ['otp', 'sharingLevel'], version: version + 2 });
    });

    it('refuses an invalid policy with 400 naming the field, and changes nothing', async () => {
      const before = await one.admin.get<PolicyBody>('/settings');
      const updatesBefore = (await one.gp.store.listAudit({ operation: 'SettingsUpdated' }, { limit: 100 })).items.length;
      const cases: [unknown, RegExp][] = [
        [{ colour: 'red' }, /^settings: unknown field colour$/],
        [{ otp: { length: 5 } }, /^settings: otp\.length: /],
        [{ otp: { length: 11 } }, /^settings: otp\.length: /],
        [{ otp: { ttlSeconds: 59 } }, /^settings: otp\.ttlSeconds: /],
        [{ otp: { pepper: 1 } }, /^settings: unknown field otp\.pepper$/],
        [{ reverificationDays: 0 }, /^settings: reverificationDays: /],
        [{ reverificationDays: 731 }, /^settings: reverificationDays: /],
        [{ reverificationDays: '30' }, /^settings: reverificationDays: /],
        [{ sharingLevel: 'everyone' }, /^settings: sharingLevel: /],
        [{ guestUpgrade: 'sometimes' }, /^settings: guestUpgrade: /],
        [{ maxLinkLifetimeDays: 0 }, /^settings: maxLinkLifetimeDays: /],
        [{ domains: { allow: ['example.org'], block: ['example.com'] } }, /^settings: domains: set allow or block, not both$/],
        [{ domains: { allow: ['not a domain'] } }, /^settings: domains\.allow\[0\]: /],
        [[], /^settings: /],
        ['{"sharingLevel":', /not valid JSON/],
      ];
      for (const [body, description] of cases) {
        const response = await one.admin.request('PUT', '/settings', body, { 'content-type': 'application/json' });
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body.error).to.equal('invalid_request');
        expect(String(response.body.error_description), JSON.stringify(body)).to.match(description);
      }
      const after = await one.admin.get<PolicyBody>('/settings');
      expect(after.body).to.deep.equal(before.body);
      expect(after.headers.get('etag')).to.equal(before.headers.get('etag'));
      expect((await one.gp.store.listAudit({ operation: 'SettingsUpdated' }, { limit: 100 })).items).to.have.length(updatesBefore);

      const reader = await ManagementApi.as(one.gp.issuer, adminClient, 'directory:read');
      const forbidden = await reader.get('/settings');
      expect(forbidden.status).to.equal(403);
      expect(forbidden.body).to.deep.equal({ error: 'insufficient_scope', error_description: 'this needs the settings:write or admin scope' });
      expect((await reader.request('PUT', '/settings', {})).status).to.equal(403);
    });

    it('makes a PUT with If-Match conditional: 412 when the settings changed since, 200 when not', async () => {
      const etag = (await one.admin.get('/settings')).headers.get('etag')!;
      const first = await one.admin.request<PolicyBody>('PUT', '/settings', { sharingLevel: 'existingGuests' }, { 'if-match': etag });
      expect(first.status).to.equal(200);
      const current = first.headers.get('etag')!;

      const stale = await one.admin.request('PUT', '/settings', { sharingLevel: 'organizationOnly' }, { 'if-match': etag });
      expect(stale.status).to.equal(412);
      expect(stale.body).to.deep.equal({
        error: 'precondition_failed',
        error_description: `the settings are at version ${current.replace(/"/g, '')}, not ${etag.replace(/"/g, '')}; read them again`,
      });
      expect((await one.admin.get<PolicyBody>('/settings')).body.sharingLevel, 'the stale PUT changed nothing').to.equal('existingGuests');

      const weak = await one.admin.request<PolicyBody>('PUT', '/settings', { sharingLevel: 'organizationOnly' }, { 'if-match': `W/${current}` });
      expect(weak.status).to.equal(200);
      expect(weak.body.sharingLevel).to.equal('organizationOnly');
    });

    it('applies a change made through one instance at once on another sharing the same Redis', async () => {
      const keyPrefix = uniqueKeyPrefix('policy-shared');
      let first: Instance | undefined;
      let second: Instance | undefined;
      try {
        first = await connect(await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config }));
        second = await connect(await startGuestpass({ store: 'redis', smtp, clock, keyPrefix, config }));
        const link = await second.links.share(['late@example.org', 'long@example.org']);
        await invite('long@example.org', second);

        const put = await setPolicy({ sharingLevel: 'existingGuests', otp: { length: 8 } }, first);
        const seen = await second.admin.get<PolicyBody>('/settings');
        expect(seen.body).to.deep.equal(put.body);
        expect(seen.headers.get('etag')).to.equal(put.headers.get('etag'));

        const refused = await tryToShare(['later@example.org'], second);
        expect(refused.status).to.equal(400);
        expect(refused.body.error_description).to.contain(existingGuestsText);

        const journey = await open(link, second);
        await submitEmail(journey, 'late@example.org');
        await expectNoMail('late@example.org');
        expect((await audited('VerificationCodeRejected', 'late@example.org', second)).map((event) => event.detail.reason)).to.deep.equal(['policy_not_in_directory']);

        const guest = await open(link, second);
        await submitEmail(guest, 'long@example.org');
        expect(visibleText(guest.page.body)).to.contain('8-digit code is on its way');
        expect(codeFrom(await smtp.waitForMail('long@example.org'))).to.have.length(8);
      } finally {
        await first?.gp.close();
        await second?.gp.close();
        await deleteKeys(keyPrefix);
      }
    });
  });
});

