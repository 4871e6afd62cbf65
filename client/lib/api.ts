// The API client: every request carries the bearer token; every failure becomes an ApiError with the
// server's code and message, so the screens can say what went wrong (and a 401 signs the user out).
import { getToken, signOut } from '../app/auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type QueryParams = Record<string, string | number | boolean | null | undefined>;

/** The query string of the defined, non-empty params (in a stable order, so URLs are comparable). */
export function toSearch(params: QueryParams | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const key of Object.keys(params).sort()) {
    const value = params[key];
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  params?: QueryParams;
  body?: unknown;
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api${path}${toSearch(options.params)}`, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network', (error as Error).message || 'network error');
  }
  if (!response.ok) {
    let code = 'http_' + response.status;
    let message = response.statusText || `HTTP ${response.status}`;
    let requestId: string | undefined;
    try {
      const body = (await response.json()) as { error?: string; message?: string; requestId?: string };
      code = body.error ?? code;
      message = body.message ?? message;
      requestId = body.requestId;
    } catch {
      // not JSON: keep the status text
    }
    if (response.status === 401) signOut(message);
    throw new ApiError(response.status, code, message, requestId);
  }
  return response;
}

export async function apiGet<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<T> {
  const response = await send(path, { params, signal }, 'application/json');
  return (await response.json()) as T;
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const response = await send(path, { method: 'POST', body }, 'application/json');
  return (await response.json()) as T;
}

export async function apiDelete<T>(path: string): Promise<T> {
  const response = await send(path, { method: 'DELETE' }, 'application/json');
  return (await response.json()) as T;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function apiDownload(path: string, params: QueryParams, fallbackName: string): Promise<string> {
  const response = await send(path, { params }, 'text/csv, */*');
  const blob = await response.blob();
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = decodeURIComponent(name);
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return link.download;
}

/**
 * Fetches an HTML page with the token (a printable case file) and shows it in a new tab. The tab is opened
 * at once, inside the click, so that a pop-up blocker lets it through; it gets the page when it arrives.
 */
export async function apiOpenPage(path: string, params: QueryParams): Promise<void> {
  const tab = window.open('', '_blank');
  try {
    const response = await send(path, { params }, 'text/html');
    const url = URL.createObjectURL(new Blob([await response.text()], { type: 'text/html;charset=utf-8' }));
    if (tab) tab.location.href = url;
    else window.location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    tab?.close();
    throw error;
  }
}
