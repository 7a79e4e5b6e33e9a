/**
 * How the organisation's pages look: its name (and logo, when configured) above every page, and
 * its accent colour on buttons, links and focus rings. The configuration has already refused a
 * logo from where it may not come and a colour too light for the light theme (config/branding.ts);
 * here the colour gets the lighter shade dark mode needs, and the stylesheet that carries both
 * (served as `/assets/branding.css`: the pages' CSP allows no inline style).
 */
import { contrastRatio, darkCardBackground, minimumTextContrast, normalizeHexColor } from '../config/branding.ts';
import type { Config } from '../config/schema.ts';

/** What every page's frame shows of the organisation. */
export interface PageBranding {
  organizationName: string;
  logoUri?: string | undefined;
  /** The accent stylesheet's path, versioned by the colour so a change is never served stale; absent without an accent. */
  stylesheetPath?: string | undefined;
}

export interface Branding {
  page: PageBranding;
  /** The sources pages may load images from besides their own origin: the logo's, exactly. */
  imageSources: string[];
  /** The accent stylesheet, when an accent colour is configured. */
  stylesheet?: string | undefined;
}

const lightButtonText = '#fff';
/** The dark page background (`--bg` in dark mode): text on the dark accent shade. */
const darkButtonText = '#121316';

export function brandingOf(organization: Config['organization'], issuer: string): Branding {
  const accent = organization.accentColor === undefined ? undefined : normalizeHexColor(organization.accentColor);
  return {
    page: {
      organizationName: organization.name,
      logoUri: organization.logoUri,
      stylesheetPath: accent && `/assets/branding.css?v=${accent.slice(1)}`,
    },
    imageSources: logoSource(organization.logoUri, issuer),
    stylesheet: accent && accentStylesheet(accent),
  };
}

function logoSource(logoUri: string | undefined, issuer: string): string[] {
  if (logoUri === undefined) return [];
  if (logoUri.toLowerCase().startsWith('data:')) return ['data:'];
  const origin = new URL(logoUri).origin;
  return origin === new URL(issuer).origin ? [] : [origin];
}

function accentStylesheet(accent: string): string {
  return `/* organization.accentColor, and the lighter shade dark mode uses (src/branding.ts). */
:root { --accent: ${accent}; --accent-fg: ${lightButtonText}; }
@media (prefers-color-scheme: dark) { :root { --accent: ${darkShade(accent)}; --accent-fg: ${darkButtonText}; } }
`;
}

/**
 * The accent mixed with white, in steps, until it reaches AA contrast on the dark card; the dark
 * page background is darker still, so links there and dark text on the shade pass too.
 */
export function darkShade(accent: string): string {
  const [r, g, b] = [1, 3, 5].map((start) => Number.parseInt(accent.slice(start, start + 2), 16)) as [number, number, number];
  for (let step = 0; step <= 20; step++) {
    const mix = (channel: number) => Math.round(channel + ((255 - channel) * step) / 20);
    const shade = `#${[mix(r), mix(g), mix(b)].map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
    if (contrastRatio(shade, darkCardBackground) >= minimumTextContrast) return shade;
  }
  return '#ffffff';
}
