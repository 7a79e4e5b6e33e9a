/**
 * `organization.logoUri` and `organization.accentColor`: a colour that would make links or
 * button text fail WCAG AA is refused at start-up, naming the field; a logo may come only from
 * where the deployment allows (https in production). Pure: no server.
 */
import { expect } from 'chai';

import { contrastRatio, darkCardBackground, lightPageBackground } from '../../config/branding.ts';
import { parseConfig } from '../../config/load.ts';
import { generateKeyMaterial } from '../../src/keys.ts';
import { brandingOf, darkShade } from '../../src/branding.ts';
import { problemsOf } from '../support/config.ts';

const keys = await generateKeyMaterial();
const production = {
  production: true,
  issuer: 'https://id.contoso.com',
  keys: { jwks: keys.jwks, cookies: keys.cookieKeys, secrets: keys.secrets },
  redis: { url: 'redis://cache:6379' },
  smtp: { url: 'smtp://mail:25' },
};

describe('branding in the configuration', () => {
  it('measures contrast as WCAG 2 does', () => {
    expect(contrastRatio('#000000', '#ffffff')).to.equal(21);
    expect(contrastRatio('#fff', '#fff')).to.equal(1);
    expect(contrastRatio('#767676', '#ffffff')).to.be.closeTo(4.54, 0.01);
  });

  it('accepts an accent colour dark enough for links on the page background, in either spelling', () => {
    expect(parseConfig({ organization: { accentColor: '#7a1f5c' } }).organization.accentColor).to.equal('#7a1f5c');
    expect(parseConfig({ organization: { accentColor: '#036' } }).organization.accentColor).to.equal('#036');
  });

  it('refuses a colour that would fail WCAG AA, naming the field, the contrast and the fix', () => {
    expect(problemsOf(() => parseConfig({ organization: { accentColor: '#FFCC00' } }))).to.deep.equal([
      'organization.accentColor: #ffcc00 has a contrast of 1.39:1 against the page background #f4f5f7; links and button text need at least 4.5:1 (WCAG AA): choose a darker colour',
    ]);
    // Just under the line: #7b7b7b is 4.00:1 on #f4f5f7.
    expect(problemsOf(() => parseConfig({ organization: { accentColor: '#7b7b7b' } }))[0]).to.match(/^organization\.accentColor: #7b7b7b has a contrast of 3\.\d\d:1/);
  });

  it('refuses what is not a hex colour', () => {
    for (const accentColor of ['blue', '#12345', 'rgb(0,0,0)', '#0b57d0; background: red', '']) {
      expect(problemsOf(() => parseConfig({ organization: { accentColor } })), accentColor).to.deep.equal(['organization.accentColor: must be a hex colour such as #0b57d0']);
    }
  });

  it('gives every accepted colour a dark-mode shade that passes on the dark card, with white text on the colour and dark text on the shade', () => {
    const checked: string[] = [];
    for (let r = 0; r < 256; r += 51) {
      for (let g = 0; g < 256; g += 51) {
        for (let b = 0; b < 256; b += 51) {
          const accent = `#${[r, g, b].map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
          if (contrastRatio(accent, lightPageBackground) < 4.5) continue;
          checked.push(accent);
          expect(contrastRatio(accent, '#ffffff'), `white on ${accent}`).to.be.at.least(4.5);
          const shade = darkShade(accent);
          expect(contrastRatio(shade, darkCardBackground), `${shade} (from ${accent}) on the dark card`).to.be.at.least(4.5);
          expect(contrastRatio(shade, '#121316'), `dark text on ${shade}`).to.be.at.least(4.5);
        }
      }
    }
    expect(checked.length, 'colours accepted and checked').to.be.greaterThan(50);
  });

  it('keeps guestpass\'s own colours within the same rule', () => {
    expect(contrastRatio('#0b57d0', lightPageBackground)).to.be.at.least(4.5);
    expect(contrastRatio('#8ab4f8', darkCardBackground)).to.be.at.least(4.5);
  });

  it('takes an https logo anywhere, and in development a data: image or a URL on the issuer\'s origin', () => {
    for (const logoUri of ['https://cdn.contoso.example/brand/logo.svg?v=2', 'data:image/png;base64,iVBORw0KGgo=', 'data:image/svg+xml,%3Csvg%3E%3C/svg%3E', 'http://localhost:3000/logo.png']) {
      expect(parseConfig({ organization: { logoUri } }).organization.logoUri).to.equal(logoUri);
    }
    expect(() => parseConfig({ ...production, organization: { logoUri: 'https://cdn.contoso.example/logo.svg' } })).to.not.throw();
  });

  it('refuses a logo from elsewhere, of another kind, or with credentials; and in production anything but https', () => {
    const refused = (organization: Record<string, unknown>, config: Record<string, unknown> = {}) => problemsOf(() => parseConfig({ ...config, organization }));
    expect(refused({ logoUri: 'http://cdn.contoso.example/logo.png' })).to.deep.equal(["organization.logoUri: an http URL is allowed only on the issuer's origin (http://localhost:3000); use https"]);
    expect(refused({ logoUri: 'javascript:alert(1)' })).to.deep.equal(["organization.logoUri: must be an https URL, a data:image/… URL, or a URL on the issuer's origin"]);
    expect(refused({ logoUri: 'data:text/html,<script>alert(1)</script>' })).to.have.length(1);
    expect(refused({ logoUri: 'https://user:secret@cdn.contoso.example/logo.png' })).to.have.length(1);
    expect(refused({ logoUri: 'logo.png' })).to.have.length(1);
    expect(refused({ logoUri: 'data:image/png;base64,iVBORw0KGgo=' }, production)).to.deep.equal(['organization.logoUri: a data: URL is for development; in production give an https URL']);
    expect(refused({ logoUri: 'http://id.contoso.com/logo.png' }, { ...production, issuer: 'https://id.contoso.com' })).to.deep.equal(['organization.logoUri: must be an https URL in production']);
    expect(refused({ logoUri: `data:image/png;base64,${'A'.repeat(70_000)}` })[0]).to.match(/^organization\.logoUri: /);
  });

  it('lets pages load images from exactly the logo\'s origin, and serves the colour with its dark shade', () => {
    const remote = brandingOf(parseConfig({ organization: { name: 'Contoso', logoUri: 'https://cdn.contoso.example/brand/logo.svg?v=2', accentColor: '#7A1F5C' } }).organization, 'http://localhost:3000');
    expect(remote.imageSources).to.deep.equal(['https://cdn.contoso.example']);
    expect(remote.page).to.deep.equal({ organizationName: 'Contoso', logoUri: 'https://cdn.contoso.example/brand/logo.svg?v=2', stylesheetPath: '/assets/branding.css?v=7a1f5c' });
    expect(remote.stylesheet).to.contain('--accent: #7a1f5c; --accent-fg: #fff;').and.contain(`--accent: ${darkShade('#7a1f5c')}; --accent-fg: #121316;`);
    expect(brandingOf(parseConfig({ organization: { logoUri: 'http://localhost:3000/logo.png' } }).organization, 'http://localhost:3000').imageSources, 'the issuer\'s own origin is already allowed').to.deep.equal([]);
    expect(brandingOf(parseConfig({ organization: { logoUri: 'data:image/png;base64,iVBORw0KGgo=' } }).organization, 'http://localhost:3000').imageSources).to.deep.equal(['data:']);
    const plain = brandingOf(parseConfig({}).organization, 'http://localhost:3000');
    expect(plain).to.deep.equal({ page: { organizationName: 'guestpass', logoUri: undefined, stylesheetPath: undefined }, imageSources: [], stylesheet: undefined });
  });
});
