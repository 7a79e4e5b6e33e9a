/**
 * How long the email form takes to answer for a recipient of a link (a code is sent) and for
 * anyone else (a code is withheld), over real HTTP against guestpass on a private redis-server
 * with mail going to a local SMTP sink. The two must be the same (SPEC §2; ASVS 5.0 6.3.8): the
 * figure to watch is the ratio of the medians, which should stay at ×1.00 within the noise.
 * Samples are taken in pairs, in random order within each pair, so load changes weigh on both.
 */
import { randomInt } from 'node:crypto';

import { parseConfig } from '../config/load.ts';
import { createLogger } from '../src/log.ts';
import { createServer } from '../src/server.ts';
import { filesClient, testKeys } from '../test/support/guestpass.ts';
import { managementToken } from '../test/support/management.ts';
import { freePort, startRedisServer } from '../test/support/redis_server.ts';
import { TestRelyingParty } from '../test/support/relying_party.ts';
import { Browser, findForm } from '../test/support/browser.ts';
import { SmtpCapture } from '../test/support/smtp.ts';
import { formatTable, median } from './measure.ts';

export interface EnumerationTimingOptions {
  /** Pairs of samples (one recipient, one non-recipient each). */
  pairs: number;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function benchEnumerationTiming({ pairs }: EnumerationTimingOptions = { pairs: 200 }): Promise<string> {
  const redis = await startRedisServer();
  const smtp = await new SmtpCapture().start();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = parseConfig({
    port,
    issuer,
    logLevel: 'silent',
    clients: [filesClient],
    smtp: { url: smtp.url },
    redis: { url: redis.url, keyPrefix: 'bench:' },
    links: { maxRecipients: 1000 },
    rateLimits: { codesPerIpPerHour: 100_000 },
  });
  const server = await createServer(config, { keys: await testKeys(), logger: createLogger('silent') });
  await server.listen(port, '127.0.0.1');
  try {
    const token = await managementToken(issuer, filesClient, 'links:write');
    const recipients = Array.from({ length: pairs }, (_, index) => `recipient-${index}@example.org`);
    const created = await fetch(`${issuer}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: 'bench/report.pdf', recipients }),
    });
    const { id: sharingId } = (await created.json()) as { id: string };
    const files = await TestRelyingParty.discover(issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);

    /** Opens a sign-in for the link (not timed), then times the POST of the email form alone. */
    const timeEmailPost = async (email: string): Promise<number> => {
      const browser = new Browser(issuer);
      const page = await browser.get((await files.authorizationUrl({ sharing_id: sharingId })).url);
      const form = findForm(page.body, '/email');
      const started = performance.now();
      const answered = await browser.post(new URL(form.action, page.url).href, { ...form.hidden, email }, { follow: false });
      const elapsed = performance.now() - started;
      if (answered.status !== 303) throw new Error(`the email form answered ${answered.status}`);
      return elapsed;
    };

    // Warm-up: JIT, connections, Redis scripts.
    for (let index = 0; index < 20; index += 1) await timeEmailPost(`warmup-${index}@example.org`);
    const recipientMs: number[] = [];
    const otherMs: number[] = [];
    for (let index = 0; index < pairs; index += 1) {
      const recipientFirst = randomInt(2) === 0;
      if (recipientFirst) recipientMs.push(await timeEmailPost(recipients[index]!));
      otherMs.push(await timeEmailPost(`stranger-${index}@example.org`));
      if (!recipientFirst) recipientMs.push(await timeEmailPost(recipients[index]!));
    }
    const row = (name: string, values: number[]) => [name, median(values).toFixed(2), quantile(values, 0.25).toFixed(2), quantile(values, 0.75).toFixed(2), quantile(values, 0.9).toFixed(2)];
    const ratio = median(recipientMs) / median(otherMs);
    return [
      `Email form, answer time (ms) over real HTTP, guestpass on Redis, ${pairs} pairs`,
      formatTable(['who submits', 'median', 'p25', 'p75', 'p90'], [row('a recipient (code sent)', recipientMs), row('anyone else (code withheld)', otherMs)]),
      `ratio of medians recipient/other: ×${ratio.toFixed(2)}   (target ×1.00 within noise; the finding was 1–3 ms slower for recipients)`,
    ].join('\n');
  } finally {
    await server.close();
    await smtp.stop();
    await redis.stop();
  }
}
