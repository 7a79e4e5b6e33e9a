/** The real process behind `CliIo`, for the two entry points (`src/main.ts`, `src/cli/main.ts`). */
import { flushed, type CliIo } from './io.ts';

export function processIo(): CliIo {
  // `guestpass audit export | head`: the reader has gone; the rest of the output has nowhere to go.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    onSignal(listener) {
      process.on('SIGTERM', () => listener('SIGTERM'));
      process.on('SIGINT', () => listener('SIGINT'));
    },
  };
}

/** Ends the process with `code` once what was written has left; pools and keep-alive sockets do not hold it. */
export async function exitWith(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
