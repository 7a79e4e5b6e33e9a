/**
 * A progress bar on stderr for long work (an audit export, the sharing report), so stdout stays
 * the data. On a terminal by default; `--progress` asks for it elsewhere too (a CI log, a pipe):
 * cli-progress then prints a plain line every two seconds and a last one at the end, since a
 * bar redrawn in place means nothing to a file (`noTTYOutput`). `--no-progress` turns it off.
 */
import { SingleBar } from 'cli-progress';

import type { CliIo } from './io.ts';

export interface Progress {
  /** `value` of `total`; `payload` fills the named fields of the format. */
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

const none: Progress = { update: () => {}, stop: () => {} };

/** `wanted`: the --progress / --no-progress option (undefined: on a terminal only). */
export function progressBar(io: CliIo, wanted: boolean | undefined, format: string, total: number, payload: Record<string, string | number> = {}): Progress {
  const tty = io.stderr.isTTY === true;
  if (wanted === false || (wanted === undefined && !tty)) return none;
  const bar = new SingleBar({ format, stream: io.stderr, noTTYOutput: !tty, notTTYSchedule: 2000, hideCursor: tty, clearOnComplete: false, etaBuffer: 50 });
  bar.start(total, 0, payload);
  return {
    update: (value, values) => bar.update(value, values),
    stop: () => bar.stop(),
  };
}
