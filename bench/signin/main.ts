/** `npm run bench:signin`: the end-to-end sign-in bench (bench/README.md). Never run by `npm test`. */
import { benchSignIn, describeRun } from './bench.ts';
import { parseOptions } from './options.ts';

const started = performance.now();
const options = parseOptions(process.argv.slice(2));
console.log(describeRun(options));
await benchSignIn(options);
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s`);
