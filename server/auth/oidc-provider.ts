// A real OpenID Connect provider for the demo and the tests (panva's `oidc-provider`, certified): the
// authorization code flow with PKCE (S256) for one public client — the dashboard — and a password-less
// sign-in page that lists the demo accounts. It signs JWT access tokens for the API (audience
// OIDC_AUDIENCE) and ID tokens that carry the same claims our API maps to role and shops.
//
// This is a demo identity provider: anybody who can open its page can sign in as any demo account. `npm
// start` runs it only on the demo data, from this machine, until real data is loaded, and offers its admin
// only when asked (oidc-demo.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { IncomingMessage } from 'node:http';
import OidcProvider, { errors as oidcErrors, type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Role } from './tokens.js';

export interface DemoAccount {
  /** The provider's stable subject id. */
  sub: string;
  email: string;
  name: string;
  role: Role;
  /** A seller's shops. */
  shops?: string[];
}

/**
 * The demo's people: two reviewers, a seller (of `sellerShop`) and, only when asked (`admin: true`, as
 * `npm start` does with PRINT_ADMIN_LINK=1 or --admin-link), an admin: Carol Zhang could change the policy.
 */
export function demoAccounts(sellerShop: string | null, options: { admin?: boolean } = {}): DemoAccount[] {
  const accounts: DemoAccount[] = [
    { sub: 'u-alice', email: 'alice@example.com', name: 'Alice Wang', role: 'reviewer' },
    { sub: 'u-bob', email: 'bob@example.com', name: 'Bob Li', role: 'reviewer' },
  ];
  if (options.admin) accounts.push({ sub: 'u-carol', email: 'carol@example.com', name: 'Carol Zhang', role: 'admin' });
  if (sellerShop) accounts.push({ sub: 'u-dave', email: 'dave@example.com', name: 'Dave Chen', role: 'seller', shops: [sellerShop] });
  return accounts;
}

export interface DemoProviderOptions {
  /** The provider's issuer URL, exactly as tokens carry it (e.g. http://localhost:3000/oidc). */
  issuer: string;
  clientId: string;
  /** The API's audience: access tokens are JWTs for this resource. */
  audience: string;
  /** Where the provider may send the browser back (the dashboard's origin, with a trailing slash). */
  redirectUris: string[];
  accounts: DemoAccount[];
  /** Private signing keys (JWKs with kid); the first signs. Default: one new RS256 key. */
  keys?: JWK[];
  /** The claim names our API reads (OIDC_ROLE_CLAIM, OIDC_SHOPS_CLAIM). */
  roleClaim?: string;
  shopsClaim?: string;
  /** Token lifetime in seconds (default one hour). */
  tokenTtlSeconds?: number;
}

/** A new RS256 signing key as a private JWK with a key id. */
export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

/**
 * The demo provider's signing key, kept in the data folder (readable by its owner only) so that a
 * restart does not sign everybody out; made on first use.
 */
export async function keptSigningKey(dataDir: string): Promise<JWK> {
  const file = path.join(dataDir, '.oidc-demo-key.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  const key = await newSigningKey();
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, JSON.stringify(key), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  }
  return key;
}

/**
 * The provider's state (sessions, codes, grants) in this process's memory: a demo's sign-ins end with the
 * server, and one process serves them all. Each provider gets its own store.
 */
function memoryAdapter(): (name: string) => Adapter {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number | null }>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  return (name) => {
    const key = (id: string) => `${name}:${id}`;
    const read = (k: string | undefined) => {
      const entry = k === undefined ? undefined : store.get(k);
      if (!entry) return undefined;
      if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
        store.delete(k!);
        return undefined;
      }
      return entry.payload;
    };
    return {
      upsert: (id, payload, expiresIn) => {
        const k = key(id);
        store.set(k, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : null });
        if (payload.uid) byUid.set(payload.uid, k);
        if (payload.userCode) byUserCode.set(payload.userCode, k);
        if (payload.grantId) byGrant.set(payload.grantId, (byGrant.get(payload.grantId) ?? new Set()).add(k));
        return Promise.resolve();
      },
      find: (id) => Promise.resolve(read(key(id))),
      findByUid: (uid) => Promise.resolve(read(byUid.get(uid))),
      findByUserCode: (code) => Promise.resolve(read(byUserCode.get(code))),
      consume: (id) => {
        const entry = store.get(key(id));
        if (entry) entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
        return Promise.resolve();
      },
      destroy: (id) => {
        store.delete(key(id));
        return Promise.resolve();
      },
      revokeByGrantId: (grantId) => {
        for (const k of byGrant.get(grantId) ?? []) store.delete(k);
        byGrant.delete(grantId);
        return Promise.resolve();
      },
    };
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, action: string, accounts: DemoAccount[], clientId: string): string {
  const buttons = accounts
    .map(
      (a) =>
        `<li><button type="submit" name="account" value="${escapeHtml(a.sub)}">${escapeHtml(a.name)}</button>` +
        ` <span>${escapeHtml(a.email)} · ${escapeHtml(a.role)}${a.shops?.length ? ` · ${escapeHtml(a.shops.join(', '))}` : ''}</span></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo identity provider · sign in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
ul{list-style:none;padding:0}li{margin:.5rem 0}button{font:inherit;padding:.4rem .9rem;min-width:10rem;cursor:pointer}
span{color:#555}.note{background:#fff7e0;border:1px solid #e5c56a;padding:.5rem .75rem}</style></head>
<body><main><h1>Demo identity provider</h1>
<p>Sign in to <strong>${escapeHtml(clientId)}</strong> as:</p>
<form method="post" action="${escapeHtml(action)}" data-interaction="${escapeHtml(uid)}"><ul>
${buttons}
</ul></form>
<p class="note">A demo: no password is asked. Use your organisation's identity provider (OIDC_ISSUER) for real data.</p>
</main></body></html>`;
}

/** The urlencoded body of a small form post. */
async function readForm(ctx: { req: IncomingMessage }): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of ctx.req) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * The demo provider. Mount `provider.callback()` at the issuer's path (Express: `app.use('/oidc', …)`), or
 * serve it on a port of its own.
 */
export function createDemoProvider(options: DemoProviderOptions & { keys: JWK[] }): OidcProvider {
  const roleClaim = options.roleClaim ?? 'iw_role';
  const shopsClaim = options.shopsClaim ?? 'iw_shops';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const bySub = new Map(options.accounts.map((a) => [a.sub, a]));
  const mountPath = new URL(options.issuer).pathname.replace(/\/$/, '');
  const claimsOf = (a: DemoAccount) => ({ email: a.email, email_verified: true, name: a.name, [roleClaim]: a.role, [shopsClaim]: a.shops ?? [] });

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.redirectUris,
      },
    ],
    adapter: memoryAdapter(),
    // The dashboard calls the token endpoint from the browser: only from the origins it is sent back to.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    jwks: { keys: options.keys },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    // PKCE with S256 for every client (the only method oidc-provider accepts).
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], iw: [roleClaim, shopsClaim] },
    // The ID token carries the scopes' claims too (the dashboard shows the name before asking the API).
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => {
      const account = bySub.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...claimsOf(account) }) };
    },
    // A first-party client: no consent screen; the grant is made on the first sign-in.
    loadExistingGrant: async (ctx) => {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid email profile iw');
      grant.addResourceScope(options.audience, 'api');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource: autoSubmitLogout },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== options.audience) throw new oidcErrors.InvalidTarget(`unknown resource ${resource}`);
          return { scope: 'api', audience: options.audience, accessTokenFormat: 'jwt', accessTokenTTL: ttl, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    // The API's claims ride in the access token (a JWT for the API's audience).
    extraTokenClaims: (_ctx, token) => {
      const account = 'accountId' in token && token.accountId ? bySub.get(token.accountId) : undefined;
      return account ? claimsOf(account) : undefined;
    },
    ttl: { AccessToken: ttl, IdToken: ttl, Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600 },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><pre>${escapeHtml(
        Object.entries(out)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join('\n'),
      )}</pre></main></body></html>`;
    },
  };
  const provider = new OidcProvider(options.issuer, configuration);

  // The sign-in page: a list of the demo accounts; choosing one finishes the login.
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
    if (!match) {
      await next();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== match[1]) ctx.throw(400, 'interaction mismatch');
    if (ctx.method === 'GET' && !match[2]) {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, `${mountPath}/interaction/${details.uid}/login`, options.accounts, options.clientId);
      return;
    }
    if (ctx.method === 'POST' && match[2]) {
      const account = (await readForm(ctx)).get('account') ?? '';
      if (!bySub.has(account)) ctx.throw(400, 'unknown account');
      const redirectTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
      ctx.redirect(redirectTo);
      return;
    }
    ctx.throw(405, 'method not allowed');
  });
  return provider;
}

/** The sign-out confirmation submits itself: the dashboard's Sign out ends the provider's session too. */
function autoSubmitLogout(ctx: KoaContextWithOIDC, form: string): void {
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing out…</title></head><body>${form}
<noscript><button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button></noscript>
<script>var f=document.getElementById('op.logoutForm');var i=document.createElement('input');i.type='hidden';i.name='logout';i.value='yes';f.appendChild(i);f.submit();</script></body></html>`;
}
