/**
 * `node examples/plugin-host/main.js` (after `npm run build`, or from an installed guestpass):
 * the plugin host on PORT (4100), mail written to var/plugin-host/outbox/ unless SMTP_URL is
 * set. SHARE_WITH=ada@example.org shares a file with that address on start and prints the link.
 * INTRANET_REDIRECT_URI and FILES_REDIRECT_URI say where the two clients' sign-ins return.
 */
import { startPluginHost } from './app.js';

const port = Number(process.env.PORT ?? 4100);
const host = await startPluginHost({
  port,
  smtpUrl: process.env.SMTP_URL,
  redisUrl: process.env.REDIS_URL,
  intranetRedirectUri: process.env.INTRANET_REDIRECT_URI ?? `http://localhost:${port}/intranet/callback`,
  filesRedirectUri: process.env.FILES_REDIRECT_URI ?? `http://localhost:${port}/files/callback`,
});
console.log(`plugin host listening on ${host.url}`);
if (process.env.SHARE_WITH) {
  const link = await host.share('files/q3-report.pdf', [process.env.SHARE_WITH]);
  console.log(`  shared files/q3-report.pdf with ${process.env.SHARE_WITH}: sharing_id=${link.id}`);
}
const stop = () => host.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
