import { expect } from 'chai';

import { domainOf, maskEmail, normalizeEmail, parseEmail } from '../../src/emails.ts';
import { escapeHtml, html } from '../../src/html.ts';
import { seal, unseal } from '../../src/mail/sealing.ts';

describe('emails', () => {
  it('takes the domain of an address given with spaces around it', () => {
    expect(domainOf('  Ada@Contoso.COM ')).to.equal('contoso.com');
    expect(domainOf('ada@contoso.com')).to.equal('contoso.com');
  });

  it('compares addresses trimmed and lower-cased, and keeps the spelling for display', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).to.equal('ada@example.com');
    expect(parseEmail(' Ada@Example.com ')).to.deep.equal({ display: 'Ada@Example.com', normalized: 'ada@example.com' });
    expect(parseEmail('not an address')).to.equal(undefined);
    expect(parseEmail(42)).to.equal(undefined);
  });

  it('masks an address to its first letter and domain', () => {
    expect(maskEmail('john@contoso.com')).to.equal('j***@contoso.com');
    expect(maskEmail('x@y.org')).to.equal('x***@y.org');
  });
});

describe('html', () => {
  it('escapes every interpolated value', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const name = '<script>alert(1)</script>';
    expect(html`<p>${name}</p>`.value).to.equal('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(escapeHtml('plain words')).to.equal('plain words');
    expect(escapeHtml(42)).to.equal('42');
    expect(escapeHtml('last>')).to.equal('last&gt;');
    expect([escapeHtml('a&b'), escapeHtml('a&b')]).to.deep.equal(['a&amp;b', 'a&amp;b']);
  });
});

describe('sealed mail', () => {
  it('opens with the secret that sealed it, also after rotation, and not otherwise', () => {
    const sealed = seal(['secret-a'], { code: '123456' });
    expect(sealed).to.not.contain('123456');
    expect(unseal(['secret-b', 'secret-a'], sealed)).to.deep.equal({ code: '123456' });
    expect(unseal(['secret-b'], sealed)).to.equal(undefined);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(unseal(['secret-a'], tampered)).to.equal(undefined);
  });
});
