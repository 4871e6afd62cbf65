// Sign-in by link: `npm start` prints http://host/?token=…; the token is kept in localStorage (so a
// shared link opened in another tab of the same browser works), and dropped from the address bar at once
// so it does not end up in the history, a bookmark or a screenshot.
import { useSyncExternalStore } from 'react';

const STORAGE_KEY = 'intervention-watch.token';

/** missing: never signed in; rejected: the server refused the link; expired: its time ran out; signed_out: the user's choice. */
export type SignedOutReason = 'missing' | 'rejected' | 'expired' | 'signed_out';

interface AuthState {
  token: string | null;
  /** Why there is no token (the sign-in page says it); the server's message for a rejected token. */
  reason: SignedOutReason;
  message: string | null;
}

let state: AuthState = { token: null, reason: 'missing', message: null };
const listeners = new Set<() => void>();

function emit(next: AuthState): void {
  state = next;
  for (const listener of listeners) listener();
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage disabled: the token lives in memory only
  }
}

function writeStored(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled
  }
}

/** Takes ?token= from the address (and removes it there), else the stored token. Call once at start. */
export function captureToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl.trim()) writeStored(fromUrl.trim());
  }
  const token = readStored();
  emit({ token, reason: 'missing', message: null });
  return token;
}

export function getToken(): string | null {
  return state.token;
}

/** When the token's time runs out (ms since the epoch), from its `exp` claim; null when it does not say. */
export function tokenExpiresAt(token: string | null): number | null {
  if (!token) return null;
  const exp = (decodeClaims(token) as { exp?: unknown } | null)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}

/**
 * Forgets the token. `message` set: the server rejected it; the page then says whether the link's time ran
 * out (its expiry has passed, or the server says so) or it is not valid.
 */
export function signOut(message?: string): void {
  writeStored(null);
  if (state.token === null && state.reason !== 'missing') return;
  if (!message) return emit({ token: null, reason: 'signed_out', message: null });
  const exp = tokenExpiresAt(state.token);
  const expired = (exp !== null && exp <= Date.now()) || /expired/i.test(message);
  emit({ token: null, reason: expired ? 'expired' : 'rejected', message });
}

/** The session's time ran out while the page was open (the expiry banner's timer). */
export function expireSession(): void {
  writeStored(null);
  if (state.token === null) return;
  emit({ token: null, reason: 'expired', message: null });
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useAuth(): AuthState {
  return useSyncExternalStore(
    subscribe,
    () => state,
    () => state,
  );
}

/** The claims of a JWT, read without checking the signature: only a fallback for display when /api/me
 * is not there. The server still checks every request. */
export function decodeClaims(token: string): { role?: string; shops?: string[]; sub?: string } | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(payload.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as { role?: string; shops?: string[]; sub?: string };
  } catch {
    return null;
  }
}
