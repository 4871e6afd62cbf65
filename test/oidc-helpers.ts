// A locally run OpenID Connect provider for the tests (the demo's: oidc-provider with demo accounts), on a
// port of its own, whose keys can be rotated while it runs; and the authorization code flow with PKCE
// driven over plain HTTP (the API tests) — the browser tests drive the same provider in Chromium.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type OidcProvider from 'oidc-provider';
import { createDemoProvider, newSigningKey, type DemoAccount } from '../server/auth/oidc-provider.js';
import type { OidcSettings } from '../server/auth/oidc.js';

export const CLIENT_ID = 'intervention-watch-dashboard';
export const AUDIENCE = 'urn:intervention-watch:api';

export interface LocalProvider {
  issuer: string;
  /** The provider serving now (replaced by rotate()). */
  provider: OidcProvider;
  keys: JWK[];
  settings: OidcSettings;
  /** Starts serving with the given redirect URIs and accounts (call once the dashboard's origin is known). */
  configure: (options: { redirectUris: string[]; accounts: DemoAccount[]; tokenTtlSeconds?: number }) => Promise<void>;
  /** Publishes a new signing key and signs with it from now on (the old one stays published when `keepOld`). */
  rotate: (options?: { keepOld?: boolean }) => Promise<JWK>;
  close: () => Promise<void>;
}

/** Listens first (so the issuer, with its port, is known before the app that trusts it starts), serves once configured. */
export async function startLocalProvider(): Promise<LocalProvider> {
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => unknown) | null = null;
  const server = http.createServer((req, res) => {
    if (handler) void handler(req, res);
    else res.writeHead(503).end('not configured yet');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let current: { redirectUris: string[]; accounts: DemoAccount[]; tokenTtlSeconds?: number } | null = null;
  const local: LocalProvider = {
    issuer,
    provider: null as unknown as OidcProvider,
    keys: [await newSigningKey()],
    settings: {
      issuer,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      scopes: 'openid email profile',
      apiToken: 'access_token',
      roleClaim: 'iw_role',
      shopsClaim: 'iw_shops',
      subjectClaim: 'email',
      nameClaim: 'name',
      displayName: 'Test identity provider',
    },
    configure: async (options) => {
      current = options;
      await build();
    },
    rotate: async ({ keepOld = true } = {}) => {
      const key = await newSigningKey();
      local.keys = keepOld ? [key, ...local.keys] : [key];
      await build();
      return key;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  async function build(): Promise<void> {
    if (!current) throw new Error('configure the provider first');
    local.provider = createDemoProvider({ issuer, clientId: CLIENT_ID, audience: AUDIENCE, keys: local.keys, ...current });
    handler = local.provider.callback();
    await Promise.resolve();
  }
  return local;
}

/** A tiny cookie jar for the flow over plain HTTP. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const allowHttp = { [oauth.allowInsecureRequests]: true };

/**
 * Signs `account` (its provider subject, e.g. u-alice) in with the authorization code flow and PKCE, as the
 * dashboard does, choosing the account on the provider's page: the tokens the provider issues.
 */
export async function codeFlow(local: Pick<LocalProvider, 'issuer'>, account: string, redirectUri: string): Promise<{ accessToken: string; idToken: string }> {
  const issuer = new URL(local.issuer);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, allowHttp));
  const client: oauth.Client = { client_id: CLIENT_ID };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const auth = new URL(as.authorization_endpoint!);
  for (const [k, v] of Object.entries({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    resource: AUDIENCE,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }))
    auth.searchParams.set(k, v);
  // Back at the dashboard: its address exactly (the provider may share its origin, as the demo's at /oidc).
  const back = new URL(redirectUri);
  const isBack = (url: URL) => url.origin === back.origin && url.pathname === back.pathname;
  const jar = new Jar();
  let res = await fetch(auth, { redirect: 'manual' });
  jar.take(res);
  const interaction = new URL(res.headers.get('location') ?? '', issuer);
  if (isBack(interaction)) throw new Error(`the provider refused the request: ${interaction.search}`);
  res = await fetch(interaction, { headers: { cookie: jar.header() } });
  jar.take(res);
  const page = await res.text();
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error(`no sign-in form on the provider's page: ${page.slice(0, 300)}`);
  res = await fetch(new URL(action.replaceAll('&#47;', '/'), issuer), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ account }).toString(),
  });
  jar.take(res);
  let location = new URL(res.headers.get('location')!, issuer);
  while (!isBack(location)) {
    res = await fetch(location, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    const next = res.headers.get('location');
    if (!next) throw new Error(`the provider stopped at ${location.href}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    location = new URL(next, location);
  }
  const params = oauth.validateAuthResponse(as, client, location, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, {
    ...allowHttp,
    additionalParameters: { resource: AUDIENCE },
  });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
  return { accessToken: result.access_token, idToken: result.id_token! };
}
