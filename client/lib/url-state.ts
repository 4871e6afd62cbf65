// The view's state lives in the address (shop, date, tab, filters, sort, page, language): links can be
// shared and Back works. No router library: URLSearchParams, history.pushState and a popstate listener.
import { useCallback, useSyncExternalStore } from 'react';

export type UrlPatch = Record<string, string | number | null | undefined>;

const CHANGE = 'iw:urlchange';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(CHANGE, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(CHANGE, listener);
  };
}

const snapshot = () => window.location.search;

/** The address after applying a patch: null, undefined or '' removes a key. */
export function patchedUrl(search: string, patch: UrlPatch): string {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined || value === '') params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return window.location.pathname + (text ? `?${text}` : '') + window.location.hash;
}

/** Changes the address: a new history entry (Back returns) unless `replace`. */
export function navigate(patch: UrlPatch, options: { replace?: boolean } = {}): void {
  const next = patchedUrl(window.location.search, patch);
  const current = window.location.pathname + window.location.search + window.location.hash;
  if (next === current) return;
  if (options.replace) window.history.replaceState(null, '', next);
  else window.history.pushState(null, '', next);
  window.dispatchEvent(new Event(CHANGE));
}

export interface UrlState {
  params: URLSearchParams;
  get: (key: string) => string | undefined;
  set: (patch: UrlPatch, options?: { replace?: boolean }) => void;
}

export function useUrlState(): UrlState {
  const search = useSyncExternalStore(subscribe, snapshot, () => '');
  const params = new URLSearchParams(search);
  const get = useCallback((key: string) => new URLSearchParams(search).get(key) ?? undefined, [search]);
  const set = useCallback((patch: UrlPatch, options?: { replace?: boolean }) => navigate(patch, options), []);
  return { params, get, set };
}

/** An integer from the address, or the fallback when absent or not a whole number in range. */
export function intParam(value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

/** A value from the address when it is one of the allowed ones. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}
