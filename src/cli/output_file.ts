/** A new file for an export: never over an existing one, readable by its owner only (it holds personal data). */
import { open } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';

import { CliError } from './io.ts';

export async function outputFile(path: string): Promise<WriteStream> {
  try {
    const handle = await open(path, 'wx', 0o600);
    return handle.createWriteStream();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${path} exists; name a new file (exports never overwrite one)`);
    throw new CliError(`cannot write ${path} (${code ?? (error as Error).message})`);
  }
}
