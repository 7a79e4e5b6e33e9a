/**
 * `guestpass audit …`, `report external-sharing`, `settings …`, and how the CLI finds and
 * guards its credentials — child processes against a running guestpass (real Redis, HTTP, SMTP).
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

import { adminClient, filesClient, startGuestpass, type TestGuestpass } from '../support/guestpass.ts';
import { cliEnvironment, collect, runCli, startCli, waitForOutput } from '../support/cli.ts';
import { ManagementApi } from '../support/management.ts';
import { SmtpCapture } from '../support/smtp.ts';

interface AuditLine {
  id: string;
  time: string;
  operation: string;
  sharingId?: string;
  detail: Record<string, unknown>;
}

function ndjson<T>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

describe('guestpass CLI: audit, report, settings, credentials', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;
  let asAdmin: NodeJS.ProcessEnv;
  let files: ManagementApi;
  let linkId: string;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'redis', smtp, config: { organization: { name: 'Contoso', domains: ['contoso.com'] } } });
    asAdmin = cliEnvironment({ GUESTPASS_ISSUER: gp.issuer, GUESTPASS_CLIENT_ID: adminClient.client_id, GUESTPASS_CLIENT_SECRET: adminClient.client_secret });
    files = await ManagementApi.as(gp.issuer, filesClient, 'links:read links:write');
    const created = await files.post<{ id: string }>('/links', { resource: '=SUM(A1)', recipients: ['ada@example.org', 'bob@contoso.com', 'eve@example.net'], createdBy: 'owner@contoso.com' });
    linkId = created.body.id;
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('audit export: the trail as NDJSON, filtered, and as CSV into a new private file with progress', async () => {
    const exported = await runCli(['audit', 'export', '--sharing-id', linkId], asAdmin);
    expect(exported.status, exported.stderr).to.equal(0);
    const events = ndjson<AuditLine>(exported.stdout);
    expect(events.map((event) => event.operation)).to.deep.equal(['SecureLinkCreated', 'AddedToSecureLink', 'AddedToSecureLink', 'AddedToSecureLink']);
    expect(exported.stderr, 'no progress where stderr is not a terminal, unless asked').to.equal('');

    const later = await runCli(['audit', 'export', '--since', new Date(Date.now() + 60_000).toISOString()], asAdmin);
    expect(later.stdout).to.equal('');

    const file = join(mkdtempSync(join(tmpdir(), 'guestpass-export-')), 'audit.csv');
    const csv = await runCli(['audit', 'export', '--sharing-id', linkId, '--format', 'csv', '--output', file, '--progress', '--since', '1h'], asAdmin);
    expect(csv.status, csv.stderr).to.equal(0);
    const rows = readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
    expect(rows[0]).to.equal('id,time,operation,actor_type,actor_id,sharing_id,result,ip,user_agent,detail');
    expect(rows).to.have.length(5);
    expect(rows[1]).to.contain(',SecureLinkCreated,client,files,');
    expect(statSync(file).mode & 0o777, 'an export holds personal data').to.equal(0o600);
    expect(csv.stderr).to.match(/audit export \[.*\] 100% \| 4 events/);
    expect(csv.stderr).to.contain(`4 events written to ${file}`);
    const again = await runCli(['audit', 'export', '--output', file], asAdmin);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.contain('exists; name a new file');
  });

  it('audit tail: the recent events, and with --follow each new one as it happens', async () => {
    const tail = await runCli(['audit', 'tail', '-n', '2', '--sharing-id', linkId], asAdmin);
    expect(tail.status, tail.stderr).to.equal(0);
    const lines = tail.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[1]).to.match(/^\S+Z {2}AddedToSecureLink {2}success {2}client:files {2}link=\S+ {2}.*email=eve@example\.net/);

    const follower = startCli(['audit', 'tail', '--follow', '--interval', '0.2', '--json', '--operation', 'SecureLinkDeleted'], asAdmin);
    const done = collect(follower);
    try {
      // Whether the follower reads the deletion in its first look or in a later one, it prints it once.
      const other = await files.post<{ id: string }>('/links', { resource: 'files/tail.txt', recipients: ['tail@example.org'] });
      await files.delete(`/links/${other.body.id}`);
      const seen = await waitForOutput(follower.stdout!, /SecureLinkDeleted/);
      expect(ndjson<AuditLine>(seen).map((event) => [event.operation, event.sharingId])).to.deep.equal([['SecureLinkDeleted', other.body.id]]);
    } finally {
      follower.kill('SIGINT');
      await done;
    }
  });

  it('report external-sharing: one CSV row per external recipient (members left out), or the links as JSON', async () => {
    const csv = await runCli(['report', 'external-sharing'], asAdmin);
    expect(csv.status, csv.stderr).to.equal(0);
    const rows = csv.stdout.split('\r\n').filter(Boolean);
    expect(rows[0]).to.equal('link_id,resource,client_id,expires_at,email,user_type,added_at,verified_at,last_access_at');
    const mine = rows.filter((row) => row.startsWith(`${linkId},`));
    expect(mine.map((row) => row.split(',')[4]), csv.stdout).to.deep.equal(['ada@example.org', 'eve@example.net']);
    expect(mine[0]!.split(',')[1], 'a resource that looks like a formula stays text').to.equal("'=SUM(A1)");

    const json = await runCli(['report', 'external-sharing', '--format', 'json'], asAdmin);
    const links = JSON.parse(json.stdout) as { id: string; recipients: { email: string }[] }[];
    expect(links.find((link) => link.id === linkId)?.recipients.map((recipient) => recipient.email)).to.deep.equal(['ada@example.org', 'eve@example.net']);
  });

  it('settings get and set: changes the keys given, keeps the rest, and refuses a bad value naming it', async () => {
    const before = await runCli(['settings', 'get'], asAdmin);
    expect(before.status, before.stderr).to.equal(0);
    expect(JSON.parse(before.stdout)).to.include({ sharingLevel: 'newAndExistingGuests', reverificationDays: 30 });

    const set = await runCli(['settings', 'set', 'sharingLevel=existingGuests', 'otp.length=8', 'domains.block=["mailinator.com"]'], asAdmin);
    expect(set.status, set.stderr).to.equal(0);
    const policy = JSON.parse(set.stdout) as { sharingLevel: string; otp: { length: number; ttlSeconds: number }; domains: { block: string[] }; reverificationDays: number };
    expect(policy).to.deep.include({ sharingLevel: 'existingGuests', reverificationDays: 30, domains: { block: ['mailinator.com'] } });
    expect(policy.otp).to.include({ length: 8, ttlSeconds: 600 });
    expect(JSON.parse((await runCli(['settings', 'get'], asAdmin)).stdout)).to.deep.equal(policy);

    const refused = await runCli(['settings', 'set', 'otp.length=4'], asAdmin);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.match(/PUT \/settings answered 400 invalid_request: .*otp\.length/);

    const file = join(mkdtempSync(join(tmpdir(), 'guestpass-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify({ guestUpgrade: 'off' }));
    const replaced = await runCli(['settings', 'set', '--file', file], asAdmin);
    expect(JSON.parse(replaced.stdout)).to.include({ guestUpgrade: 'off', sharingLevel: 'newAndExistingGuests' });
    expect((await runCli(['settings', 'set'], asAdmin)).status, 'nothing to change is a usage error').to.equal(2);
  });

  it('finds its credentials in a profile file readable by its owner only, and refuses one others can read', async () => {
    const home = mkdtempSync(join(tmpdir(), 'guestpass-profile-'));
    const profiles = join(home, 'profiles.json');
    writeFileSync(profiles, JSON.stringify({ default: 'test', profiles: { test: { issuer: gp.issuer, clientId: adminClient.client_id, clientSecret: adminClient.client_secret } } }), { mode: 0o600 });
    const env = cliEnvironment({ GUESTPASS_PROFILES: profiles });
    const listed = await runCli(['links', 'list', '--json'], env);
    expect(listed.status, listed.stderr).to.equal(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((link) => link.id)).to.include(linkId);

    chmodSync(profiles, 0o644);
    const refused = await runCli(['links', 'list'], env);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain('holds a client secret and others can read it (mode 644); chmod 600 it');
    const unknown = await runCli(['links', 'list', '--profile', 'prod'], cliEnvironment({ GUESTPASS_PROFILES: profiles }));
    expect(unknown.stderr).to.contain('has no profile "prod" (it has "test")');
  });

  it('says what is missing or wrong with the connection, and never sends a secret over plain http to another host', async () => {
    const missing = await runCli(['links', 'list'], cliEnvironment({ GUESTPASS_ISSUER: gp.issuer }));
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain('without the client id (--client-id or GUESTPASS_CLIENT_ID), the client secret (GUESTPASS_CLIENT_SECRET or GUESTPASS_CLIENT_SECRET_FILE)');

    const secretFile = join(mkdtempSync(join(tmpdir(), 'guestpass-secret-')), 'secret');
    writeFileSync(secretFile, 'not-the-secret\n', { mode: 0o600 });
    const wrong = await runCli(['links', 'list', '--client-id', adminClient.client_id], cliEnvironment({ GUESTPASS_ISSUER: gp.issuer, GUESTPASS_CLIENT_SECRET_FILE: secretFile }));
    expect(wrong.status).to.equal(1);
    expect(wrong.stderr).to.contain(`refused client "${adminClient.client_id}" (invalid_client): check the client id and secret`);

    const cleartext = await runCli(['links', 'list', '--issuer', 'http://id.contoso.com'], asAdmin);
    expect(cleartext.status).to.equal(1);
    expect(cleartext.stderr).to.contain('refusing to send client credentials over plain http to id.contoso.com');

    const down = await runCli(['links', 'list', '--issuer', 'http://127.0.0.1:9'], asAdmin);
    expect(down.status).to.equal(1);
    expect(down.stderr).to.match(/cannot reach http:\/\/127\.0\.0\.1:9 \(/);
  });
});
