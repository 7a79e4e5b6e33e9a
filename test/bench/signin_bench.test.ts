/**
 * Keeps `npm run bench:signin` working while guestpass's internals change: its driver completes
 * sign-ins against guestpass (through its public entry, in a child process) and against the
 * baseline, and its Redis accounting adds up. Nothing here is timed.
 *
 * The bench resets Redis statistics and runs MONITOR, so it starts its own redis-server even
 * when REDIS_URL names one.
 */
import { expect } from 'chai';

import { authorizeSignedIn, discover, redeem, signIn, signInToCallback } from '../../bench/signin/journey.ts';
import { runSignIns, type Target } from '../../bench/signin/load.ts';
import { CookieJar } from '../../bench/signin/http_client.ts';
import { MailSink } from '../../bench/signin/mail_sink.ts';
import { parseOptions } from '../../bench/signin/options.ts';
import { measureRedisCost } from '../../bench/signin/redis_cost.ts';
import { keyPattern, retainedByPattern } from '../../bench/signin/redis_stats.ts';
import { benchClients, generateKeys, startRedis, startServer, type BenchRedis, type ServerUnderTest } from '../../bench/signin/servers.ts';

describe('the end-to-end sign-in bench', function () {
  this.timeout(60_000);
  const sink = new MailSink();
  const redises: BenchRedis[] = [];
  const servers: ServerUnderTest[] = [];
  const targets: Record<'guestpass' | 'baseline', Target> = {} as never;

  before(async () => {
    await sink.start();
    const keys = await generateKeys();
    for (const system of ['guestpass', 'baseline'] as const) {
      const redis = await startRedis();
      redises.push(redis);
      const server = await startServer({ system, store: 'redis', redis, smtpUrl: sink.url, keys });
      servers.push(server);
      targets[system] = { label: `${system} · redis`, server, endpoints: await discover(server.issuer) };
    }
  });

  after(async () => {
    for (const server of servers) await server.stop();
    for (const redis of redises) await redis.stop();
    await sink.stop();
  });

  for (const system of ['guestpass', 'baseline'] as const) {
    it(`completes an email-code sign-in against ${system}, code from the mail and tokens included`, async () => {
      const times = await signIn(targets[system].endpoints, benchClients.RS256, sink, `one-${system}@example.com`);
      expect(times.total).to.be.greaterThan(0);
    });

    it(`gets a further code from a ${system} session and exchanges it for an ES256 ID token`, async () => {
      const { endpoints } = targets[system];
      const { browser, redeemable } = await signInToCallback(endpoints, benchClients.ES256, sink, `sso-${system}@example.com`);
      await redeem(endpoints, benchClients.ES256, redeemable);
      await redeem(endpoints, benchClients.ES256, await authorizeSignedIn(endpoints, benchClients.ES256, browser));
    });

    it(`counts each Redis command of a ${system} sign-in once, as sent or as run by a script`, async () => {
      const cost = await measureRedisCost(targets[system], sink, { signIns: 3, concurrency: 3, settleMs: 200 });
      expect(cost.errors).to.equal(0);
      expect(cost.sentPerSignIn).to.be.greaterThan(0);
      for (const count of cost.commands) expect(count.executed, count.command).to.be.closeTo(count.sent + count.inScripts, 1e-9);
      expect(cost.retainedBytesPerSignIn).to.be.greaterThan(0);
      expect(cost.patterns.map((pattern) => pattern.pattern)).to.include(system === 'guestpass' ? 'guestpass:model:AccessToken:*' : 'base:AccessToken:*');
    });
  }

  it('counts a timed run\'s rate and CPU over its steady window, not its start or the wait for the last sign-ins', async () => {
    const durationMs = 2000;
    const batch = await runSignIns(targets.baseline, sink, { concurrency: 2, durationMs });
    expect(batch.errors).to.equal(0);
    // The window is the last three quarters up to the deadline (its edges are when the CPU was read,
    // so a timer that fired late moves them a little): never the whole run, whose length includes
    // waiting for the sign-ins still in flight at the deadline.
    expect(batch.elapsedMs).to.be.greaterThan(0).and.below(durationMs * 0.9);
    expect(batch.completed).to.be.greaterThan(0).and.at.most(batch.times.length);
    // By Little's law (windowRate): 2 in flight over the mean latency, about the count over the window.
    expect(batch.rate).to.be.closeTo((batch.completed * 1000) / batch.elapsedMs, (batch.completed * 1000) / batch.elapsedMs / 2);
    expect(batch.cpu.server).to.be.greaterThan(0);
  });

  it('refuses a sign-in whose code form gets a wrong code, with the page it got', async () => {
    const wrongCodeSink = { codeFor: async () => '000000' } as unknown as MailSink;
    let failure: Error | undefined;
    await signIn(targets.baseline.endpoints, benchClients.RS256, wrongCodeSink, 'wrong-code@example.com').catch((error: Error) => (failure = error));
    expect(failure?.message).to.match(/code form: expected a redirect to the callback, got 200/);
  });
});

describe('the sign-in bench helpers', () => {
  it('names a key by its segments up to the first id', () => {
    expect(keyPattern('guestpass:model:Session:Zm9vYmFyYmF6cXV4cXV1eA')).to.equal('guestpass:model:Session:*');
    expect(keyPattern('guestpass:{outbox}:mail:6f1c0d3e-3b7a-4c59-9d0e-1f2a3b4c5d6e')).to.equal('guestpass:{outbox}:mail:*');
    expect(keyPattern('guestpass:person-email:ada@example.com')).to.equal('guestpass:person-email:*');
    expect(keyPattern('guestpass:audit')).to.equal('guestpass:audit');
  });

  it('counts growth by pattern: new keys, grown keys and removed keys', () => {
    const before = new Map([
      ['p:audit', 1000],
      ['p:code:abc123', 200],
    ]);
    const after = new Map([
      ['p:audit', 1500],
      ['p:session:s1', 300],
      ['p:session:s2', 300],
    ]);
    expect(retainedByPattern(before, after)).to.deep.equal([
      { pattern: 'p:session:*', keysAdded: 2, bytesAdded: 600 },
      { pattern: 'p:audit', keysAdded: 0, bytesAdded: 500 },
      { pattern: 'p:code:*', keysAdded: -1, bytesAdded: -200 },
    ]);
  });

  it('sends a cookie only under its path, and forgets one the server expires', () => {
    const jar = new CookieJar();
    jar.store(['_interaction=a; path=/interaction/u1; httponly', '_session=s; path=/; httponly'], '/auth');
    expect(jar.header('/interaction/u1/email')).to.equal('_interaction=a; _session=s');
    expect(jar.header('/auth/u1')).to.equal('_session=s');
    jar.store(['_interaction=; path=/interaction/u1; expires=Thu, 01 Jan 1970 00:00:00 GMT'], '/interaction/u1');
    expect(jar.header('/interaction/u1')).to.equal('_session=s');
  });

  it('lets an explicit knob win over --quick, and names a bad one', () => {
    expect(parseOptions(['--quick', '--rounds=4'])).to.include({ quick: true, rounds: 4, roundSeconds: 2 });
    expect(() => parseOptions(['--concurrency=0'])).to.throw(/--concurrency/);
    expect(parseOptions([])).to.include({ capacityConcurrency: 256 });
    expect(parseOptions(['--capacity-concurrency=0'])).to.include({ capacityConcurrency: 0 });
    expect(() => parseOptions(['--capacity-concurrency=-1'])).to.throw(/--capacity-concurrency/);
  });
});
