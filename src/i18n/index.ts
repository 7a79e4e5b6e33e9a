/** Which language a person gets, and the catalogues. `ui_locales` wins, then Accept-Language, then English. */
import de from './de.ts';
import en, { type Messages } from './en.ts';
import es from './es.ts';
import fr from './fr.ts';
import it from './it.ts';

/** English first (the default and the reference), then by language code; the language links follow this order. */
export const locales = { en, de, es, fr, it } as const satisfies Record<string, Messages>;
export type Locale = keyof typeof locales;
export type { Messages };

export const defaultLocale: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && Object.hasOwn(locales, value);
}

/** Picks the first supported language of `ui_locales` (space separated) or of an Accept-Language header. */
export function negotiateLocale({ uiLocales, acceptLanguage }: { uiLocales?: unknown; acceptLanguage?: string | undefined }): Locale {
  if (typeof uiLocales === 'string') {
    const match = uiLocales.split(/\s+/).map(baseLanguage).find(isLocale);
    if (match) return match;
  }
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, index) => {
        const [tag = '', ...params] = part.trim().split(';');
        const q = Number(params.find((param) => param.trim().startsWith('q='))?.split('=')[1] ?? 1);
        return { language: baseLanguage(tag), q: Number.isFinite(q) ? q : 0, index };
      })
      .filter((entry) => entry.q > 0)
      .sort((a, b) => b.q - a.q || a.index - b.index);
    const match = ranked.map((entry) => entry.language).find(isLocale);
    if (match) return match;
  }
  return defaultLocale;
}

function baseLanguage(tag: string): string {
  return tag.trim().toLowerCase().split('-')[0] ?? '';
}

export function messagesFor(locale: Locale): Messages {
  return locales[locale];
}
