/**
 * The directory API (SPEC §1, §6): listing and searching people, reading one, changing groups
 * and display names, the scopes each call needs, and invitations — a guest exists at once, in
 * `PendingAcceptance`, with a redeem URL and, if asked, a mail carrying it. Real Redis, SMTP,
 * HTTP and openid-client; the admin console manages the directory, the file host (`files`)
 * shares links and signs people in to them.
 */
import { expect } from 'chai';

import { visibleText } from '../support/browser.ts';
import { ManualClock } from '../support/clock.ts';
import { adminClient, filesClient, rpClient, signIn, useGuestpass } from '../support/guestpass.ts';
import { ManagementApi, managementToken, type InvitationBody, type LinkBody, type ListBody, type PersonBody } from '../support/management.ts';
import { TestRelyingParty } from '../support/relying_party.ts';
import { codeFrom } from '../support/smtp.ts';

describe('the directory API', () => {
  let files: TestRelyingParty;
  let links: ManagementApi;
  let admin: ManagementApi;
  const clock = new ManualClock();

  const gp = useGuestpass({
      store: 'redis',
      clock,
      config: {
        clients: [rpClient, filesClient, adminClient],
        organization: { name: 'Contoso', domains: ['contoso.com'], supportContact: 'it-help@contoso.com' },
        // Every test signs in from 127.0.0.1; the per-IP cap has tests of its own.
        rateLimits: { codesPerIpPerHour: 1000 },
      },
    });
  before(async () => {
    files = await TestRelyingParty.discover(gp.issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);
    links = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
  });
  afterEach(() => clock.advanceSeconds(61));

  /** The whole sign-in to a link at the file host, code from the mail; returns the ID token claims. */
  async function signInToLink(email: string, link: LinkBody, parameters: Record<string, string> = {}) {
    return signIn({ rp: files, browser: () => gp.browser() }, gp.smtp, email, { sharing_id: link.id, ...parameters });
  }

  async function invite(body: Record<string, unknown>): Promise<InvitationBody> {
    const response = await admin.post<InvitationBody>('/invitations', body);
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    return response.body;
  }

  async function personByEmail(email: string): Promise<PersonBody | undefined> {
    const page = await admin.get<ListBody<PersonBody>>(`/users?email=${encodeURIComponent(email)}`);
    return page.body.items.find((person) => person.email.toLowerCase() === email.toLowerCase());
  }

  /** Follows nextCursor to the end; returns every page's emails. */
  async function allPages(query: string): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const response: { status: number; body: ListBody<PersonBody> } = await admin.get<ListBody<PersonBody>>(`/users?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(response.status, JSON.stringify(response.body)).to.equal(200);
      pages.push(response.body.items.map((person) => person.email));
      cursor = response.body.nextCursor;
    } while (cursor);
    return pages;
  }

  describe('people', () => {
    it('lists people in address order a page at a time, searching by address prefix and filtering by type', async () => {
      for (const email of ['list-C@Example.org', 'list-a@example.org', 'list-e@example.org', 'list-b@example.org', 'list-d@example.org']) await invite({ email });
      const link = await links.share(['list-adhoc@example.org', 'list-member@contoso.com']);
      await signInToLink('list-adhoc@example.org', link);
      await signInToLink('list-member@contoso.com', link);

      const pages = await allPages('email=list-&limit=3');
      expect(pages).to.deep.equal([
        ['list-a@example.org', 'list-adhoc@example.org', 'list-b@example.org'],
        ['list-C@Example.org', 'list-d@example.org', 'list-e@example.org'],
        ['list-member@contoso.com'],
      ]);
      const last = await admin.get<ListBody<PersonBody>>('/users?email=list-m&limit=3');
      expect(last.body.nextCursor, 'null on the last page').to.equal(null);

      expect((await allPages('email=LIST-&type=guest')).flat(), 'the prefix is compared lower-cased').to.have.length(5);
      expect((await allPages('email=list-&type=adhoc')).flat()).to.deep.equal(['list-adhoc@example.org']);
      expect((await allPages('email=list-&type=member')).flat()).to.deep.equal(['list-member@contoso.com']);
      expect((await allPages('email=list-c')).flat()).to.deep.equal(['list-C@Example.org']);
      expect((await admin.get('/users?email=nobody-by-this-name')).body).to.deep.equal({ items: [], nextCursor: null });

      const adhoc = (await admin.get<ListBody<PersonBody>>('/users?email=list-adhoc@')).body.items[0]!;
      expect(adhoc).to.include({ userType: 'adhoc', disabled: false });
      expect(adhoc).to.not.have.property('state');
      expect(Date.parse(adhoc.lastVerifiedAt!)).to.be.closeTo(clock.now(), 5000);

      for (const [query, reason] of [
        ['type=visitor', /type: .*"adhoc"\|"guest"\|"member"/],
        ['limit=0', /limit/],
        ['limit=101', /limit/],
        ['colour=red', /unknown field colour/],
        ['cursor=!!', /cursor/],
      ] as const) {
        const response = await admin.get(`/users?${query}`);
        expect(response.status, query).to.equal(400);
        expect(response.body.error).to.equal('invalid_request');
        expect(String(response.body.error_description), query).to.match(reason);
      }
    });

    it('shows one person by id in the SPEC shape, and answers 404 for an unknown or malformed id', async () => {
      const { user } = await invite({ email: 'Shown@Example.org', displayName: 'Shown Person' });
      const response = await admin.get<PersonBody>(`/users/${user.id}`);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal(user);
      expect(response.body).to.have.keys('id', 'email', 'userType', 'state', 'displayName', 'disabled', 'groups', 'identities', 'createdAt');
      expect(response.body).to.include({ email: 'Shown@Example.org', userType: 'guest', state: 'PendingAcceptance', displayName: 'Shown Person', disabled: false });
      expect(Date.parse(response.body.createdAt)).to.be.closeTo(clock.now(), 5000);

      for (const id of ['00000000-0000-4000-8000-000000000000', 'not%20an%20id', 'x'.repeat(65), encodeURIComponent('../links')]) {
        for (const pending of [admin.get(`/users/${id}`), admin.patch(`/users/${id}`, { disabled: true }), admin.delete(`/users/${id}`), admin.post(`/users/${id}/revoke-sessions`, {})]) {
          const missing = await pending;
          expect(missing.status, id).to.equal(404);
          expect(missing.body, id).to.deep.equal({ error: 'not_found', error_description: 'no such user' });
        }
      }
    });

    it('sets the groups of a guest and a member, which their ID tokens carry under the sharing scope only', async () => {
      const { user: guest } = await invite({ email: 'grace@example.org' });
      const patched = await admin.patch<PersonBody>(`/users/${guest.id}`, { groups: ['Finance', ' Auditors ', 'Finance'] });
      expect(patched.status).to.equal(200);
      expect(patched.body.groups, 'trimmed, each once').to.deep.equal(['Finance', 'Auditors']);
      expect((await admin.get<PersonBody>(`/users/${guest.id}`)).body.groups).to.deep.equal(['Finance', 'Auditors']);

      const link = await links.share(['grace@example.org', 'max@contoso.com']);
      const { claims } = await signInToLink('grace@example.org', link);
      expect(claims).to.include({ sub: guest.id, user_type: 'guest' });
      expect(claims.groups).to.deep.equal(['Finance', 'Auditors']);

      // A member is in the directory from their first verification; their groups come after.
      const first = await signInToLink('max@contoso.com', link);
      expect(first.claims).to.include({ user_type: 'member' });
      expect(first.claims.groups).to.deep.equal([]);
      expect((await admin.patch(`/users/${first.claims.sub}`, { groups: ['Engineering'] })).status).to.equal(200);
      clock.advanceSeconds(61);
      const { claims: member } = await signInToLink('max@contoso.com', link);
      expect(member.groups).to.deep.equal(['Engineering']);

      clock.advanceSeconds(61);
      const { claims: withoutSharing } = await signInToLink('max@contoso.com', link, { scope: 'openid email' });
      expect(withoutSharing).to.not.have.property('groups');
      expect(withoutSharing).to.not.have.property('user_type');

      clock.advanceSeconds(61);
      expect((await admin.patch<PersonBody>(`/users/${guest.id}`, { groups: [] })).body.groups).to.deep.equal([]);
      const { claims: cleared } = await signInToLink('grace@example.org', link);
      expect(cleared.groups).to.deep.equal([]);
    });

    it('gives an adhoc person no groups claim and refuses to set their groups', async () => {
      const link = await links.share(['adele@example.org']);
      const { claims } = await signInToLink('adele@example.org', link);
      expect(claims).to.include({ user_type: 'adhoc' });
      expect(claims).to.not.have.property('groups');

      const refused = await admin.patch(`/users/${claims.sub}`, { groups: ['Finance'] });
      expect(refused.status).to.equal(400);
      expect(refused.body).to.deep.equal({ error: 'invalid_request', error_description: 'groups are for guests and members only; this person is adhoc' });
      expect((await admin.get<PersonBody>(`/users/${claims.sub}`)).body.groups).to.deep.equal([]);
    });

    it('sets and clears the display name, which the name claim follows', async () => {
      const link = await links.share(['dina@example.org']);
      const { claims } = await signInToLink('dina@example.org', link);
      expect(claims.name, 'an adhoc person is named by their email').to.equal('dina@example.org');

      const named = await admin.patch<PersonBody>(`/users/${claims.sub}`, { displayName: '  Dina Smith ' });
      expect(named.status).to.equal(200);
      expect(named.body.displayName).to.equal('Dina Smith');
      clock.advanceSeconds(61);
      expect((await signInToLink('dina@example.org', link)).claims.name).to.equal('Dina Smith');

      const cleared = await admin.patch<PersonBody>(`/users/${claims.sub}`, { displayName: null });
      expect(cleared.body).to.not.have.property('displayName');
      clock.advanceSeconds(61);
      expect((await signInToLink('dina@example.org', link)).claims.name).to.equal('dina@example.org');
    });

    it('answers a bad PATCH body with 400 naming the problem, and changes nothing', async () => {
      const { user } = await invite({ email: 'patchy@example.org' });
      const cases: [Promise<{ status: number; body: unknown }>, RegExp][] = [
        [admin.patch(`/users/${user.id}`, {}), /give at least one of disabled, groups, displayName/],
        [admin.request('PATCH', `/users/${user.id}`), /give at least one of disabled, groups, displayName/],
        [admin.patch(`/users/${user.id}`, { disabled: true, colour: 'red' }), /unknown field colour/],
        [admin.patch(`/users/${user.id}`, { disabled: 'yes' }), /disabled: .*boolean/],
        [admin.patch(`/users/${user.id}`, { groups: 'Finance' }), /groups: .*array/],
        [admin.patch(`/users/${user.id}`, { groups: ['Finance', 7] }), /groups\[1\]: .*string/],
        [admin.patch(`/users/${user.id}`, { groups: ['  '] }), /groups\[0\]: a group name must not be empty/],
        [admin.patch(`/users/${user.id}`, { groups: Array.from({ length: 101 }, (_, index) => `g${index}`) }), /groups: .*<=100 items/],
        [admin.patch(`/users/${user.id}`, { displayName: 42 }), /displayName: .*string/],
        [admin.patch(`/users/${user.id}`, { displayName: '' }), /displayName: .*>=1 characters/],
        [admin.patch(`/users/${user.id}`, []), /request body: .*object/],
        [admin.request('PATCH', `/users/${user.id}`, '{"disabled":', { 'content-type': 'application/json' }), /not valid JSON/],
      ];
      for (const [pending, description] of cases) {
        const response = await pending;
        expect(response.status, `${String(description)}: ${JSON.stringify(response.body)}`).to.equal(400);
        const body = response.body as { error: string; error_description: string };
        expect(body.error).to.equal('invalid_request');
        expect(body.error_description, JSON.stringify(body)).to.match(description);
      }
      expect((await admin.get<PersonBody>(`/users/${user.id}`)).body).to.deep.equal(user);
    });

    it('reads with directory:read, changes only with directory:write, and says which scope is missing', async () => {
      const { user } = await invite({ email: 'scoped@example.org' });
      const reader = await ManagementApi.as(gp.issuer, adminClient, 'directory:read');
      expect((await reader.get(`/users/${user.id}`)).status).to.equal(200);
      expect((await reader.get('/users?email=scoped')).status).to.equal(200);
      for (const pending of [
        reader.patch(`/users/${user.id}`, { disabled: true }),
        reader.delete(`/users/${user.id}`),
        reader.post(`/users/${user.id}/revoke-sessions`, {}),
        reader.post('/invitations', { email: 'never@example.org' }),
      ]) {
        const refused = await pending;
        expect(refused.status).to.equal(403);
        expect(refused.body).to.deep.equal({ error: 'insufficient_scope', error_description: 'this needs the directory:write scope' });
        expect(refused.headers.get('www-authenticate')).to.contain('error="insufficient_scope"');
      }
      expect((await admin.get<PersonBody>(`/users/${user.id}`)).body.disabled).to.equal(false);
      expect(await personByEmail('never@example.org')).to.equal(undefined);

      // The file host's token for its links opens no part of the directory.
      const refused = await links.get('/users');
      expect(refused.status).to.equal(403);
      expect(refused.body).to.deep.equal({ error: 'insufficient_scope', error_description: 'this needs the directory:read or directory:write scope' });
      // Nor can the file host obtain a directory scope its registration does not list.
      let asked: unknown;
      await managementToken(gp.issuer, filesClient, 'links:read directory:read').catch((error: unknown) => (asked = error));
      expect(String((asked as { error?: string } | undefined)?.error ?? asked)).to.equal('invalid_scope');
      expect((await new ManagementApi(gp.issuer, 'not-a-token').get('/users')).status).to.equal(401);
    });
  });

  describe('invitations', () => {
    it('creates a guest in PendingAcceptance at once: 201, its Location, {user, inviteRedeemUrl}, in the directory, and GuestInvited', async () => {
      const response = await admin.post<InvitationBody>('/invitations', { email: '  Nina@Example.org ', displayName: 'Nina Ricci' });
      expect(response.status).to.equal(201);
      expect(response.body).to.have.keys('user', 'inviteRedeemUrl');
      const { user, inviteRedeemUrl } = response.body;
      expect(response.headers.get('location')).to.equal(`/api/v1/users/${user.id}`);
      expect(user).to.include({ email: 'Nina@Example.org', userType: 'guest', state: 'PendingAcceptance', displayName: 'Nina Ricci', disabled: false });
      expect(user.groups).to.deep.equal([]);
      expect(user.identities).to.deep.equal([]);
      expect(inviteRedeemUrl).to.match(new RegExp(`^${gp.issuer}/invitations/[A-Za-z0-9_-]{43}$`));
      expect(await personByEmail('nina@example.org')).to.deep.equal(user);

      const [event, ...more] = (await gp.store.listAudit({ operation: 'GuestInvited', email: 'nina@example.org' }, { limit: 10 })).items;
      expect(more).to.deep.equal([]);
      expect(event!.actor).to.deep.equal({ type: 'client', id: 'admin-console' });
      expect(event!.detail).to.include({ email: 'nina@example.org', personId: user.id, clientId: 'admin-console', created: true, mailed: false });
      expect(JSON.stringify(event), 'the redeem token is never audited').to.not.contain(inviteRedeemUrl.split('/').at(-1));
      await gp.smtp.expectNoMail('nina@example.org', 400);
    });

    it('mails the invitation when asked: the redeem URL and no code; redeeming it makes the guest Accepted', async () => {
      const { user, inviteRedeemUrl } = await invite({ email: 'Mia@Example.org', sendInvitationMail: true });
      const mail = await gp.smtp.waitForMail('mia@example.org');
      expect(mail.subject).to.equal('Contoso invited you as a guest');
      expect(mail.text).to.contain(inviteRedeemUrl);
      expect(mail.html).to.contain(inviteRedeemUrl);
      expect(mail.text).to.contain('Contoso invited Mia@Example.org');
      expect(() => codeFrom(mail), 'an invitation carries no code').to.throw(/no code/);
      const [event] = (await gp.store.listAudit({ operation: 'GuestInvited', email: 'mia@example.org' }, { limit: 10 })).items;
      expect(event!.detail).to.include({ mailed: true });

      const browser = gp.browser();
      let page = await browser.get(/\s(http\S+\/invitations\/\S+)\s/.exec(mail.text)![1]!);
      expect(page.body).to.contain('value="mia@example.org"');
      page = await browser.submit(page, '/email', { email: 'mia@example.org' });
      page = await browser.submit(page, '/code', { code: codeFrom(await gp.smtp.waitForMail('mia@example.org', { nth: 2 })) });
      expect(visibleText(page.body)).to.contain('You are now a guest of Contoso.');
      expect((await admin.get<PersonBody>(`/users/${user.id}`)).body).to.include({ state: 'Accepted', userType: 'guest' });
      expect((await gp.store.listAudit({ operation: 'GuestRedeemed', email: 'mia@example.org' }, { limit: 10 })).items.map((event) => event.detail.by)).to.deep.equal(['code']);
    });

    it('makes an adhoc person a pending guest, keeping their sub, and sends a pending guest a fresh invitation', async () => {
      const link = await links.share(['otto@example.org']);
      const { claims } = await signInToLink('otto@example.org', link);
      const { user, inviteRedeemUrl } = await invite({ email: 'otto@example.org', displayName: 'Otto' });
      expect(user).to.include({ id: claims.sub, userType: 'guest', state: 'PendingAcceptance', displayName: 'Otto' });

      const again = await invite({ email: 'OTTO@example.org' });
      expect(again.user.id).to.equal(claims.sub);
      expect(again.inviteRedeemUrl).to.not.equal(inviteRedeemUrl);
      const details = (await gp.store.listAudit({ operation: 'GuestInvited', email: 'otto@example.org' }, { limit: 10 })).items.map((event) => event.detail.created);
      expect(details).to.deep.equal([false, false]);
    });

    it('refuses a member (409), an Accepted guest (409), a redirectUrl outside the registered origins (400) and a malformed address (400)', async () => {
      const member = await admin.post('/invitations', { email: 'Boss@Contoso.com' });
      expect(member.status).to.equal(409);
      expect(member.body).to.deep.equal({ error: 'conflict', error_description: 'boss@contoso.com is a member of the organisation, not a guest' });

      const { inviteRedeemUrl } = await invite({ email: 'accepted@example.org' });
      const browser = gp.browser();
      let page = await browser.get(inviteRedeemUrl);
      page = await browser.submit(page, '/email', { email: 'accepted@example.org' });
      page = await browser.submit(page, '/code', { code: codeFrom(await gp.smtp.waitForMail('accepted@example.org')) });
      expect(visibleText(page.body)).to.contain('You are now a guest of Contoso.');
      const accepted = await admin.post('/invitations', { email: 'Accepted@example.org' });
      expect(accepted.status).to.equal(409);
      expect(accepted.body).to.deep.equal({ error: 'conflict', error_description: 'accepted@example.org is already a guest who accepted an invitation' });

      const cases: [Record<string, unknown>, RegExp][] = [
        [{ email: 'redirected@example.org', redirectUrl: 'https://evil.example/welcome' }, /^redirectUrl: https:\/\/evil\.example is not the origin of any registered client redirect URI$/],
        [{ email: 'redirected@example.org', redirectUrl: 'http://files.test.evil.example/welcome' }, /redirectUrl: .* is not the origin/],
        [{ email: 'redirected@example.org', redirectUrl: 'javascript:alert(1)' }, /^redirectUrl: must be an http\(s\) URL$/],
        [{ email: 'not-an-email' }, /^email: "not-an-email" is not an email address$/],
        [{ email: 'two@example.org, three@example.org' }, /email: .* is not an email address/],
        [{}, /email: is required/],
        [{ email: 'redirected@example.org', role: 'admin' }, /unknown field role/],
        [{ email: 'redirected@example.org', sendInvitationMail: 'yes' }, /sendInvitationMail: /],
      ];
      for (const [body, description] of cases) {
        const response = await admin.post('/invitations', body);
        expect(response.status, JSON.stringify(body)).to.equal(400);
        expect(response.body.error).to.equal('invalid_request');
        expect(String(response.body.error_description), JSON.stringify(body)).to.match(description);
      }
      expect(await personByEmail('redirected@example.org'), 'a refused invitation creates no one').to.equal(undefined);
      expect(await personByEmail('boss@contoso.com')).to.equal(undefined);

      const welcomed = await admin.post<InvitationBody>('/invitations', { email: 'redirected@example.org', redirectUrl: 'http://files.test/welcome' });
      expect(welcomed.status).to.equal(201);
    });
  });
});
