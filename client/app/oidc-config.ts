// What the dashboard needs to know about the identity provider before anyone presses "Sign in with …":
// the server's settings (GET /api/auth/config) and whether this page is the provider sending the browser
// back. Small, in the main bundle; the flow itself (oidc.ts, with oauth4webapi) loads when it is needed.

export interface OidcConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  /** The resource (RFC 8707) the access token is for; null when the API takes the ID token. */
  resource: string | null;
  apiToken: 'access_token' | 'id_token';
  displayName: string;
}

export const PENDING_KEY = 'intervention-watch.oidc-pending';

export interface Pending {
  issuer: string;
  state: string;
  nonce: string;
  verifier: string;
  /** Where the user was (path, query, hash): restored after sign-in. */
  returnTo: string;
}

let configPromise: Promise<OidcConfig | null> | null = null;

/** The server's OIDC settings (null: sign-in links only). Asked once per page. */
export function loadOidcConfig(): Promise<OidcConfig | null> {
  configPromise ??= fetch('/api/auth/config', { headers: { Accept: 'application/json' } })
    .then(async (res) => (res.ok ? ((await res.json()) as { oidc: OidcConfig | null }).oidc : null))
    .catch(() => {
      configPromise = null;
      return null;
    });
  return configPromise;
}

/** True when this page is the provider sending the browser back (a code or an error, and a sign-in this tab started). */
export function isOidcCallback(): boolean {
  const params = new URLSearchParams(window.location.search);
  return (params.has('code') || params.has('error')) && params.has('state') && readPending() !== null;
}

export function readPending(): Pending | null {
  try {
    const raw = sessionStorage.getItem(PENDING_KEY);
    return raw ? (JSON.parse(raw) as Pending) : null;
  } catch {
    return null;
  }
}
