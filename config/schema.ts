/**
 * The one configuration schema of guestpass. Every key carries its description, default and
 * range, so `npm run config:reference` prints the reference in docs/configuration.md from this file.
 *
 * Sources, lowest to highest precedence: these defaults, the JSON file named by CONFIG_FILE,
 * the environment variables of SPEC §8 (PORT, ISSUER, REDIS_URL, SMTP_URL, MAIL_FROM).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

import { accentColorProblem, hexColorPattern, lightPageBackground, minimumTextContrast } from './branding.ts';

/** An IPv4 or IPv6 address, or a CIDR block of either (`10.0.0.0/8`, `2001:db8::/32`). */
export function isCidr(value: string): boolean {
  const [network = '', prefix, extra] = value.split('/');
  const family = isIP(network);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
}

export const domainNamePattern = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const domainName = z.string().trim().toLowerCase().regex(domainNamePattern, 'must be a domain name such as contoso.com');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const boundedInt = (min: number, max: number, fallback: number, description: string) =>
  z.int().min(min).max(max).default(fallback).describe(`${description} Default ${fallback}, allowed ${min}–${max}.`);

export const otpPolicySchema = z
  .strictObject({
    length: boundedInt(6, 10, 6, 'Digits in an emailed code.'),
    ttlSeconds: boundedInt(60, 1800, 600, 'Seconds a code stays valid after it is issued.'),
    maxAttemptsPerCode: boundedInt(1, 10, 5, 'Entries one code accepts; once this many were wrong the code is dead and a new one is needed.'),
    resendCooldownSeconds: boundedInt(10, 600, 60, 'Seconds between two codes for the same address.'),
    maxCodesPerHour: boundedInt(1, 50, 5, 'Codes one address can be sent per hour.'),
    lockoutAfterFailures: boundedInt(3, 100, 10, 'Wrong codes, across codes, after which an address is locked out.'),
    lockoutSeconds: boundedInt(60, 86400, 900, 'Seconds an address stays locked out.'),
  })
  .describe('The emailed one-time code (SPEC §4).');

export const sharingLevels = ['newAndExistingGuests', 'existingGuests', 'organizationOnly'] as const;
export const guestUpgradeModes = ['automatic', 'offer', 'off'] as const;

export const policySchema = z
  .strictObject({
    otp: otpPolicySchema.prefault({}),
    sharingLevel: z
      .enum(sharingLevels)
      .default('newAndExistingGuests')
      .describe('Who can be verified: anyone a link names (`newAndExistingGuests`), only people already in the directory (`existingGuests`), or only members of the organisation (`organizationOnly`).'),
    reverificationDays: boundedInt(1, 730, 30, 'Days a code-verified person may reopen links without a new code.'),
    domains: z
      .strictObject({
        allow: z.array(domainName).optional().describe('Only these email domains may be sent codes and added to links.'),
        block: z.array(domainName).optional().describe('These email domains may never be sent codes or added to links.'),
      })
      .refine((domains) => !(domains.allow && domains.block), { error: 'set allow or block, not both' })
      .prefault({})
      .describe('Email domain rule; one of `allow` or `block`.'),
    guestUpgrade: z
      .enum(guestUpgradeModes)
      .default('automatic')
      .describe('After a first code, send recipients whose domain has a federated provider to it (`automatic`), offer it (`offer`), or never (`off`).'),
    maxLinkLifetimeDays: z
      .int()
      .min(1)
      .max(3650)
      .nullable()
      .default(null)
      .describe('Optional cap, in days, on how far in the future a link may expire; `null` for no cap.'),
  })
  .describe('The sharing policy (SPEC §5); changeable at runtime through `PUT /api/v1/settings`.');

/** Known multi-tenant providers; `config/federation_presets.ts` holds what each one fills in. */
export const federationPresetNames = ['entra', 'google'] as const;

const claimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/, 'must be a claim name such as email_verified');

export const federationTenantsSchema = z
  .strictObject({
    discoveryUrl: z
      .string()
      .optional()
      .describe(
        'Per-domain discovery document, with `{domain}` where the email domain goes, e.g. `https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration`. A tenant owns the domain when it answers 200 with a document whose `issuer` fits the entry\'s issuer template; 400 or 404 means none does. Needs an `issuer` with `{tenantid}`.',
      ),
    mxHosts: z
      .array(domainName)
      .min(1)
      .optional()
      .describe(
        'Instead of `discoveryUrl`, for a provider with one issuer for every organisation (Google): a domain is served when one of its MX hosts is one of these or under one. Needs `claims.domain`, which proves the organisation at sign-in.',
      ),
    dnsServers: z
      .array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+)(:\d{1,5})?$/, 'must be an IP address, optionally with :port'))
      .min(1)
      .optional()
      .describe('DNS servers asked for MX records (`192.0.2.53` or `192.0.2.53:5353`); default the system\'s.'),
    excludeDomains: z.array(domainName).default([]).describe('Email domains never looked up, such as consumer mail domains.'),
    excludeIssuers: z.array(httpUrl).default([]).describe('Tenant issuers never served, such as Microsoft\'s tenant of personal accounts.'),
    cacheSeconds: boundedInt(60, 86400, 3600, 'How long a found tenant is remembered for a domain.'),
    negativeCacheSeconds: boundedInt(60, 86400, 600, 'How long "no tenant owns this domain" is remembered.'),
    failureCacheSeconds: boundedInt(5, 3600, 60, 'How long a failed lookup (timeout, refused address, 5xx) counts as "no tenant", so a provider that is down does not slow every sign-in.'),
    timeoutMs: boundedInt(100, 10000, 3000, 'A lookup that takes longer (milliseconds) fails, and the person keeps their email code.'),
    maxCachedDomains: boundedInt(100, 1000000, 10000, 'Most domains remembered per entry; the least recently used are forgotten first.'),
  })
  .describe(
    'Makes the entry multi-tenant: it also serves email domains no entry lists, when a tenant of the provider owns them (docs/federation.md). Lookups happen after a code is verified, are cached, and follow `allowPrivateNetworkCalls`.',
  );

export const federationClaimsSchema = z
  .strictObject({
    email: claimName.default('email').describe('Claim holding the address, which must equal the address the person verified with a code.'),
    emailVerified: claimName
      .default('email_verified')
      .describe('Claim that must be `true` for a link: `email_verified` (OpenID Connect), or `xms_edov` for Microsoft Entra (the tenant has verified the domain of the address).'),
    domain: claimName.optional().describe('When set, a claim that must equal the domain of the address: `hd` for Google Workspace.'),
  })
  .describe('Which upstream claims carry the address and vouch for it.');

export const federationEntrySchema = z.strictObject({
  preset: z
    .enum(federationPresetNames)
    .optional()
    .describe('Fills in the other keys for a known multi-tenant provider (`entra`: Microsoft Entra ID, any organisation; `google`: Google Workspace); keys written next to it win.'),
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes')
    .describe('Short identifier; the redirect URI is `<ISSUER>/federation/<id>/callback`. A preset gives its own name (`entra`, `google`).'),
  name: z.string().min(1).describe('Name shown to people, e.g. "Contoso work account". A preset gives one.'),
  issuer: httpUrl.describe(
    'Issuer URL of the upstream OpenID Provider, as its discovery document (`<issuer>/.well-known/openid-configuration`) states it; a trailing slash may differ, anything else refuses the entry. A multi-tenant entry may give a template with `{tenantid}` in its path instead. A preset gives it.',
  ),
  clientId: z.string().min(1).describe('Client ID registered at the upstream provider.'),
  clientSecret: z.string().min(1).describe('Client secret registered at the upstream provider.'),
  domains: z.array(domainName).default([]).describe('Email domains this provider serves; at least one unless the entry has `tenants`.'),
  members: z.boolean().default(false).describe('`true` marks the organisation\'s own provider, for `member`s.'),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic')
    .describe(
      'How guestpass authenticates at the upstream token endpoint. `client_secret_basic` form-encodes the ID and secret in the Basic header (RFC 6749 §2.3.1); use `client_secret_post` for providers that compare them raw (docs/federation.md).',
    ),
  scope: z.string().default('openid email profile').describe('Scopes requested upstream.'),
  claims: federationClaimsSchema.prefault({}),
  tenants: federationTenantsSchema.optional(),
});

const hostPort = z.strictObject({ host: z.string().min(1).describe('Host name or address.'), port: z.int().min(1).max(65535).describe('TCP port.') });

export const redisSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .optional()
      .describe('A single Redis server (env REDIS_URL). Without any Redis setting, guestpass uses its in-memory store.'),
    sentinels: z.array(hostPort).min(1).optional().describe('Redis Sentinel nodes; needs `sentinelName`.'),
    sentinelName: z.string().optional().describe('Name of the master the Sentinels watch.'),
    cluster: z.array(hostPort).min(1).optional().describe('Redis Cluster start-up nodes.'),
    username: z.string().optional().describe('ACL user for Sentinel-managed or Cluster nodes.'),
    password: z.string().optional().describe('Password for Sentinel-managed or Cluster nodes.'),
    tls: z.boolean().default(false).describe('Use TLS to Sentinel-managed or Cluster nodes.'),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, ":", "_" and "-" only')
      .default('guestpass:')
      .describe('Prefix of every key guestpass writes, so one Redis can serve several deployments.'),
    commandTimeoutMs: z.int().min(50).max(60000).default(2000).describe('A command that takes longer fails (and the request answers 503).'),
  })
  .refine((redis) => [redis.url, redis.sentinels, redis.cluster].filter(Boolean).length <= 1, {
    error: 'set only one of url, sentinels or cluster',
  })
  .refine((redis) => !redis.sentinels || redis.sentinelName, { error: 'sentinels need sentinelName', path: ['sentinelName'] })
  .describe('Where state lives. Production: Redis with AOF persistence.');

export const clientSchema = z
  .looseObject({
    client_id: z.string().min(1).describe('The client\'s identifier; also the owner of the links it creates.'),
    client_secret: z.string().min(1).optional().describe('Its secret (client_secret_basic by default).'),
    redirect_uris: z.array(z.string()).optional().describe('Exact redirect URIs; no wildcards, no prefix matching.'),
    grant_types: z.array(z.string()).optional().describe('`authorization_code` (default), `refresh_token`, `client_credentials` (management API).'),
    scope: z.string().optional().describe('Scopes the client may ask for, including management scopes (SPEC §6).'),
  })
  .describe('oidc-provider client metadata (client_id, client_secret, redirect_uris, grant_types, scope, …).');

const secret = z.string().min(32, 'must be at least 32 characters');

/** An address as the console's role lists hold it: trimmed and lower-cased, as emails are compared. */
const emailAddress = z.string().trim().toLowerCase().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address');
const groupName = z.string().trim().min(1).max(128);

export const adminSchema = z
  .strictObject({
    emails: z.array(emailAddress).default([]).describe('Addresses that may use the admin console as `admin` (everything). They sign in like anyone else, by code or work account.'),
    auditorEmails: z.array(emailAddress).default([]).describe('Addresses that may use the admin console as `auditor` (read only).'),
    groups: z
      .strictObject({
        admin: z.array(groupName).default([]).describe('Directory groups whose members are console admins.'),
        auditor: z.array(groupName).default([]).describe('Directory groups whose members are console auditors.'),
      })
      .prefault({})
      .describe('Directory groups that give a console role to `member`s (only members: a guest\'s groups never do). Whoever can set groups (`directory:write`) can then make a member an admin.'),
    sessionMinutes: boundedInt(5, 720, 60, 'How long a console sign-in lasts before the person signs in again (the usual sign-in rules apply then).'),
  })
  .prefault({})
  .describe('The admin console at `/admin` (docs/console.md). Nobody gets in unless named here; an address in both lists is an admin.');

export const configSchema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535).default(3000).describe('Listen port (env PORT). 0 picks a free port when listening, and then needs `issuer` set: the default issuer is named after the port.'),
  host: z.string().min(1).optional().describe('Address to listen on (env HOST), e.g. `127.0.0.1` or `::`. Default: all interfaces.'),
  issuer: httpUrl
    .refine((url) => !url.endsWith('/'), { error: 'must not end with "/"' })
    .optional()
    .describe('Issuer URL (env ISSUER). Default `http://localhost:$PORT`.'),
  dataDir: z.string().min(1).default('var').describe('Directory for development state: generated keys and the dev mail outbox.'),
  trustProxy: z
    .union([
      z.boolean(),
      z.int().min(1).max(10),
      z.array(z.string().refine(isCidr, { error: 'must be an IP address or CIDR, e.g. 10.0.0.0/8' })).min(1),
    ])
    .default(false)
    .describe(
      'Proxies in front (TLS termination, load balancer). `false`: ignore X-Forwarded-*. `true` or a number N: that many proxies; the client address is the one the N-th proxy from here appended to X-Forwarded-For (`true` = 1). A list of CIDRs: the proxies\' addresses; the client is the nearest address in X-Forwarded-For that is not one of them. The leftmost X-Forwarded-For entry is never trusted; an entry with a port (`203.0.113.7:51234`, `[2001:db8::7]:443`) counts as its address. The proxy must append to X-Forwarded-For (a `Forwarded` header alone is not read). Host and scheme always come from `issuer`.',
    ),
  allowPrivateNetworkCalls: z
    .boolean()
    .default(false)
    .describe(
      'Let calls to relying parties (back-channel logout, jwks_uri), and the tenant lookups of multi-tenant federation entries, reach private, loopback and link-local addresses. Off by default, against SSRF; turn on when relying parties live on your private network.',
    ),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level (env LOG_LEVEL).'),
  production: z
    .boolean()
    .default(false)
    .describe('Refuse development fallbacks: generated keys, the demo client, placeholder secrets, the in-memory store, the file outbox and code mails without jitter (unless `allowInProduction` names them). Set by NODE_ENV=production.'),
  allowInProduction: z
    .strictObject({
      memoryStore: z.boolean().default(false).describe('Accept the in-memory store in production: everything is lost on restart and instances share nothing (a single-instance trial).'),
      fileOutbox: z.boolean().default(false).describe('Accept writing mail to `<dataDir>/outbox/` in production instead of sending it (another process delivers those files).'),
      codeMailWithoutJitter: z.boolean().default(false).describe('Accept `outbox.codeMailJitter: false` in production: code mails go out right after the answer, which lets someone who watches response times tell a link\'s recipients from other addresses.'),
    })
    .prefault({})
    .describe('Development fallbacks that production refuses unless named here.'),
  shutdownTimeoutSeconds: z
    .int()
    .min(1)
    .max(600)
    .default(10)
    .describe('On SIGTERM or SIGINT: how long to wait for requests in flight and the outbox to finish before closing what is left.'),
  demo: z
    .strictObject({
      enabled: z.boolean().optional().describe('Register the demo client and serve `/demo`. Default: on only for the embedded default (no CONFIG_FILE, not production).'),
    })
    .prefault({})
    .describe('The demo relying party of `npm start`.'),
  clients: z.array(clientSchema).default([]).describe('Relying parties, as oidc-provider client metadata.'),
  organization: z
    .strictObject({
      name: z.string().min(1).default('guestpass').describe('Organisation name shown on pages and in mails.'),
      domains: z.array(domainName).default([]).describe('Email domains of the organisation\'s own people (`member`s).'),
      supportContact: z.string().optional().describe('Whom to ask when access was removed (an email address or URL), shown on pages.'),
      logoUri: z
        .string()
        .max(65536)
        .optional()
        .describe(
          'Logo shown above every page, beside the organisation name: an https URL; in development also a `data:image/…` URL or a URL on the issuer\'s origin. The Content-Security-Policy lets images come from exactly its origin.',
        ),
      accentColor: z
        .string()
        .regex(hexColorPattern, 'must be a hex colour such as #0b57d0')
        .refine((hex) => accentColorProblem(hex) === undefined, { error: (issue) => accentColorProblem(String(issue.input)) })
        .optional()
        .describe(
          `Colour of buttons, links and focus rings, as #rrggbb. Refused when it has less than ${minimumTextContrast}:1 contrast (WCAG AA) against the page background ${lightPageBackground}, which also guarantees white button text on it. Dark mode uses a lighter shade of it. Default: guestpass's blue.`,
        ),
    })
    .prefault({})
    .describe('The organisation that runs guestpass.'),
  federation: z.array(federationEntrySchema).default([]).describe('Upstream OpenID Providers for work accounts (SPEC §1b).'),
  admin: adminSchema,
  policy: policySchema.prefault({}),
  redis: redisSchema.prefault({}),
  smtp: z
    .strictObject({
      url: z
        .string()
        .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
        .optional()
        .describe('SMTP server (env SMTP_URL), e.g. smtp://user:pass@host:587. Without it mail is written to `<dataDir>/outbox/`.'),
      maxConnections: z.int().min(1).max(100).default(5).describe('Pooled SMTP connections.'),
    })
    .prefault({})
    .describe('Outgoing mail server.'),
  mail: z
    .strictObject({
      from: z.string().min(3).default('guestpass <no-reply@localhost>').describe('Sender of every mail (env MAIL_FROM).'),
    })
    .prefault({})
    .describe('Mail content.'),
  outbox: z
    .strictObject({
      maxAttempts: z.int().min(1).max(50).default(8).describe('Delivery attempts before a mail is given up.'),
      initialBackoffSeconds: z.int().min(1).max(3600).default(5).describe('Wait before the first retry; doubles each time.'),
      maxBackoffSeconds: z.int().min(1).max(86400).default(120).describe('Longest wait between two attempts.'),
      pollIntervalMs: z.int().min(50).max(60000).default(1000).describe('How often each instance looks for mail that is due. Whether an address is sent a code is also decided, and its mail written and sent, at a random moment within this interval (at most 1 s) after the sign-in page answered, so the work it causes does not line up with the answer or the person\'s next requests.'),
      codeMailJitter: z.boolean().default(true).describe('Decide whether an address is sent a code, and write and send its mail, at a random moment within `pollIntervalMs` (at most 1 s) after the sign-in page answered, so the work it causes does not line up with the person\'s next requests and tell recipients from everyone else by timing (docs/security-model.md). `false` does it right after the answer: a sign-in is up to a second faster, and that timing side channel is open. Production refuses `false` unless `allowInProduction.codeMailWithoutJitter` names the exception.'),
    })
    .prefault({})
    .describe('The durable mail queue and its retries.'),
  keys: z
    .strictObject({
      jwks: z
        .strictObject({ keys: z.array(z.looseObject({ kty: z.string().describe('Key type (RSA, EC, OKP).') })).min(1).describe('Private JWKs; the first signs.') })
        .optional()
        .describe('Private signing keys (a JWKS). Required in production; generated into dataDir otherwise.'),
      cookies: z.array(secret).min(1).optional().describe('Cookie signing keys, newest first. Required in production.'),
      secrets: z
        .array(secret)
        .min(1)
        .optional()
        .describe('Secrets for code HMACs and outbox encryption, newest first (older ones still verify). Required in production.'),
      mode: z
        .enum(['static', 'managed'])
        .optional()
        .describe(
          '`static`: the keys are `jwks`, `cookies` and `secrets` above (or generated into dataDir in development), changed only by editing them. `managed`: guestpass keeps its keys in the store, sealed with `encryptionKey`, and rotates them while running (docs/operations.md). Default: `managed` when `encryptionKey` is set and `jwks`, `cookies` and `secrets` are not, `static` otherwise.',
        ),
      encryptionKey: secret
        .optional()
        .describe('Key-encryption key of managed keys: the keyring is sealed with it (AES-256-GCM) in the store. Required in managed mode; every instance needs the same one; losing it loses the keys.'),
      rotationIntervalDays: boundedInt(1, 3650, 90, 'Managed mode: days between automatic rotations of the signing keys, cookie keys and secrets.'),
      // At least the JWKS max-age (src/http/security_headers.ts `publicMetadataMaxAgeSeconds`, 300): a cached JWKS then always holds the signing key.
      leadTimeSeconds: boundedInt(
        300,
        30 * 24 * 60 * 60,
        3600,
        'Managed mode: seconds a new signing key is published in the JWKS (and new cookie keys and secrets are known to every instance) before it is used. At least the JWKS `Cache-Control` max-age relying parties are told (300 s).',
      ),
      pollIntervalSeconds: boundedInt(1, 600, 10, 'Managed mode: how often each instance reads the keyring version from the store (and switches keys whose time has come).'),
    })
    .prefault({})
    .describe('Keys and secrets: static (given here, or generated into dataDir in development) or managed (kept in the store and rotated while running).'),
  audit: z
    .strictObject({
      retentionDays: boundedInt(1, 3650, 365, 'Days audit events are kept.'),
    })
    .prefault({})
    .describe('The audit trail.'),
  links: z
    .strictObject({
      maxRecipients: boundedInt(1, 1000, 100, 'Most recipients one secure link may have.'),
      checkIntervalSeconds: boundedInt(
        1,
        600,
        30,
        'How often each instance looks for links that expired (and for a revocation a failure cut short), in seconds. What a link gave out (grants, tokens, relying-party sessions through back-channel logout) ends within this long of its expiry, plus the time revoking takes.',
      ),
    })
    .prefault({})
    .describe('Secure links.'),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Serve Prometheus metrics at `GET /metrics`.'),
      bearerToken: secret
        .optional()
        .describe('When set, `/metrics` needs `Authorization: Bearer <token>`. The counts tell codes sent from codes withheld, so in production either this or `port` is required.'),
      port: z.int().min(1).max(65535).optional().describe('Serve `/metrics` on a listener of its own at this port (and not on the main one), to keep it on an internal network.'),
      host: z.string().min(1).optional().describe('Address the metrics listener binds to (with `port`). Default: all interfaces.'),
    })
    .prefault({})
    .describe('Prometheus metrics.'),
  rateLimits: z
    .strictObject({
      codesPerIpPerHour: boundedInt(1, 100000, 30, 'Codes one client IP address can have sent per hour (an IPv6 client counts by its /64).'),
      invitationMailsPerAddressPerHour: boundedInt(1, 100, 3, 'Invitation mails one address can be sent per hour; more answer 429.'),
    })
    .prefault({})
    .describe('Limits that are not sharing policy.'),
});

export type Config = z.output<typeof configSchema> & { issuer: string };
export type ConfigInput = z.input<typeof configSchema>;
export type Policy = z.output<typeof policySchema>;
export type OtpPolicy = z.output<typeof otpPolicySchema>;
export type FederationEntry = z.output<typeof federationEntrySchema>;
export type FederationTenants = z.output<typeof federationTenantsSchema>;
export type FederationPreset = (typeof federationPresetNames)[number];
export type ClientMetadataInput = z.output<typeof clientSchema>;
export type SharingLevel = (typeof sharingLevels)[number];
export type GuestUpgradeMode = (typeof guestUpgradeModes)[number];
export type AdminConfig = z.output<typeof adminSchema>;
