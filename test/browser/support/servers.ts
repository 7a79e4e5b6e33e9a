/**
 * Everything a recipient's journey crosses, started for real: guestpass on the test Redis with
 * a clock the tests move, mail over SMTP to a capture server, the example file host as its
 * client, and Chromium. guestpass answers at `localhost` and the file host at `127.0.0.1`, so
 * the browser treats them as two sites (as `id.contoso.com` and `files.example.net` would be):
 * SameSite cookies and the CSP's `form-action` are tested as they work in production.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

import { startFileHost, type RunningFileHost } from '../../../examples/file-host/app.ts';
import { fileHostClientMetadata } from '../../../examples/file-host/registration.ts';
import { ManualClock } from '../../support/clock.ts';
import { adminClient, startGuestpass, type TestGuestpass } from '../../support/guestpass.ts';
import { ManagementApi } from '../../support/management.ts';
import { freePort } from '../../support/redis_server.ts';
import { SmtpCapture } from '../../support/smtp.ts';
import { startWorkProvider, type RunningWorkProvider } from '../../support/work_provider.ts';
import { launchChromium } from './chromium.ts';
import { startClientSite, type RunningClientSite } from './client_site.ts';

export const sampleFilesDir = join(import.meta.dirname, '..', '..', '..', 'examples', 'file-host', 'files');
const fileHostSecret = 'file-host-secret-for-browser-tests';
const workProviderSecret = 'work-secret-for-browser-tests';

/** The domain whose recipients are offered their work account after a first code (`policy.guestUpgrade: offer`). */
export const workDomain = 'partner.example';

/** An organisation with a logo and an accent colour of its own (`organization` in the configuration). */
export const brandedOrganization = {
  name: 'Contoso',
  logoUri: `data:image/svg+xml;base64,${readFileSync(join(sampleFilesDir, 'logo.svg')).toString('base64')}`,
  accentColor: '#7a1f5c',
};

/** A client that invites guests, with the display name their invitation page shows. */
const partnerPortal = {
  client_id: 'partner-portal',
  client_secret: 'partner-portal-secret-for-browser-tests',
  client_name: 'Partner Portal',
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'directory:write',
};

export interface ServerOptions {
  /** A work-account provider for `workDomain`, offered after the first code. */
  workProvider?: boolean;
  /** guestpass's demo relying party at /demo. */
  demo?: boolean;
  /** `brandedOrganization` instead of the default name and colours. */
  branding?: boolean;
  /** The file host's `client_name` instead of the example's own (a long one, to see it wrap). */
  fileHostName?: string;
}

export interface RunningServers {
  smtp: SmtpCapture;
  /** guestpass's clock: move it instead of waiting (cooldowns, expiry). */
  clock: ManualClock;
  gp: TestGuestpass;
  fileHost: RunningFileHost;
  fileHostUrl: string;
  /** The directory API, as an administrator. */
  admin: ManagementApi;
  /** The directory API as `Partner Portal`, a client whose invitations name it. */
  inviter: ManagementApi;
  /** Where the file host's logo, privacy policy and terms are (its client metadata points there). */
  clientSite: RunningClientSite;
  /** With `workProvider`: its accounts can be changed while it runs. */
  work: RunningWorkProvider | undefined;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startServers({ workProvider = false, demo = false, branding = false, fileHostName }: ServerOptions = {}): Promise<RunningServers> {
  const smtp = await new SmtpCapture().start();
  const clock = new ManualClock();
  const [guestpassPort, fileHostPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${guestpassPort}`;
  const fileHostUrl = `http://127.0.0.1:${fileHostPort}`;
  let work: RunningWorkProvider | undefined;
  const running: { stop(): Promise<void> }[] = [{ stop: () => smtp.stop() }];
  try {
    if (workProvider) {
      work = await startWorkProvider({ clientId: 'guestpass', clientSecret: workProviderSecret, redirectUris: [`${issuer}/federation/partner/callback`] });
      running.push(work);
    }
    const clientSite = await startClientSite();
    running.push(clientSite);
    // The file host shows itself on the sign-in pages with a logo and policy links, as a relying party would.
    const fileHostClient = { ...fileHostClientMetadata({ publicUrl: fileHostUrl, clientSecret: fileHostSecret }), ...clientSite.metadata, ...(fileHostName ? { client_name: fileHostName } : {}) };
    const gp = await startGuestpass({
      store: 'redis',
      smtp,
      clock,
      config: {
        port: guestpassPort,
        issuer,
        clients: [fileHostClient, adminClient, partnerPortal],
        // Every recipient here signs in from 127.0.0.1; the per-IP cap has tests of its own.
        rateLimits: { codesPerIpPerHour: 1000 },
        demo: { enabled: demo },
        ...(branding ? { organization: brandedOrganization } : {}),
        ...(work
          ? {
              policy: { guestUpgrade: 'offer' },
              federation: [{ id: 'partner', name: 'Partner work account', issuer: work.issuer, clientId: 'guestpass', clientSecret: workProviderSecret, domains: [workDomain] }],
            }
          : {}),
      },
    });
    running.push({ stop: () => gp.close() });
    const fileHost = await startFileHost({
      guestpassIssuer: gp.issuer,
      clientId: 'file-host',
      clientSecret: fileHostSecret,
      publicUrl: fileHostUrl,
      allowInsecureHttp: true,
      port: fileHostPort,
      host: '127.0.0.1',
      log: () => {},
    });
    running.push({ stop: () => fileHost.close() });
    const admin = await ManagementApi.as(gp.issuer, adminClient, 'directory:read directory:write');
    const inviter = await ManagementApi.as(gp.issuer, partnerPortal, 'directory:write');
    const browser = await launchChromium();
    running.push({ stop: () => browser.close() });
    return { smtp, clock, gp, fileHost, fileHostUrl, admin, inviter, clientSite, work, browser, stop: () => stopAll(running) };
  } catch (error) {
    await stopAll(running);
    throw error;
  }
}

async function stopAll(running: { stop(): Promise<void> }[]): Promise<void> {
  for (const part of running.reverse()) await part.stop();
}
