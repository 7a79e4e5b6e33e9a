/**
 * `/readyz` reports what the instance has seen of the mail relay, and never fails readiness for
 * it: the relay is shared by every instance, so taking this one out of rotation would deliver
 * no more mail and stop everything else it serves. A shutting-down instance is not ready.
 */
import { expect } from 'chai';
import Koa from 'koa';
import request from 'supertest';

import { MemoryStore } from '../../adapters/memory.ts';
import { healthRouter } from '../../src/http/health.ts';
import { openSignIn, startGuestpass, submitEmail, type TestGuestpass } from '../support/guestpass.ts';
import { SmtpCapture } from '../support/smtp.ts';

interface Readiness {
  status: string;
  mail?: { state: string; failingSince?: string };
  error?: string;
}

async function readiness(gp: TestGuestpass): Promise<{ status: number; body: Readiness; text: string }> {
  const response = await fetch(`${gp.issuer}/readyz`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Readiness, text };
}

/** Asks /readyz until the mail state is `state` (the outbox delivers in the background). */
async function mailStateBecomes(gp: TestGuestpass, state: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await readiness(gp);
    if (answer.body.mail?.state === state) return answer;
    if (Date.now() > deadline) throw new Error(`mail never became ${state}: ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('readiness and the mail relay', () => {
  let smtp: SmtpCapture;
  let gp: TestGuestpass;

  before(async () => {
    smtp = await new SmtpCapture().start();
    gp = await startGuestpass({ store: 'memory', smtp });
  });
  after(async () => {
    await gp?.close();
    await smtp?.stop();
  });

  it('stays ready while the relay refuses every mail, says so with the time it began, and never names the relay', async () => {
    expect((await readiness(gp)).body).to.deep.include({ status: 'ready', mail: { state: 'ok' } });
    smtp.refuseNext(1, 550, 'sender address rejected by relay.internal.contoso.com', 'sender');
    const before = Date.now();
    await submitEmail(await openSignIn(gp), 'refused@example.org');
    const down = await mailStateBecomes(gp, 'down');
    expect(down.status, 'a mail outage is not a reason to leave rotation').to.equal(200);
    expect(down.body.status).to.equal('ready');
    expect(Date.parse(down.body.mail!.failingSince!)).to.be.within(before - 1000, Date.now());
    expect(down.text).to.not.contain('relay.internal').and.not.contain('550');

    // The next mail that leaves puts it right.
    await submitEmail(await openSignIn(gp), 'fine@example.org');
    await smtp.waitForMail('fine@example.org');
    expect((await mailStateBecomes(gp, 'ok')).body).to.deep.include({ status: 'ready', mail: { state: 'ok' } });
  });

  it('answers 503 "stopping" once the process is shutting down, so a load balancer moves on', async () => {
    const store = new MemoryStore();
    let stopping = false;
    const app = new Koa().use(healthRouter(store, { stopping: () => stopping }).routes());
    expect((await request(app.callback()).get('/readyz')).status).to.equal(200);
    stopping = true;
    const answer = await request(app.callback()).get('/readyz');
    expect(answer.status).to.equal(503);
    expect(answer.body).to.include({ status: 'stopping', error: 'temporarily_unavailable' });
    expect((await request(app.callback()).get('/healthz')).status, 'still alive').to.equal(200);
    await store.close();
  });
});
