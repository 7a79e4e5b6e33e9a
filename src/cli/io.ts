/**
 * What every command gets: the environment, where to write, and the few ways it ends. Commands
 * never touch `process` themselves, so the one entry point (`main.ts`) decides how the process
 * exits, and a command can be read as a function of its arguments and this.
 *
 * Exit codes: 0 done; 1 it failed (the server refused, the configuration is invalid, a file
 * could not be written); 2 the command line itself is wrong (unknown command or option, a
 * missing or malformed argument).
 */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Resolves when a shutdown signal (SIGTERM, SIGINT) arrives; `serve` waits on it. */
  onSignal(listener: (signal: NodeJS.Signals) => void): void;
}

export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure a person can act on: printed as `guestpass: <message>`, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = exitCodes.failed) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** An exit code whose reason has been printed already. */
export class Exit extends CliError {
  constructor(exitCode: number) {
    super('', exitCode);
  }
}

/** A wrong argument: exit code 2, like the parser's own errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, exitCodes.usage);
  }
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}

export function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function writeTable(stream: NodeJS.WritableStream, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  writeLine(stream, line(header));
  for (const row of rows) writeLine(stream, line(row));
}

/** Waits until everything written to `stream` has been handed to the OS (before the process exits). */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write('', () => resolve())) stream.once('drain', () => resolve());
  });
}
