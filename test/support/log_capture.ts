/** A real pino logger whose lines a test reads back: the log is part of what an operator sees. */
import { Writable } from 'node:stream';

import { createLogger, type Logger } from '../../src/log.ts';

export interface LogLine {
  level: number;
  msg: string;
  provider?: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const logLevels = { info: 30, warn: 40, error: 50 } as const;

export function capturingLogger(level: 'info' | 'debug' | 'trace' = 'info'): { logger: Logger; lines: LogLine[]; text(): string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(String(chunk));
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: createLogger(level, sink), lines, text: () => raw.join('') };
}
