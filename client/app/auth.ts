// Sign-in by link: `npm start` prints http://host/?token=…; the token is kept in localStorage (so a
// shared link opened in another tab of the same browser works), and dropped from the address bar at once
// so it does not end up in the history, a bookmark or a screenshot. Sign-in with the organisation's
// identity provider (oidc.ts) keeps its token the same way, with what signing out there needs beside it.
import { useSyncExternalStore } from 'react';
import type { OidcConfig } from './oidc-config';

const STORAGE_KEY = 'intervention-watch.token';
const OIDC_SESSION_KEY = 'intervention-watch.oidc-session';
const SIGNED_OUT_KEY = 'intervention-watch.signed-out';

/** A session signed in with the identity provider: its settings, the ID token (the hint for signing out there) and its sign-out endpoint. */
export interface OidcSession {
  config: OidcConfig;
  idToken: string;
  endSession: string | null;
}

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

function writeStored(token: string | null, oidc: OidcSession | null = null): void {
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
    if (oidc) window.localStorage.setItem(OIDC_SESSION_KEY, JSON.stringify(oidc));
    else window.localStorage.removeItem(OIDC_SESSION_KEY);
  } catch {
    // storage disabled
  }
}

let memorySession: OidcSession | null = null;

/** The identity provider's session behind the current token (null: a sign-in link). */
export function oidcSession(): OidcSession | null {
  if (!state.token) return null;
  try {
    const raw = window.localStorage.getItem(OIDC_SESSION_KEY);
    return raw ? (JSON.parse(raw) as OidcSession) : memorySession;
  } catch {
    return memorySession;
  }
}

/** The redirect URI of the dashboard: its origin (register exactly this at the identity provider). */
export function redirectUri(): string {
  return `${window.location.origin}/`;
}

/** Keeps the token the identity provider gave (oidc.ts, after its checks) and signs in with it. */
export function signInWithProvider(token: string, session: OidcSession): void {
  memorySession = session;
  writeStored(token, session);
  emit({ token, reason: 'missing', message: null });
}

/** The provider's sign-out address for a session (RP-initiated logout), back to the dashboard after. */
function endSessionUrl(session: OidcSession): string | null {
  if (!session.endSession) return null;
  try {
    const url = new URL(session.endSession);
    url.searchParams.set('client_id', session.config.clientId);
    url.searchParams.set('id_token_hint', session.idToken);
    url.searchParams.set('post_logout_redirect_uri', redirectUri());
    return url.href;
  } catch {
    return null;
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
  // Back from the identity provider with a code: the sign-in page finishes it (oidc.ts), whatever was kept before.
  let returning = false;
  try {
    returning =
      (url.searchParams.has('code') || url.searchParams.has('error')) &&
      url.searchParams.has('state') &&
      window.sessionStorage.getItem('intervention-watch.oidc-pending') !== null;
  } catch {
    // storage disabled
  }
  const token = returning ? null : readStored();
  // Back from signing out at the identity provider: say so (not "sign in with your link").
  let signedOut = false;
  try {
    signedOut = window.sessionStorage.getItem(SIGNED_OUT_KEY) === '1';
    window.sessionStorage.removeItem(SIGNED_OUT_KEY);
  } catch {
    // storage disabled
  }
  emit({ token, reason: token === null && signedOut ? 'signed_out' : 'missing', message: null });
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
  // The user's own choice, signed in with the identity provider: sign out there too (else its session
  // would sign the next person at this browser straight back in).
  const session = message ? null : oidcSession();
  const leaveTo = session ? endSessionUrl(session) : null;
  writeStored(null);
  memorySession = null;
  if (state.token === null && state.reason !== 'missing') return;
  if (!message) {
    emit({ token: null, reason: 'signed_out', message: null });
    if (leaveTo) {
      try {
        window.sessionStorage.setItem(SIGNED_OUT_KEY, '1');
      } catch {
        // storage disabled
      }
      window.location.assign(leaveTo);
    }
    return;
  }
  const exp = tokenExpiresAt(state.token);
  const expired = (exp !== null && exp <= Date.now()) || /expired/i.test(message);
  emit({ token: null, reason: expired ? 'expired' : 'rejected', message });
}

/** The session's time ran out while the page was open (the expiry banner's timer). */
export function expireSession(): void {
  writeStored(null);
  memorySession = null;
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
