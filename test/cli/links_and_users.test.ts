/**
 * `guestpass links …` and `guestpass users …` as child processes against a running guestpass
 * (real Redis, real HTTP, a real SMTP capture), acting as an admin client and as a resource
 * server's own client through the management API.
 */
import { expect } from 'chai';

import { adminClient, filesClient, signIn, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { ManagementApi, type LinkBody, type PersonBody } from '../support/management.ts';
import { SmtpCapture } from '../support/smtp.ts';

describe('guestpass CLI: links and users', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let asAdmin: NodeJS.ProcessEnv;
  let asFiles: NodeJS.ProcessEnv;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { organization: { name: 'Contoso', domains: ['contoso.com'] } } });
    asAdmin = cliEnvironment({ GUESTPASS_ISSUER: gp.issuer, GUESTPASS_CLIENT_ID: adminClient.client_id, GUESTPASS_CLIENT_SECRET: adminClient.client_secret });
    asFiles = cliEnvironment({ GUESTPASS_ISSUER: gp.issuer, GUESTPASS_CLIENT_ID: filesClient.client_id, GUESTPASS_CLIENT_SECRET: filesClient.client_secret });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('links create, list, show and delete', async () => {
    const created = await runCli(['links', 'create', '--resource', 'files/q3.pdf', '--recipient', 'ada@example.org', 'bob@contoso.com', '--expires', '7d', '--created-by', 'owner@contoso.com'], asFiles);
    expect(created.status, created.stderr).to.equal(0);
    const id = created.stdout.trim();
    expect(id).to.match(/^[A-Za-z0-9_-]{32,}$/);

    const [listed, listedJson, shown, shownJson, byAdmin] = await Promise.all([
      runCli(['links', 'list'], asFiles),
      runCli(['links', 'list', '--json', '--all'], asFiles),
      runCli(['links', 'show', id], asFiles),
      runCli(['links', 'show', id, '--json'], asFiles),
      runCli(['links', 'list', '--json'], asAdmin),
    ]);
    expect(listed.stdout.split('\n')[0]).to.match(/^ID\s+RESOURCE\s+RECIPIENTS\s+EXPIRES\s+LIVE$/);
    expect(listed.stdout).to.match(new RegExp(`^${id}\\s+files/q3\\.pdf\\s+2\\s+\\S+\\s+yes$`, 'm'));
    expect((JSON.parse(listedJson.stdout) as LinkBody[]).map((link) => link.id)).to.deep.equal([id]);
    expect(shown.stdout).to.contain('ada@example.org').and.contain('bob@contoso.com').and.contain('by owner@contoso.com');
    const link = JSON.parse(shownJson.stdout) as LinkBody;
    expect(link).to.include({ id, resource: 'files/q3.pdf', clientId: 'files', createdBy: 'owner@contoso.com', live: true });
    const inSevenDays = Date.now() + 7 * 24 * 3600 * 1000;
    expect(Math.abs(Date.parse(link.expiresAt!) - inSevenDays)).to.be.below(60_000);
    expect((JSON.parse(byAdmin.stdout) as LinkBody[]).map((each) => each.id), 'an admin client sees every client\'s links').to.include(id);

    const deleted = await runCli(['links', 'delete', id], asFiles);
    expect(deleted.status, deleted.stderr).to.equal(0);
    const gone = await runCli(['links', 'show', id], asFiles);
    expect(gone.status).to.equal(1);
    expect(gone.stderr).to.contain('guestpass: not found');
  });

  it('links create refuses what the API refuses, saying why, with exit code 1', async () => {
    const refused = await runCli(['links', 'create', '--resource', 'files/x', '--recipient', 'not-an-address'], asFiles);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.match(/POST \/links answered 400 invalid_request: .*not-an-address/);
    const missing = await runCli(['links', 'create', '--recipient', 'ada@example.org'], asFiles);
    expect(missing.status, 'a missing required option is a usage error').to.equal(2);
    expect(missing.stderr).to.contain("required option '--resource <resource>' not specified");
  });

  it('users invite, list, disable, enable and delete, naming people by address or id', async () => {
    const invited = await runCli(['users', 'invite', 'Carol@Fabrikam.com', '--name', 'Carol', '--json'], asAdmin);
    expect(invited.status, invited.stderr).to.equal(0);
    const { user, inviteRedeemUrl } = JSON.parse(invited.stdout) as { user: PersonBody; inviteRedeemUrl: string };
    expect(user).to.include({ userType: 'guest', state: 'PendingAcceptance', displayName: 'Carol' });
    expect(inviteRedeemUrl.startsWith(`${gp.issuer}/invitations/`)).to.equal(true);

    const listed = await runCli(['users', 'list', '--type', 'guest', '--email', 'carol'], asAdmin);
    expect(listed.stdout).to.match(new RegExp(`^${user.id}\\s+Carol@Fabrikam\\.com\\s+guest\\s+PendingAcceptance`, 'm'));

    const disabled = await runCli(['users', 'disable', 'carol@fabrikam.com', '--json'], asAdmin);
    expect(disabled.status, disabled.stderr).to.equal(0);
    expect(JSON.parse(disabled.stdout)).to.include({ id: user.id, disabled: true });
    const enabled = await runCli(['users', 'enable', user.id], asAdmin);
    expect(enabled.status, enabled.stderr).to.equal(0);
    expect(enabled.stderr).to.contain(`enabled Carol@Fabrikam.com (${user.id})`);

    const deleted = await runCli(['users', 'delete', 'carol@fabrikam.com'], asAdmin);
    expect(deleted.status, deleted.stderr).to.equal(0);
    const after = await runCli(['users', 'list', '--email', 'carol', '--json'], asAdmin);
    expect(JSON.parse(after.stdout)).to.deep.equal([]);
    const unknown = await runCli(['users', 'disable', 'nobody@fabrikam.com'], asAdmin);
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr).to.contain('nobody in the directory has the address nobody@fabrikam.com');
  });

  it('users revoke-sessions ends a signed-in person\'s session and grant', async () => {
    const { claims, tokens } = await signIn(gp, smtp, 'dora@example.org');
    const revoked = await runCli(['users', 'revoke-sessions', claims.sub, '--json'], asAdmin);
    expect(revoked.status, revoked.stderr).to.equal(0);
    expect(JSON.parse(revoked.stdout)).to.include({ sessions: 1, grants: 1 });
    const userinfo = await fetch(`${gp.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status, 'the access token died with its grant').to.equal(401);
  });

  it('acts only as far as the client may: a client without directory scopes is told which scope it lacks', async () => {
    const result = await runCli(['users', 'list'], asFiles);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('client "files" may not have the directory:read scope: add it to the client\'s scope metadata');
    // What the API itself holds is unchanged by any of this.
    const api = await ManagementApi.as(gp.issuer, adminClient, 'directory:read');
    expect((await api.get('/users')).status).to.equal(200);
  });
});
