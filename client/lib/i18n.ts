// i18next, Chinese and English. Each language is its own small chunk: the page loads only the one it shows
// (the other arrives when the toggle asks for it). The default comes from the address (?lang=), then the
// last choice, then the browser's language.
import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { LANGS, localeOf, type Lang } from './format';
import type { Messages } from './locales/en';

const STORAGE_KEY = 'intervention-watch.lang';

const loaders: Record<Lang, () => Promise<Messages | Record<string, unknown>>> = {
  zh: () => import('./locales/zh').then((m) => m.zh),
  en: () => import('./locales/en').then((m) => m.en),
};

export function isLang(value: string | null | undefined): value is Lang {
  return LANGS.includes(value as Lang);
}

export function detectLang(): Lang {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (isLang(fromUrl)) return fromUrl;
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (isLang(stored)) return stored;
  } catch {
    // storage disabled
  }
  const browser = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase();
  return browser.startsWith('zh') ? 'zh' : 'en';
}

/** Makes a language's labels available (a no-op once loaded). */
export async function loadLang(lang: Lang): Promise<void> {
  if (i18next.isInitialized && i18next.hasResourceBundle(lang, 'translation')) return;
  const messages = await loaders[lang]();
  if (!i18next.isInitialized) {
    await i18next.use(initReactI18next).init({
      resources: { [lang]: { translation: messages } },
      lng: lang,
      fallbackLng: false, // both locales have every key (a test checks)
      supportedLngs: [...LANGS],
      interpolation: { escapeValue: false }, // React escapes
      returnNull: false,
    });
  } else if (!i18next.hasResourceBundle(lang, 'translation')) {
    i18next.addResourceBundle(lang, 'translation', messages);
  }
}

/** Shows a language: loads it, switches, and sets <html lang>. */
export async function initI18n(lang: Lang = detectLang()): Promise<void> {
  await loadLang(lang);
  if (i18next.language !== lang) await i18next.changeLanguage(lang);
  document.documentElement.lang = localeOf(lang);
}

/** The toggle's choice: remembered for the next visit. */
export async function setLang(lang: Lang): Promise<void> {
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage disabled
  }
  await initI18n(lang);
}

/** The current language, for the formatting functions. */
export function useLang(): Lang {
  const { i18n } = useTranslation();
  return isLang(i18n.language) ? i18n.language : 'en';
}

/** A reason code from the data (`not_received`…) in words; free text and unknown codes show as they are. */
export function useReasonLabel(): (reason: string | null | undefined) => string {
  const { t, i18n } = useTranslation();
  return (reason) => {
    if (!reason) return '—';
    const key = `reasonCode.${reason}`;
    return /^[\w-]+$/.test(reason) && i18n.exists(key) ? t(key) : reason;
  };
}
