/**
 * `guestpass clients …` as child processes against a running guestpass (real Redis, real HTTP):
 * an administrator adds, shows, updates, rotates and removes a client, and issues an initial
 * access token a relying party registers itself with.
 */
import { expect } from 'chai';

import { adminClient, rpClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { managementToken } from '../support/management.ts';
import { SmtpCapture } from '../support/smtp.ts';
import { clientsAdmin, registration } from '../clients/support.ts';

describe('guestpass CLI: clients', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let asAdmin: NodeJS.ProcessEnv;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { clients: [rpClient, adminClient, clientsAdmin] } });
    asAdmin = cliEnvironment({ GUESTPASS_ISSUER: gp.issuer, GUESTPASS_CLIENT_ID: clientsAdmin.client_id, GUESTPASS_CLIENT_SECRET: clientsAdmin.client_secret });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('clients add, show, update, rotate-secret, list and remove', async () => {
    const added = await runCli(['clients', 'add', '--name', 'Northwind Files', '--grant-type', 'client_credentials', '--scope', 'links:read', '--metadata', '{"redirect_uris":[],"response_types":[]}'], asAdmin);
    expect(added.status, added.stderr).to.equal(0);
    const id = /^client_id=(\S+)$/m.exec(added.stdout)![1]!;
    const secret = /^client_secret=(\S+)$/m.exec(added.stdout)![1]!;
    expect(added.stderr).to.contain('shown only now');
    expect(await managementToken(gp.issuer, { client_id: id, client_secret: secret }, 'links:read')).to.be.a('string');

    const shown = await runCli(['clients', 'show', id, '--json'], asAdmin);
    expect(JSON.parse(shown.stdout)).to.include({ client_id: id, client_name: 'Northwind Files', readOnly: false });
    expect(shown.stdout).to.not.contain(secret);

    const updated = await runCli(['clients', 'update', id, '--name', 'Northwind Drive'], asAdmin);
    expect(updated.status, updated.stderr).to.equal(0);
    const listed = await runCli(['clients', 'list', '--all'], asAdmin);
    expect(listed.stdout.split('\n')[0]).to.match(/^CLIENT ID\s+NAME\s+SOURCE\s+REGISTERED$/);
    expect(listed.stdout).to.match(new RegExp(`^${id}\\s+Northwind Drive\\s+runtime\\s+\\S+$`, 'm'));
    expect(listed.stdout).to.match(/^rp\s+Test File Host\s+config\s+-$/m);

    const rotated = await runCli(['clients', 'rotate-secret', id, '--grace', '1h'], asAdmin);
    expect(rotated.status, rotated.stderr).to.equal(0);
    const newSecret = /^client_secret=(\S+)$/m.exec(rotated.stdout)![1]!;
    expect(newSecret).to.not.equal(secret);
    expect(rotated.stderr).to.match(/the previous secret works until \d{4}-/);

    const removed = await runCli(['clients', 'remove', id], asAdmin);
    expect(removed.status, removed.stderr).to.equal(0);
    const gone = await runCli(['clients', 'show', id], asAdmin);
    expect(gone.status).to.equal(1);
    expect(gone.stderr).to.contain('not found');
  });

  it('refuses to change a client from the configuration file, and bad options, with exit codes 1 and 2', async () => {
    const refused = await runCli(['clients', 'remove', 'rp'], asAdmin);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain('configuration file');
    const usage = await runCli(['clients', 'rotate-secret', 'rp', '--grace', 'soon'], asAdmin);
    expect(usage.status).to.equal(2);
    expect(usage.stderr).to.contain('--grace');
  });

  it('clients initial-access-token: a single-use token a relying party registers itself with', async () => {
    const issued = await runCli(['clients', 'initial-access-token', '--expires-in', '1h', '--single-use', '--policy', '{"grantTypes":["authorization_code"]}'], asAdmin);
    expect(issued.status, issued.stderr).to.equal(0);
    const token = issued.stdout.trim();
    expect(issued.stderr).to.match(/valid until .*, for one registration/);
    const metadata = { client_name: 'Self-registered', redirect_uris: ['http://self.test/callback'] };
    expect((await registration(`${gp.issuer}/reg`, 'POST', token, metadata)).status).to.equal(201);
    expect((await registration(`${gp.issuer}/reg`, 'POST', token, metadata)).status).to.equal(401);
  });
});
