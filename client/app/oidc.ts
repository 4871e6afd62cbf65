// Sign-in with the organisation's identity provider: OpenID Connect, the authorization code flow with PKCE
// (S256), from the browser (oauth4webapi). The server says whether a provider is configured
// (GET /api/auth/config: issuer, public client id, scopes — nothing secret). Before leaving for the
// provider the page keeps the PKCE verifier, a random state and a nonce in sessionStorage (this tab only);
// on the way back the state must match, the code is exchanged with the verifier, and the ID token's
// issuer, audience, expiry and nonce are checked. The token the API takes is then kept like a sign-in
// link's (auth.ts); the API checks its signature on every request.
import * as oauth from 'oauth4webapi';
import { redirectUri, signInWithProvider, type OidcSession } from './auth';
import { PENDING_KEY, readPending, type OidcConfig, type Pending } from './oidc-config';
export type { OidcConfig } from './oidc-config';

/** http:// only for a provider on this machine (the demo's); oauth4webapi refuses it otherwise. */
function requestOptions(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  return issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();
function discover(config: OidcConfig): Promise<oauth.AuthorizationServer> {
  let found = discovered.get(config.issuer);
  if (!found) {
    const issuer = new URL(config.issuer);
    found = oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(issuer) }).then((res) => oauth.processDiscoveryResponse(issuer, res));
    found.catch(() => discovered.delete(config.issuer));
    discovered.set(config.issuer, found);
  }
  return found;
}

/** Leaves for the provider's sign-in page. */
export async function startOidcSignIn(config: OidcConfig): Promise<void> {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new Error('the identity provider publishes no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const pending: Pending = {
    issuer: config.issuer,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier,
    returnTo: returnTarget(),
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  const params: Record<string, string> = {
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: config.scopes,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  };
  if (config.resource) params.resource = config.resource;
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  window.location.assign(url.href);
}

/** The current address without a sign-in link's token or a callback's parameters. */
function returnTarget(): string {
  const url = new URL(window.location.href);
  for (const p of ['token', 'code', 'state', 'iss', 'session_state', 'error', 'error_description']) url.searchParams.delete(p);
  return url.pathname + url.search + url.hash;
}

let completing: Promise<void> | null = null;

/**
 * Finishes the sign-in on the way back: checks the state, exchanges the code with the PKCE verifier, checks
 * the ID token (issuer, audience, expiry, nonce), keeps the API's token and restores the address. Runs once
 * per page (React's StrictMode calls effects twice). Throws with the provider's or the check's words.
 */
export function completeOidcSignIn(config: OidcConfig): Promise<void> {
  completing ??= complete(config);
  return completing;
}

async function complete(config: OidcConfig): Promise<void> {
  const pending = readPending();
  sessionStorage.removeItem(PENDING_KEY);
  const current = new URL(window.location.href);
  // The code is single use: out of the address at once, whatever happens next.
  window.history.replaceState(window.history.state, '', pending?.returnTo ?? '/');
  if (!pending || pending.issuer !== config.issuer)
    throw new Error('this sign-in was not started here (or the server’s identity provider changed): start again');
  const as = await discover(config);
  const client: oauth.Client = { client_id: config.clientId };
  const issuer = new URL(config.issuer);
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, current, pending.state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) throw new Error(error.error_description || error.error);
    throw error;
  }
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, {
    ...requestOptions(issuer),
    ...(config.resource ? { additionalParameters: { resource: config.resource } } : {}),
  });
  let result: oauth.TokenEndpointResponse;
  try {
    result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) throw new Error(error.error_description || error.error);
    throw error;
  }
  const idToken = result.id_token!;
  const token = config.apiToken === 'id_token' ? idToken : result.access_token;
  const session: OidcSession = {
    config,
    idToken,
    endSession: as.end_session_endpoint ?? null,
  };
  signInWithProvider(token, session);
}
