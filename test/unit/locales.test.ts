/**
 * The catalogues (src/i18n/): every locale has exactly the keys of the English one — nothing
 * missing, nothing extra — and at runtime, beyond what the compiler checks of a `Messages`
 * object: each function takes as many arguments and puts every one of them into its sentence,
 * each list has as many lines, and no text is empty. And the negotiation that picks one.
 */
import { expect } from 'chai';

import de from '../../src/i18n/de.ts';
import en from '../../src/i18n/en.ts';
import { defaultLocale, locales, negotiateLocale, type Locale } from '../../src/i18n/index.ts';

/** Every difference between a catalogue and the reference, as `path: what is wrong`. */
function catalogueDifferences(reference: unknown, candidate: unknown, path = ''): string[] {
  const at = path || '(root)';
  if (typeof reference === 'function') {
    if (typeof candidate !== 'function') return [`${at}: expected a function, found ${kindOf(candidate)}`];
    const fn = reference as (...args: unknown[]) => unknown;
    const other = candidate as (...args: unknown[]) => unknown;
    if (fn.length !== other.length) return [`${at}: takes ${other.length} arguments, English takes ${fn.length}`];
    // Distinct stand-ins for the arguments: each must come out again wherever the English has it.
    const args = Array.from({ length: fn.length }, (_, index) => `⟨argument ${index + 1}⟩`);
    const expected = fn(...args);
    const got = other(...args);
    const problems = catalogueDifferences(expected, got, `${path}()`);
    const said = JSON.stringify(got);
    for (const argument of args) {
      if (JSON.stringify(expected).includes(argument) && !said.includes(argument)) problems.push(`${at}: leaves out ${argument}`);
    }
    return problems;
  }
  if (Array.isArray(reference)) {
    if (!Array.isArray(candidate)) return [`${at}: expected a list, found ${kindOf(candidate)}`];
    if (candidate.length !== reference.length) return [`${at}: has ${candidate.length} lines, English has ${reference.length}`];
    return reference.flatMap((item, index) => catalogueDifferences(item, candidate[index], `${path}[${index}]`));
  }
  if (typeof reference === 'object' && reference !== null) {
    if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return [`${at}: expected an object, found ${kindOf(candidate)}`];
    const keys = Object.keys(reference);
    const theirs = Object.keys(candidate);
    return [
      ...keys.filter((key) => !theirs.includes(key)).map((key) => `${path ? `${path}.` : ''}${key}: missing`),
      ...theirs.filter((key) => !keys.includes(key)).map((key) => `${path ? `${path}.` : ''}${key}: not in English (a key left over, or misspelt)`),
      ...keys.filter((key) => theirs.includes(key)).flatMap((key) => catalogueDifferences((reference as Record<string, unknown>)[key], (candidate as Record<string, unknown>)[key], path ? `${path}.${key}` : key)),
    ];
  }
  if (typeof candidate !== 'string') return [`${at}: expected text, found ${kindOf(candidate)}`];
  if (candidate.trim() === '') return [`${at}: empty`];
  if (/undefined|\$\{/.test(candidate)) return [`${at}: "${candidate}" has a placeholder that was not filled in`];
  return [];
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value;
}

describe('the language catalogues', () => {
  it('offers English, German, Spanish, French and Italian', () => {
    expect(Object.keys(locales)).to.deep.equal(['en', 'de', 'es', 'fr', 'it']);
    expect(Object.values(locales).map((catalogue) => catalogue.languageName)).to.deep.equal(['English', 'Deutsch', 'Español', 'Français', 'Italiano']);
  });

  for (const [code, catalogue] of Object.entries(locales)) {
    it(`has every key of the English catalogue and no other, with the same arguments and lines, in ${code}`, () => {
      expect(catalogueDifferences(en, catalogue)).to.deep.equal([]);
    });
  }

  it('finds a missing key, an extra key, a missing or unused argument, a short list and an empty text', () => {
    const broken = structuredCloneCatalogue(de);
    delete (broken.email.hint as Partial<typeof de.email.hint>).invitation;
    (broken.code as Record<string, unknown>).helpExtra = 'Noch ein Satz.';
    broken.code.sentTo = (masked) => `Ein Code ist an ${masked} unterwegs.`;
    broken.invitation.next = (organization, masked) => [`Bei ${organization} geht es als ${masked} weiter.`];
    broken.removed.body = (_masked, organization) => `${organization} hat den Zugriff entfernt.`;
    broken.logout.confirm = ' ';
    expect(catalogueDifferences(en, broken)).to.deep.equal([
      'email.hint.invitation: missing',
      'code.helpExtra: not in English (a key left over, or misspelt)',
      'code.sentTo: takes 1 arguments, English takes 2',
      'removed.body: leaves out ⟨argument 1⟩',
      'invitation.next(): has 1 lines, English has 3',
      'logout.confirm: empty',
    ]);
  });
});

/** A copy of a catalogue whose parts can be changed; its functions are shared. */
function structuredCloneCatalogue<T>(catalogue: T): T {
  if (typeof catalogue !== 'object' || catalogue === null || Array.isArray(catalogue)) return catalogue;
  return Object.fromEntries(Object.entries(catalogue).map(([key, value]) => [key, structuredCloneCatalogue(value)])) as T;
}

describe('choosing a language', () => {
  it('prefers ui_locales, then Accept-Language by weight, then English', () => {
    expect(negotiateLocale({ uiLocales: 'it-IT en', acceptLanguage: 'en' })).to.equal('it');
    expect(negotiateLocale({ uiLocales: 'pt', acceptLanguage: 'pt, it;q=0.5, en;q=0.4' })).to.equal('it');
    expect(negotiateLocale({ acceptLanguage: 'en;q=0.2, it;q=0.9' })).to.equal('it');
    expect(negotiateLocale({ acceptLanguage: 'pt-BR' })).to.equal('en');
    expect(negotiateLocale({})).to.equal(defaultLocale);
  });

  it('reaches every catalogue by its code, alone or with a region, through either', () => {
    for (const code of Object.keys(locales) as Locale[]) {
      expect(negotiateLocale({ uiLocales: code }), `ui_locales=${code}`).to.equal(code);
      expect(negotiateLocale({ acceptLanguage: `${code}-XX` }), `Accept-Language: ${code}-XX`).to.equal(code);
    }
  });

  it('takes German, French and Spanish as browsers send them', () => {
    expect(negotiateLocale({ acceptLanguage: 'de-CH,de;q=0.9,en;q=0.8' })).to.equal('de');
    expect(negotiateLocale({ acceptLanguage: 'fr-CA,fr;q=0.9,en-US;q=0.8,en;q=0.7' })).to.equal('fr');
    expect(negotiateLocale({ acceptLanguage: 'es-419,es;q=0.9' })).to.equal('es');
    expect(negotiateLocale({ acceptLanguage: 'pt-BR,pt;q=0.9,es;q=0.8,en;q=0.5' }), 'the first supported one by weight').to.equal('es');
    expect(negotiateLocale({ uiLocales: 'ja FR-ca de' }), 'ui_locales in order, any case').to.equal('fr');
  });

  it('ignores what a browser refuses or garbles: q=0, a bad weight, a wildcard', () => {
    expect(negotiateLocale({ acceptLanguage: 'de;q=0, es;q=0.1' })).to.equal('es');
    expect(negotiateLocale({ acceptLanguage: 'de;q=abc, fr;q=0.3' })).to.equal('fr');
    expect(negotiateLocale({ acceptLanguage: '*' })).to.equal('en');
    expect(negotiateLocale({ uiLocales: ['de'] as unknown, acceptLanguage: 'es' }), 'ui_locales that is not a string').to.equal('es');
    expect(negotiateLocale({ acceptLanguage: `${'x-'.repeat(5000)}fr` })).to.equal('en');
  });
});
