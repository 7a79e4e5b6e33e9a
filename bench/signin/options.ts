/** The knobs of `npm run bench:signin`, from the command line (`npm run bench:signin -- --quick --concurrency=8`). */
import { parseArgs } from 'node:util';
import { z } from 'zod';

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const seconds = (fallback: number) => z.coerce.number().min(0.5).max(600).default(fallback);

const optionsSchema = z.strictObject({
  concurrency: count(16, 256),
  rounds: count(5, 50),
  roundSeconds: seconds(8),
  warmupSeconds: seconds(3),
  countSignIns: count(200, 10_000),
  tokenRounds: count(5, 50),
  tokenCodes: count(500, 2000),
  capacityConcurrency: z.coerce.number().int().min(0).max(512).default(256),
  tokens: z.boolean().default(true),
  quick: z.boolean().default(false),
});

export type SignInBenchOptions = z.output<typeof optionsSchema>;

/** `--quick`: short rounds for trying the bench out; any explicit knob still wins. */
const quickDefaults = { rounds: 3, roundSeconds: 2, warmupSeconds: 1, countSignIns: 50, tokenRounds: 2, tokenCodes: 150 };

export const usage = `npm run bench:signin -- [--quick] [--concurrency=16] [--rounds=5] [--round-seconds=8]
    [--warmup-seconds=3] [--count-sign-ins=200] [--token-rounds=5] [--token-codes=500] [--no-tokens]
    [--capacity-concurrency=256 (0 leaves the capacity section out)]`;

export function parseOptions(argv: string[]): SignInBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      'round-seconds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'count-sign-ins': { type: 'string' },
      'token-rounds': { type: 'string' },
      'token-codes': { type: 'string' },
      'no-tokens': { type: 'boolean' },
      'capacity-concurrency': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const given = {
    concurrency: values.concurrency,
    rounds: values.rounds,
    roundSeconds: values['round-seconds'],
    warmupSeconds: values['warmup-seconds'],
    countSignIns: values['count-sign-ins'],
    tokenRounds: values['token-rounds'],
    tokenCodes: values['token-codes'],
    capacityConcurrency: values['capacity-concurrency'],
  };
  const explicit = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  const parsed = optionsSchema.safeParse({
    ...(values.quick ? quickDefaults : {}),
    ...explicit,
    tokens: !values['no-tokens'],
    quick: values.quick ?? false,
  });
  if (!parsed.success) {
    throw new Error(`${parsed.error.issues.map((issue) => `--${issue.path.join('.').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}: ${issue.message}`).join('; ')}\n${usage}`);
  }
  return parsed.data;
}
