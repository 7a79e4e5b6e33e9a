/**
 * The organisation's logo and accent colour (`organization.logoUri`, `organization.accentColor`),
 * beyond what the schema checks field by field.
 *
 * - The accent colours links, secondary buttons and focus rings on the light page background, and
 *   is the background of primary buttons under white text. Contrast is symmetric, so one test —
 *   4.5:1 (WCAG 2 AA for body text) against the page background, the darkest light surface —
 *   covers both uses; a colour that fails it is refused rather than silently changed, so what an
 *   operator configures is what people see. Dark mode uses a lighter shade (src/branding.ts).
 * - The logo is fetched by every visitor's browser, from the origin the Content-Security-Policy
 *   then allows: in production only https, so a page served over https never loads a mixed or
 *   inline image an operator did not mean; in development also a `data:image/…` URL or a URL on
 *   the issuer's own origin, for trying a logo without hosting it.
 */
import type { Config } from './schema.ts';

/** WCAG 2 AA for text of normal size. */
export const minimumTextContrast = 4.5;

/** The light page background (`--bg` in guestpass.css), darker than the card: the binding surface. */
export const lightPageBackground = '#f4f5f7';
/** The dark card (`--card` in dark mode), lighter than the dark page background: the binding surface there. */
export const darkCardBackground = '#1d1f24';

export const hexColorPattern = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** `#abc` or `#aabbcc` as lower-case `#aabbcc`. */
export function normalizeHexColor(hex: string): string {
  const digits = hex.slice(1).toLowerCase();
  return `#${digits.length === 3 ? [...digits].map((digit) => digit + digit).join('') : digits}`;
}

function channels(hex: string): [number, number, number] {
  const value = Number.parseInt(normalizeHexColor(hex).slice(1), 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/** WCAG 2 relative luminance. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((channel) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [lighter, darker] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

/** Why an accent colour cannot be used, or undefined when it can. */
export function accentColorProblem(hex: string): string | undefined {
  const ratio = contrastRatio(hex, lightPageBackground);
  if (ratio >= minimumTextContrast) return undefined;
  return `${normalizeHexColor(hex)} has a contrast of ${ratio.toFixed(2)}:1 against the page background ${lightPageBackground}; links and button text need at least ${minimumTextContrast}:1 (WCAG AA): choose a darker colour`;
}

const dataImagePattern = /^data:image\/(?:png|jpeg|gif|webp|svg\+xml)(?:;[a-z0-9=.+-]+)*,/i;

/** The rules for `organization.logoUri` that depend on `production` and the issuer. */
export function brandingProblems(config: Pick<Config, 'organization' | 'production' | 'issuer'>): string[] {
  const { logoUri } = config.organization;
  if (logoUri === undefined) return [];
  const field = 'organization.logoUri';
  if (dataImagePattern.test(logoUri)) {
    return config.production ? [`${field}: a data: URL is for development; in production give an https URL`] : [];
  }
  const url = URL.parse(logoUri);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    return [`${field}: must be an https URL${config.production ? '' : ', a data:image/… URL, or a URL on the issuer\'s origin'}`];
  }
  if (url.protocol === 'https:') return [];
  if (config.production) return [`${field}: must be an https URL in production`];
  return url.origin === new URL(config.issuer).origin ? [] : [`${field}: an http URL is allowed only on the issuer's origin (${new URL(config.issuer).origin}); use https`];
}
