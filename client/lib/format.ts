// Numbers, percents, ratios and dates for the reader's language (Intl). Rates arrive as fractions; the
// API's days are calendar days (YYYY-MM-DD) in the platform's time zone, so they are formatted as UTC
// dates and never shifted by the browser's own time zone.
export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];

/** What a missing value (null: undefined in the API) shows as. */
export const NONE = '—';

export function localeOf(lang: Lang): string {
  return lang === 'zh' ? 'zh-CN' : 'en-US';
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function numberFormat(lang: Lang, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${lang}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.NumberFormat | undefined;
  if (!format) cache.set(key, (format = new Intl.NumberFormat(localeOf(lang), options)));
  return format;
}
function dateFormat(lang: Lang, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${lang}|${JSON.stringify(options)}`;
  let format = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) cache.set(key, (format = new Intl.DateTimeFormat(localeOf(lang), options)));
  return format;
}

export function formatNumber(value: number | null | undefined, lang: Lang, maximumFractionDigits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  return numberFormat(lang, { maximumFractionDigits }).format(value);
}

/** A fraction as a percent: 0.101851… → "10.19%". */
export function formatPercent(fraction: number | null | undefined, lang: Lang, digits = 2): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return NONE;
  return numberFormat(lang, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(fraction);
}

/**
 * A ratio to the category mean: 6.619… → "6.6×". Truncated, not rounded: 4.996 must not read "5.0×"
 * next to a 5× threshold it has not reached. With `threshold`: within 0.1 of it the ratio gets a second
 * decimal (4.996 → "4.99×", not "4.9×"), so it agrees with the rate and mean shown beside it, which would
 * otherwise divide to 5.0 while the ratio said 4.9 (issue 11).
 */
export function formatRatio(ratio: number | null | undefined, lang: Lang, threshold?: number): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return NONE;
  const digits = threshold !== undefined && Math.abs(ratio - threshold) < 0.1 ? 2 : 1;
  const scale = 10 ** digits;
  // The epsilon keeps 5.2 (stored as 5.19999…) at 5.2.
  const truncated = Math.trunc(ratio * scale + 1e-9) / scale;
  return `${numberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(truncated)}×`;
}

function utcDate(isoDay: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDay)) return null;
  const date = new Date(`${isoDay}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A calendar day: "Nov 25, 2026" / "2026年11月25日". */
export function formatDate(isoDay: string | null | undefined, lang: Lang): string {
  if (!isoDay) return NONE;
  const date = utcDate(isoDay);
  if (!date) return isoDay;
  return dateFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}

/** A day on a chart axis: "Nov 25" / "11月25日". */
export function formatShortDate(isoDay: string, lang: Lang): string {
  const date = utcDate(isoDay);
  if (!date) return isoDay;
  return dateFormat(lang, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}

/** An instant (audit entries, appeals), shown in the reader's own time zone. */
export function formatDateTime(timestamp: string | null | undefined, lang: Lang): string {
  if (!timestamp) return NONE;
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return timestamp;
  return dateFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(date);
}

/** YYYY-MM-DD plus n days. */
export function addDays(isoDay: string, days: number): string {
  const date = utcDate(isoDay);
  if (!date) return isoDay;
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  const from = utcDate(a);
  const to = utcDate(b);
  if (!from || !to) return NaN;
  return Math.round((to.getTime() - from.getTime()) / 86_400_000);
}

export function isIsoDay(text: string | undefined): text is string {
  return text !== undefined && utcDate(text)?.toISOString().slice(0, 10) === text;
}
