/**
 * The token endpoint alone: code + PKCE exchanges per second, with RS256 and with ES256 ID
 * tokens. Authorization codes are collected first, untimed, by running the flow up to the
 * callback — after one full sign-in per simulated browser, its session lets it get further codes
 * without a form or a mail — then only the exchanges are timed, `concurrency` in flight. Codes
 * live 60 s on both sides, so a round's codes must be collected and spent within that.
 */
import { authorizeSignedIn, redeem, signInToCallback, type Redeemable } from './journey.ts';
import { median } from '../measure.ts';
import { percentile, type Target } from './load.ts';
import type { MailSink } from './mail_sink.ts';
import { benchClients, type BenchClient } from './servers.ts';

export interface TokenTarget {
  target: Target;
  client: BenchClient;
}

export interface TokenSummary {
  label: string;
  alg: string;
  rate: number;
  rates: number[];
  p50: number;
  p99: number;
}

const browsersByTarget = new Map<string, Awaited<ReturnType<typeof signInToCallback>>['browser'][]>();

async function signedInBrowsers(tokenTarget: TokenTarget, sink: MailSink, count: number) {
  const key = `${tokenTarget.target.label}/${tokenTarget.client.clientId}`;
  let browsers = browsersByTarget.get(key);
  if (!browsers) {
    browsers = await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const email = `token-${index}-${tokenTarget.client.clientId}-${Math.random().toString(36).slice(2, 8)}@example.com`;
        const { browser, redeemable } = await signInToCallback(tokenTarget.target.endpoints, tokenTarget.client, sink, email);
        await redeem(tokenTarget.target.endpoints, tokenTarget.client, redeemable);
        return browser;
      }),
    );
    browsersByTarget.set(key, browsers);
  }
  return browsers;
}

async function collectCodes(tokenTarget: TokenTarget, sink: MailSink, count: number, concurrency: number): Promise<Redeemable[]> {
  const codes: Redeemable[] = [];
  const browsers = await signedInBrowsers(tokenTarget, sink, concurrency);
  await Promise.all(
    browsers.map(async (browser) => {
      while (codes.length < count) codes.push(await authorizeSignedIn(tokenTarget.target.endpoints, tokenTarget.client, browser));
    }),
  );
  return codes.slice(0, count);
}

async function exchangeAll(tokenTarget: TokenTarget, codes: Redeemable[], concurrency: number): Promise<{ elapsedMs: number; latencies: number[] }> {
  const queue = [...codes];
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const before = performance.now();
        await redeem(tokenTarget.target.endpoints, tokenTarget.client, next);
        latencies.push(performance.now() - before);
      }
    }),
  );
  return { elapsedMs: performance.now() - started, latencies };
}

export interface TokenOptions {
  rounds: number;
  codesPerRound: number;
  concurrency: number;
}

/**
 * Every target with both clients, round by round. A round first collects the codes of every
 * target, then times the exchanges back to back (the order reversed every other round), so the
 * exchanges compared with each other run within seconds of each other.
 */
export async function measureTokenEndpoint(targets: readonly Target[], sink: MailSink, options: TokenOptions): Promise<TokenSummary[]> {
  const tokenTargets = targets.flatMap((target) => Object.values(benchClients).map((client) => ({ target, client })));
  const results = new Map<TokenTarget, { rates: number[]; latencies: number[] }>(tokenTargets.map((tokenTarget) => [tokenTarget, { rates: [], latencies: [] }]));
  for (let round = 0; round < options.rounds; round += 1) {
    const order = round % 2 === 0 ? tokenTargets : [...tokenTargets].reverse();
    const codes = new Map<TokenTarget, Redeemable[]>();
    for (const tokenTarget of order) codes.set(tokenTarget, await collectCodes(tokenTarget, sink, options.codesPerRound, options.concurrency));
    for (const tokenTarget of order) {
      const { elapsedMs, latencies } = await exchangeAll(tokenTarget, codes.get(tokenTarget)!, options.concurrency);
      const result = results.get(tokenTarget)!;
      result.rates.push((options.codesPerRound * 1000) / elapsedMs);
      result.latencies.push(...latencies);
    }
  }
  return tokenTargets.map((tokenTarget) => {
    const { rates, latencies } = results.get(tokenTarget)!;
    const sorted = latencies.sort((a, b) => a - b);
    return { label: tokenTarget.target.label, alg: tokenTarget.client.idTokenAlg, rate: median(rates), rates, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  });
}
