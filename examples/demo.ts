/**
 * `npm run demo`: guestpass and the example file host (examples/file-host/), wired together on
 * this machine. guestpass runs on its embedded default — in-memory store, mail written to
 * var/outbox/, development keys in var/keys.json — with the file host registered as its one
 * client. Nothing else needs installing.
 *
 * Environment (all optional): GUESTPASS_PORT (3000), FILE_HOST_PORT (4000), GUESTPASS_DATA_DIR
 * (var), LOG_LEVEL (info). Ctrl-C stops both.
 */
import { relative, resolve } from 'node:path';

import { parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../src/errors.ts';
import { createServer } from '../src/http_server.ts';
import { startFileHost } from './file-host/app.ts';
import { jsonLinesLog, type Log } from './file-host/log.ts';
import { fileHostClientMetadata } from './file-host/registration.ts';

const clientId = 'file-host';
const clientSecret = 'file-host-demo-secret-not-for-production';

function portFrom(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${name} must be a port number (1–65535), not "${text}"`);
  return port;
}

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}

/** Listening fails mostly for one reason worth a sentence of its own. */
function explainListenError(error: unknown, what: string, variable: string): never {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`the port for ${what} is in use; choose another with ${variable}=…`);
  throw error;
}

const guestpassPort = portFrom('GUESTPASS_PORT', 3000);
const fileHostPort = portFrom('FILE_HOST_PORT', 4000);
const issuer = `http://localhost:${guestpassPort}`;
const fileHostUrl = `http://localhost:${fileHostPort}`;
const dataDir = process.env.GUESTPASS_DATA_DIR?.trim() || 'var';

function guestpassConfig(): Config {
  try {
    return parseConfig({
      port: guestpassPort,
      issuer,
      dataDir,
      logLevel: process.env.LOG_LEVEL?.trim() || 'info',
      clients: [fileHostClientMetadata({ publicUrl: fileHostUrl, clientId, clientSecret })],
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

const guestpass = await createServer(guestpassConfig());
await guestpass.listen(guestpassPort).catch((error: unknown) => explainListenError(error, 'guestpass', 'GUESTPASS_PORT'));

// The file host's request lines would drown guestpass's "mail written to …" lines the demo needs.
const fileHostLog: Log = (level, message, fields) => {
  if (level !== 'info' || message !== 'request') jsonLinesLog(level, message, fields);
};
const fileHost = await startFileHost({
  guestpassIssuer: issuer,
  clientId,
  clientSecret,
  publicUrl: fileHostUrl,
  allowInsecureHttp: true,
  port: fileHostPort,
  // The owner pages have no sign-in: keep them on this machine.
  host: 'localhost',
  log: fileHostLog,
}).catch(async (error: unknown) => {
  await guestpass.close();
  return explainListenError(error, 'the file host', 'FILE_HOST_PORT');
});

const outboxPath = resolve(dataDir, 'outbox');
const outbox = relative(process.cwd(), outboxPath).startsWith('..') ? outboxPath : relative(process.cwd(), outboxPath);
console.log(`
guestpass demo: a file host that shares files through guestpass secure links

  file host (owner pages): ${fileHost.url}
  guestpass:               ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)
  mail:                    written to ${outbox}/ as .eml files

Try it:
  1. open ${fileHost.url}, pick a file and share it with your email address
  2. copy the link it shows (${fileHost.url}/s/…) and open it in a private window
  3. enter the same address at guestpass; the code is in the newest .eml file in
     ${outbox}/ (the log line "mail written to …" names it; it is plain text)
  4. back at the file host, download the file; the owner page now shows when you
     were verified and last seen
  A forwarded link gives nothing: open it with another address and no code is sent.

Ctrl-C stops both.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await fileHost.close();
  await guestpass.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
