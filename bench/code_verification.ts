/**
 * Checking a submitted code: `codeMatches` with one secret, and with three (during a secret
 * rotation every secret is tried, with no early exit), against one bare HMAC-SHA256 of the same
 * message as the baseline.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { codeMatches, digestCode, type CodeBinding } from '../interactions/one_time_code.ts';
import { formatCost, formatOps, formatTable, measureInterleaved, syncRunner } from './measure.ts';

const secret = () => randomBytes(32).toString('base64url');

export async function benchCodeVerification(): Promise<string> {
  const secrets = [secret(), secret(), secret()];
  const binding: CodeBinding = { interactionUid: randomBytes(16).toString('base64url'), email: 'guest@example.com' };
  const code = '482913';
  const digest = digestCode(secrets[0]!, binding, code);
  const oneSecret = secrets.slice(0, 1);
  if (!codeMatches(oneSecret, binding, code, digest) || !codeMatches(secrets, binding, code, digest)) {
    throw new Error('codeMatches rejected the right code: the benchmark would measure the wrong path');
  }
  const message = `guestpass-otp\0${binding.interactionUid}\0${binding.email}\0${code}`;

  const results = await measureInterleaved({
    baseline: syncRunner(() => createHmac('sha256', secrets[0]!).update(message).digest()),
    oneSecret: syncRunner(() => codeMatches(oneSecret, binding, code, digest)),
    threeSecrets: syncRunner(() => codeMatches(secrets, binding, code, digest)),
  });
  const rows = [
    ['one createHmac (baseline)', results.baseline],
    ['codeMatches, 1 secret', results.oneSecret],
    ['codeMatches, 3 secrets (rotation)', results.threeSecrets],
  ] as const;
  return formatTable(
    ['code verification', 'ops/s', 'time vs baseline'],
    rows.map(([name, measurement]) => [name, formatOps(measurement.opsPerSecond), formatCost(measurement.opsPerSecond, results.baseline.opsPerSecond)]),
  );
}
