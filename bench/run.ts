/**
 * `npm run bench`: the hot paths, each figure next to a baseline measured in the same run, so
 * the ratios hold across machines even where the raw ops/s do not. Never run by `npm test`.
 */
import { cpus } from 'node:os';

import { benchAuditQuery } from './audit_query.ts';
import { benchCodeVerification } from './code_verification.ts';
import { benchEnumerationTiming } from './enumeration_timing.ts';
import { benchInstances } from './instances.ts';
import { benchKeyring } from './keyring.ts';
import { defaultMeasureOptions } from './measure.ts';
import { benchSignInSection } from './signin/section.ts';
import { benchSoak } from './soak.ts';
import { benchStoreOperations } from './store_operations.ts';

const started = performance.now();
const { warmupMs, roundMs, rounds } = defaultMeasureOptions;
console.log(`guestpass bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`);
console.log(`each figure: ${warmupMs} ms warm-up, then the median of ${rounds} rounds of ${roundMs} ms`);
console.log('ratios are time per operation relative to the named baseline (×2.00 = twice as slow)\n');

console.log(await benchCodeVerification());
console.log();
console.log(await benchStoreOperations());
console.log();
console.log(await benchKeyring());
console.log();
console.log(await benchEnumerationTiming());
console.log();
// GUESTPASS_BENCH_AUDIT_EVENTS sets the size of the audit log (250 000 here, to keep the run short:
// an index walk does not grow with the log; npm run bench:audit fills 1 M; 0 leaves the section out).
const auditEvents = Number(process.env.GUESTPASS_BENCH_AUDIT_EVENTS ?? 250_000);
if (auditEvents > 0) console.log(await benchAuditQuery(auditEvents));
else console.log('audit queries: left out (GUESTPASS_BENCH_AUDIT_EVENTS=0); run them with npm run bench:audit');
console.log();
// The end-to-end section takes about a minute; GUESTPASS_BENCH_SIGNIN=0 leaves it out.
if (process.env.GUESTPASS_BENCH_SIGNIN === '0') console.log('end-to-end sign-in: left out (GUESTPASS_BENCH_SIGNIN=0); run it with npm run bench:signin');
else console.log(await benchSignInSection());
console.log();
// Two instances against one takes about 40 s; GUESTPASS_BENCH_INSTANCES=0 leaves it out.
if (process.env.GUESTPASS_BENCH_INSTANCES === '0') console.log('several instances: left out (GUESTPASS_BENCH_INSTANCES=0)');
else console.log(await benchInstances());
console.log();
// A short soak (2 min, a sample every 15 s) so the figures are in every run; GUESTPASS_BENCH_SOAK_MINUTES
// sets its length (0 leaves it out). The 10 minutes: npm run bench:soak -- --minutes 10.
const soakMinutes = Number(process.env.GUESTPASS_BENCH_SOAK_MINUTES ?? 2);
if (!(soakMinutes > 0)) console.log('soak: left out (GUESTPASS_BENCH_SOAK_MINUTES=0); run it with npm run bench:soak -- --minutes 10');
else {
  console.log(`soak for ${soakMinutes} min, concurrency 8, a line every 15 s (the full soak: npm run bench:soak -- --minutes 10):`);
  console.log(await benchSoak(soakMinutes, 8, console.log, 15));
}
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
