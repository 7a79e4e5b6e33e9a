/**
 * Headers every response carries. Pages may be framed by nobody (`frame-ancestors 'none'`),
 * load scripts and styles only from here, and leak no referrer. Our own sign-in pages add
 * `form-action`: their forms may post only here and be redirected only to the relying party
 * the interaction returns to (browsers check a form's redirects against `form-action`).
 * oidc-provider's own pages keep no `form-action`, since `response_mode=form_post` posts to
 * the relying party by design.
 */
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';

/**
 * `imageSources`: where else images may come from — the organisation's logo (src/branding.ts)
 * and, on a sign-in page that shows it, the relying party's logo (src/client_presentation.ts):
 * exactly their origins. Nothing else, not even `data:`, unless a development logo is one.
 */
export function contentSecurityPolicy(formTargets?: readonly string[], imageSources: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${[...new Set(["'self'", ...imageSources])].join(' ')}`,
    "connect-src 'self'",
    ...(formTargets ? [`form-action 'self'${formTargets.map((origin) => ` ${origin}`).join('')}`] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function securityHeaders({ https, imageSources = [] }: { https: boolean; imageSources?: readonly string[] }) {
  const headers: [string, string][] = [
    ['Content-Security-Policy', contentSecurityPolicy(undefined, imageSources)],
    ['X-Frame-Options', 'DENY'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()'],
    ...(https ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as [string, string]] : []),
  ];
  // Not async, here and below: an async middleware adds two promises to every request it passes on
  // (bench/README.md, round 8). The headers go straight to the response, as `ctx.set` puts a string
  // (which builds arrays per call), before anything was sent.
  return function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    const response = ctx.res;
    if (!response.headersSent) for (const [name, value] of headers) response.setHeader(name, value);
    return next();
  };
}

export function noStore(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  return next();
}

/**
 * How long relying parties may cache discovery and the JWKS. Keys are published in the JWKS at
 * least this long before they sign anything, so a cached JWKS always holds the signing key.
 */
export const publicMetadataMaxAgeSeconds = 300;

/** Discovery and the JWKS are the same for everyone: cacheable, briefly (oidc-provider sets no Cache-Control). */
export function cachePublicMetadata(provider: Provider) {
  const paths = new Set(['/.well-known/openid-configuration', provider.pathFor('jwks')]);
  return function setMetadataCaching(ctx: Context, next: Next): Promise<void> {
    // Only a GET of one of those paths needs a look at its answer; every other request is passed on as it is.
    if (ctx.method !== 'GET' || !paths.has(ctx.path)) return next();
    return next().then(() => {
      if (ctx.status === 200 && !ctx.response.get('cache-control')) ctx.set('Cache-Control', `public, max-age=${publicMetadataMaxAgeSeconds}`);
    });
  };
}
