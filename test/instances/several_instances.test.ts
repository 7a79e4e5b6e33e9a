/**
 * Several guestpass instances behind one issuer, sharing one Redis (one key prefix): a sign-in
 * starts on instance 1 (authorization request, email form), the code from the mail is entered on
 * instance 2, and the code is redeemed at the token endpoint of instance 3; then the same on a
 * real three-master Redis Cluster. Real HTTP through a test load balancer that sends each step
 * where the test says, openid-client as the relying party, mail over SMTP to a capture server.
 * Also what a replay on another instance gets: the code and the authorization code work once,
 * whichever instance is asked.
 */
import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import * as client from 'openid-client';

import { TestBalancer } from '../support/balancer.ts';
import { openSignIn, startGuestpass, submitCode, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { deleteKeys } from '../support/guestpass.ts';
import { deleteKeysUnder, describeWithRedisSetup, testRedisUrl, uniqueKeyPrefix } from '../support/redis.ts';
import { startRedisCluster, type RunningRedisCluster } from '../support/redis_cluster.ts';
import { freePorts } from '../support/redis_server.ts';
import { codeFrom, SmtpCapture } from '../support/smtp.ts';

interface Deployment {
  balancer: TestBalancer;
  instances: TestGuestpass[];
  smtp: SmtpCapture;
}

/** Three instances on one Redis configuration (`redis`), behind a balancer whose address is the issuer. */
async function startDeployment(redis: Record<string, unknown>): Promise<Deployment> {
  const smtp = await new SmtpCapture().start();
  const balancer = new TestBalancer();
  const issuer = await balancer.listen();
  const ports = await freePorts(3);
  balancer.backends.push(...ports);
  const instances: TestGuestpass[] = [];
  for (const [index, port] of ports.entries()) {
    // Each instance discovers the issuer as it starts: point the balancer at it meanwhile.
    balancer.target = index;
    instances.push(await startGuestpass({ store: 'redis', smtp, keyPrefix: String(redis.keyPrefix), config: { port, issuer, redis, trustProxy: true } }));
  }
  return { balancer, instances, smtp };
}

async function stopDeployment(deployment: Deployment | undefined): Promise<void> {
  if (!deployment) return;
  for (const instance of deployment.instances) await instance.close();
  await deployment.balancer.close();
  await deployment.smtp.stop();
}

/** Holds every write to the shared Redis (scripts included) for `ms`, while reads go on (CLIENT PAUSE … WRITE). */
type PauseWrites = (ms: number) => Promise<void>;

function severalInstancesSuite(redisOf: () => Record<string, unknown>, cleanUp: (prefix: string) => Promise<void>, pauseWrites: () => PauseWrites): void {
  let deployment: Deployment;
  let prefix: string;

  beforeEach(async () => {
    const redis = redisOf();
    prefix = String(redis.keyPrefix);
    deployment = await startDeployment(redis);
  });

  afterEach(async () => {
    await stopDeployment(deployment);
    await cleanUp(prefix);
  });

  it('signs in with the steps on three instances: start on 1, code on 2, token endpoint on 3', async () => {
    const { balancer, instances, smtp } = deployment;
    const [first, second, third] = instances as [TestGuestpass, TestGuestpass, TestGuestpass];
    const email = 'ada@example.com';

    balancer.target = 0;
    const startedAt = balancer.log.length;
    const journey = await openSignIn(first);
    await submitEmail(journey, email);
    expect(journey.page.status).to.equal(200);
    const mail = await smtp.waitForMail(email);

    balancer.target = 1;
    const codeAt = balancer.log.length;
    const done = await submitCode(journey, codeFrom(mail));
    expect(done.leftTo, done.body.slice(0, 300)).to.be.a('string');

    balancer.target = 2;
    const tokenAt = balancer.log.length;
    const tokens = await third.rp.redeem(journey.pending, done.leftTo!);
    expect(tokens.claims()).to.deep.include({ email, email_verified: true, iss: first.issuer, aud: 'rp' });
    const userinfo = await third.rp.userinfo(tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email).to.equal(email);

    // Each step was answered where the test sent it: the code's POST by instance 2, the token request by instance 3.
    const answered = (from: number, to: number) => balancer.log.slice(from, to);
    expect(new Set(answered(startedAt, codeAt).map(([index]) => index))).to.deep.equal(new Set([0]));
    expect(answered(codeAt, tokenAt).filter(([, method, path]) => method === 'POST' && path.endsWith('/code'))).to.deep.equal([[1, 'POST', answered(codeAt, tokenAt)[0]![2]]]);
    expect(answered(tokenAt, balancer.log.length).filter(([, method, path]) => method === 'POST' && path === '/token').map(([index]) => index)).to.deep.equal([2]);

    // One audit trail, whichever instance wrote to it; read through another one.
    const operations = (await second.store.listAudit({ email }, { limit: 50 })).items.map((event) => event.operation);
    expect(operations).to.include.members(['VerificationCodeSent', 'VerificationSucceeded']);
  });

  it('mails a code whose instance stopped before its decision: the stop decides it at once, another instance sends it, and it works there', async () => {
    const { balancer, instances, smtp } = deployment;
    const [first] = instances as [TestGuestpass];
    const email = 'cy@example.com';

    balancer.target = 0;
    const journey = await openSignIn(first);
    // The email form answered by instance 1, whose decision waits for its moment (up to a second)…
    journey.page = await journey.browser.submit(journey.page, '/email', { email });
    expect(journey.page.status).to.equal(200);
    // …when it stops gracefully: the decision is made at once, its mail queued for the others.
    await first.server.outbox.stop();
    const mail = await smtp.waitForMail(email);

    balancer.target = 1;
    const done = await submitCode(journey, codeFrom(mail));
    expect(done.leftTo, done.body.slice(0, 300)).to.be.a('string');
  });

  it('lets a code and an authorization code work once across instances', async () => {
    const { balancer, instances, smtp } = deployment;
    const [first, , third] = instances as [TestGuestpass, TestGuestpass, TestGuestpass];
    const email = 'bob@example.com';

    balancer.target = 0;
    const journey = await openSignIn(first);
    await submitEmail(journey, email);
    const codePage = journey.page;
    const code = codeFrom(await smtp.waitForMail(email));

    balancer.target = 1;
    const done = await submitCode(journey, code);
    expect(done.leftTo).to.be.a('string');

    // The same code again, on instance 3: the interaction is over, so nothing is signed in.
    balancer.target = 2;
    journey.page = codePage;
    const replayed = await submitCode(journey, code);
    expect(replayed.leftTo ?? '').not.to.match(/[?&]code=/);

    // The authorization code redeemed on instance 3, then again on instance 1: the second is refused.
    await third.rp.redeem(journey.pending, done.leftTo!);
    balancer.target = 0;
    const again = await first.rp.redeem(journey.pending, done.leftTo!).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).to.be.instanceOf(client.ResponseBodyError);
    expect((again as client.ResponseBodyError).error).to.equal('invalid_grant');
  });

  it('lets one of parallel resumes on three instances through, even when all of them find the sign-in before any writes', async () => {
    const { balancer, instances, smtp } = deployment;
    const [first, second] = instances as [TestGuestpass, TestGuestpass];
    const email = 'dee@example.com';

    balancer.target = 0;
    const journey = await openSignIn(first);
    await submitEmail(journey, email);
    const finished = await journey.browser.submit(journey.page, '/code', { code: codeFrom(await smtp.waitForMail(email)) }, { follow: false });
    const resume = finished.headers.get('location')!;
    expect(resume).to.match(/\/auth\//);

    // Each instance gets two resumes of the finished sign-in. With writes held, every one of them
    // reads what it reads first, and their writes then land one after another: only the shared
    // gate keeps a second resume, on another instance, from finishing the sign-in again.
    await pauseWrites()(1500);
    balancer.roundRobin = true;
    const answers = await Promise.all(Array.from({ length: 6 }, () => journey.browser.get(resume, { follow: false })));
    balancer.roundRobin = false;
    const withCode = answers.filter((answer) => /[?&]code=/.test(answer.headers.get('location') ?? ''));
    expect(withCode, answers.map((answer) => `${answer.status} ${answer.headers.get('location') ?? ''}`).join('; ')).to.have.length(1);
    expect(answers.filter((answer) => answer.status === 400)).to.have.length(5);
    const tokens = await first.rp.redeem(journey.pending, withCode[0]!.headers.get('location')!);
    expect(tokens.claims()?.email).to.equal(email);
    const signedIn = (await second.store.listAudit({ email }, { limit: 50 })).items.filter((event) => event.operation === 'SignedIn');
    expect(signedIn).to.have.length(1);
  });
}

describe('several instances on one Redis', () => {
  severalInstancesSuite(() => ({ url: testRedisUrl(), keyPrefix: uniqueKeyPrefix('instances') }), deleteKeys, () => async (ms) => {
    const admin = new Redis(testRedisUrl());
    try {
      await admin.call('CLIENT', 'PAUSE', String(ms), 'WRITE');
    } finally {
      admin.disconnect();
    }
  });
});

describeWithRedisSetup('several instances on a Redis Cluster', () => {
  let cluster: RunningRedisCluster;
  let admin: Cluster;

  before(async () => {
    cluster = await startRedisCluster();
    admin = new Cluster(cluster.nodes);
    await admin.ping();
  });

  after(async () => {
    await admin?.quit();
    await cluster?.stop();
  });

  severalInstancesSuite(
    () => ({ cluster: cluster.nodes, keyPrefix: uniqueKeyPrefix('instances') }),
    async (prefix) => {
      await Promise.all(admin.nodes('master').map((node) => deleteKeysUnder(node, prefix)));
    },
    () => async (ms) => {
      await Promise.all(admin.nodes('master').map((node) => node.call('CLIENT', 'PAUSE', String(ms), 'WRITE')));
    },
  );
});
