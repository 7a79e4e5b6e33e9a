/**
 * Runs the file host on its own, against a guestpass that already runs and has it registered
 * (see registration.ts):
 *
 *   GUESTPASS_ISSUER=https://id.contoso.com FILE_HOST_URL=https://files.contoso.com \
 *   FILE_HOST_CLIENT_ID=file-host FILE_HOST_CLIENT_SECRET=… FILE_HOST_SESSION_KEYS=<32+ chars> \
 *   PORT=4000 npx tsx examples/file-host/main.ts
 *
 * Optional: FILE_HOST_FILES_DIR (the directory to share), HOST (default localhost: the owner
 * pages have no sign-in, so do not expose them), FILE_HOST_SESSION_KEYS (comma-separated,
 * newest first; without it a restart signs everyone out). `http://` is allowed only when both
 * guestpass and the file host are on this machine (localhost, 127.0.0.1, [::1]).
 */
import { startFileHost } from './app.ts';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`file host: set ${name} (see the comment at the top of examples/file-host/main.ts)`);
    process.exit(1);
  }
  return value;
}

const guestpassIssuer = required('GUESTPASS_ISSUER');
const port = Number(process.env.PORT ?? 4000);
const publicUrl = process.env.FILE_HOST_URL?.trim() || `http://localhost:${port}`;
const sessionKeys = (process.env.FILE_HOST_SESSION_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
const isLocal = [guestpassIssuer, publicUrl].every((url) => loopbackHosts.has(URL.parse(url)?.hostname ?? ''));

try {
  const host = await startFileHost({
    guestpassIssuer,
    clientId: required('FILE_HOST_CLIENT_ID'),
    clientSecret: required('FILE_HOST_CLIENT_SECRET'),
    publicUrl,
    filesDir: process.env.FILE_HOST_FILES_DIR || undefined,
    sessionKeys: sessionKeys.length > 0 ? sessionKeys : undefined,
    allowInsecureHttp: isLocal,
    port,
    host: process.env.HOST || 'localhost',
  });
  console.log(`file host is listening on ${host.url} (guestpass: ${guestpassIssuer})`);
  const stop = () => void host.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
