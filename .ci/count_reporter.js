/**
 * The mocha reporter CI uses: mocha's usual spec output, plus the run's counts written as JSON
 * to the file named by the reporter option `output`, so `.ci/run` reads numbers instead of
 * parsing text. Plain JavaScript so it loads whether or not tsx is registered.
 */
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

export default class CountingSpecReporter extends Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const output = options.reporterOptions?.output;
    runner.once(EVENT_RUN_END, () => {
      if (!output) return;
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      // Synchronously: .mocharc sets `exit: true`, so the process ends right after this event.
      writeFileSync(output, `${JSON.stringify({ passes, failures, pending })}\n`);
    });
  }
}
