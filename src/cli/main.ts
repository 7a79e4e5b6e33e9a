#!/usr/bin/env node
/** The `guestpass` binary: `guestpass --help` lists the commands (docs/cli.md). */
import { exitWith, processIo } from './process_io.ts';
import { run } from './program.ts';

await exitWith(await run(process.argv.slice(2), processIo()));
