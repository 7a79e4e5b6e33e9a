/**
 * `npm start` and `node dist/src/main.js`: the same as `guestpass serve`. With `src/cli/main.ts`
 * the only place that reads process.env (through `processIo`).
 */
import { serve } from './cli/commands/serve.ts';
import { exitWith, processIo } from './cli/process_io.ts';

const io = processIo();
await exitWith(await serve(io.env, io));
