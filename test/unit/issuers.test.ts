import { expect } from 'chai';

import { discoveryDocumentUrl, fitsIssuerTemplate, isIssuerTemplate, issuerSpellings, sameIssuer, templateOrigin } from '../../config/issuers.ts';

describe('issuers', () => {
  it('takes two spellings that differ only by a trailing slash for one provider', () => {
    expect(sameIssuer('https://idp.example', 'https://idp.example/')).to.equal(true);
    expect(sameIssuer('https://idp.example/realms/x/', 'https://idp.example/realms/x')).to.equal(true);
    expect(sameIssuer('HTTPS://IdP.Example:443/realms/x', 'https://idp.example/realms/x/'), 'URL equivalence: case of scheme and host, default port').to.equal(true);
  });

  it('takes any other difference for another provider', () => {
    expect(sameIssuer('https://idp.example', 'https://idp.example.evil')).to.equal(false);
    expect(sameIssuer('https://idp.example', 'http://idp.example')).to.equal(false);
    expect(sameIssuer('https://idp.example', 'https://idp.example:8443')).to.equal(false);
    expect(sameIssuer('https://idp.example/realms/x', 'https://idp.example/realms/X')).to.equal(false);
    expect(sameIssuer('https://idp.example/realms/x', 'https://idp.example/realms/x/y')).to.equal(false);
    expect(sameIssuer('https://idp.example/realms/x', 'https://idp.example/realms')).to.equal(false);
    expect(sameIssuer('https://idp.example/x', 'https://idp.example/x//')).to.equal(false);
    expect(sameIssuer('https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.com/{tenantid}/v2.0')).to.equal(false);
    expect(sameIssuer('not a url', 'not a url/')).to.equal(false);
  });

  it('lists the stored spellings of an identity’s issuer, as given first', () => {
    expect(issuerSpellings('https://idp.example')).to.deep.equal(['https://idp.example', 'https://idp.example/']);
    expect(issuerSpellings('https://idp.example/realms/x/')).to.deep.equal(['https://idp.example/realms/x/', 'https://idp.example/realms/x']);
  });

  it('finds the discovery document of either spelling at one address (OIDC Discovery §4)', () => {
    const expected = 'https://idp.example/realms/x/.well-known/openid-configuration';
    expect(discoveryDocumentUrl('https://idp.example/realms/x').href).to.equal(expected);
    expect(discoveryDocumentUrl('https://idp.example/realms/x/').href).to.equal(expected);
    expect(discoveryDocumentUrl('https://idp.example/').href).to.equal('https://idp.example/.well-known/openid-configuration');
  });
});

describe('issuer templates of multi-tenant providers', () => {
  const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';

  it('fits a tenant\'s issuer: the template with one tenant ID in place of the placeholder', () => {
    expect(isIssuerTemplate(template)).to.equal(true);
    expect(isIssuerTemplate('https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0')).to.equal(false);
    expect(fitsIssuerTemplate(template, 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0')).to.equal(true);
    expect(fitsIssuerTemplate(template, 'https://login.microsoftonline.com/tenant_a-1/v2.0')).to.equal(true);
  });

  it('fits nothing else: another host, another path, two segments, dots, a trailing slash, an empty ID', () => {
    for (const issuer of [
      'https://login.example.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
      'https://login.microsoftonline.com/72f988bf/v2.0/',
      'https://login.microsoftonline.com/a/b/v2.0',
      'https://login.microsoftonline.com/../v2.0',
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
      'https://login.microsoftonline.com//v2.0',
      'https://login.microsoftonline.com/72f988bf/v2.0?x=1',
      'http://login.microsoftonline.com/72f988bf/v2.0',
    ]) {
      expect(fitsIssuerTemplate(template, issuer), issuer).to.equal(false);
    }
  });

  it('gives the origin every tenant shares', () => {
    expect(templateOrigin(template)).to.equal('https://login.microsoftonline.com');
  });
});
