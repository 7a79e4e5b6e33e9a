/**
 * How long the email form takes to answer for a recipient of a link (a code is sent) and for
 * anyone else (a code is withheld), over real HTTP against guestpass on a private redis-server
 * with mail going to a local SMTP sink — and how long the two requests a browser makes right
 * after take: the code page it is redirected to, and the first read of the delivery status.
 * A mail built and sent right after the answer slowed those two (by 1–2 ms each: the attack
 * on issue 9's fixes), so they are measured too. All must be the same (SPEC §2; ASVS 5.0
 * 6.3.8): the figures to watch are the ratios of the medians, which should stay at ×1.00 within
 * the noise. Samples are taken in pairs, in random order within each pair, so load changes weigh
 * on both.
 */
import { randomInt } from 'node:crypto';

import { parseConfig } from '../config/load.ts';
import { createLogger } from '../src/log.ts';
import { createServer } from '../src/http_server.ts';
import { filesClient, testKeys } from '../test/support/guestpass.ts';
import { managementToken } from '../test/support/management.ts';
import { freePort, startRedisServer } from '../test/support/redis_server.ts';
import { TestRelyingParty } from '../test/support/relying_party.ts';
import { Browser, findForm } from '../test/support/browser.ts';
import { SmtpCapture } from '../test/support/smtp.ts';
import { formatTable, median } from './measure.ts';

interface Timings {
  answer: number;
  codePage: number;
  status: number;
}

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
    // Each scenario takes its own addresses: one sign-in per address, none within another's cooldown.
    const recipients = Array.from({ length: 2 * pairs }, (_, index) => `recipient-${index}@example.org`);
    const created = await fetch(`${issuer}/api/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resource: 'bench/report.pdf', recipients }),
    });
    const { id: sharingId } = (await created.json()) as { id: string };
    const files = await TestRelyingParty.discover(issuer, filesClient.client_id, filesClient.client_secret, filesClient.redirect_uris[0]!);

    /** Opens a sign-in (not timed), then times the POST of the email form and the two requests a browser makes next. */
    const timeEmailPost = async (email: string, parameters: Record<string, string>): Promise<Timings> => {
      const browser = new Browser(issuer);
      const page = await browser.get((await files.authorizationUrl(parameters)).url);
      const form = findForm(page.body, '/email');
      const started = performance.now();
      const answered = await browser.post(new URL(form.action, page.url).href, { ...form.hidden, email }, { follow: false });
      const answeredAt = performance.now();
      if (answered.status !== 303) throw new Error(`the email form answered ${answered.status}`);
      const codePage = await browser.get(new URL(answered.headers.get('location')!, page.url).href);
      const pageAt = performance.now();
      await browser.get(`${codePage.url}/status`);
      return { answer: answeredAt - started, codePage: pageAt - answeredAt, status: performance.now() - pageAt };
    };

    // Warm-up: JIT, connections, Redis scripts.
    for (let index = 0; index < 20; index += 1) await timeEmailPost(`warmup-${index}@example.org`, { sharing_id: sharingId });
    const scenarios: { title: string; parameters: Record<string, string> }[] = [
      { title: `with sharing_id (the link has ${recipients.length} recipients)`, parameters: { sharing_id: sharingId } },
      // Without sharing_id the check asks whether the address is on any live link of the client:
      // a recipient's links are read, a stranger has none (a difference README's security model names).
      { title: 'without sharing_id (a recipient of any live link of the client)', parameters: {} },
    ];
    const tables = [];
    for (const [scenario, { title, parameters }] of scenarios.entries()) {
      const recipient: Timings[] = [];
      const other: Timings[] = [];
      for (let index = 0; index < pairs; index += 1) {
        const address = recipients[scenario * pairs + index]!;
        const recipientFirst = randomInt(2) === 0;
        if (recipientFirst) recipient.push(await timeEmailPost(address, parameters));
        other.push(await timeEmailPost(`stranger-${scenario}-${index}@example.org`, parameters));
        if (!recipientFirst) recipient.push(await timeEmailPost(address, parameters));
      }
      tables.push(`${title}:\n${timingsTable(recipient, other)}`);
    }
    return [
      `Email form and the browser's next two requests, time (ms) over real HTTP, guestpass on Redis, ${pairs} pairs each`,
      ...tables,
      'target: every ratio ×1.00 within noise (the findings: the answer 1–3 ms slower for recipients; then the next page +1.7 ms, the status read +1.3 ms)',
    ].join('\n');
  } finally {
    await server.close();
    await smtp.stop();
    await redis.stop();
  }
}

function timingsTable(recipient: readonly Timings[], other: readonly Timings[]): string {
  const steps: [keyof Timings, string][] = [
    ['answer', 'email form answer'],
    ['codePage', 'code page, right after'],
    ['status', 'status read, right after'],
  ];
  const rows = steps.flatMap(([step, label]) => {
    const mine = recipient.map((timings) => timings[step]);
    const theirs = other.map((timings) => timings[step]);
    const row = (who: string, values: number[]) => [`${label}: ${who}`, median(values).toFixed(2), quantile(values, 0.25).toFixed(2), quantile(values, 0.75).toFixed(2), quantile(values, 0.9).toFixed(2)];
    return [row('recipient', mine), row('anyone else', theirs), ['  ratio of medians', `×${(median(mine) / median(theirs)).toFixed(2)}`, '', '', '']];
  });
  return formatTable(['request: who submitted', 'median', 'p25', 'p75', 'p90'], rows);
}
