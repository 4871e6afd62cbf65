// Sign-in with the organisation's identity provider, through the API: a real provider (oidc-provider, the
// demo's) run locally on a port of its own. Its tokens, got by the authorization code flow with PKCE, are
// accepted with the role, shops, subject and name their claims map to; a wrong audience, an unknown key, a
// bad signature, an expired token, a wrong issuer → 401 saying which; a seller claim for another shop → 403;
// the provider rotating its key keeps working without a restart; our own HS256 tokens keep working.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import express, { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { demoAccounts, newSigningKey } from '../server/auth/oidc-provider.js';
import { OidcVerifier, ProviderUnavailableError, principalFromClaims, shopsFrom } from '../server/auth/oidc.js';
import { DEMO_CLIENT_ID, DEMO_PATH, oidcForServer } from '../server/auth/oidc-demo.js';
import { oidcFromEnv } from '../server/config.js';
import { redactUrl } from '../server/api/http.js';
import type { Database } from '../server/db/database.js';
import { SECRET, buildSmallWorld, makeTokens, type Tokens } from './fixtures/small-world.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';
import { AUDIENCE, CLIENT_ID, codeFlow, startLocalProvider, type LocalProvider } from './oidc-helpers.js';

const REDIRECT = 'http://dashboard.test/';

let db: Database;
let app: Express;
let idp: LocalProvider;
let tokens: Tokens;
let alice: { accessToken: string; idToken: string };

const now = () => Math.floor(Date.now() / 1000);

const get = (route: string, token: string) => request(app).get(route).set('Authorization', `Bearer ${token}`);

/** A token signed with `key` (a private JWK with kid), with the claims the provider would put, changed by `over`. */
async function craft(key: JWK, over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const claims = {
    email: 'mallory@example.com',
    name: 'Mallory',
    iw_role: 'admin',
    iw_shops: [],
    iss: idp.issuer,
    aud: AUDIENCE,
    sub: 'u-mallory',
    iat: now(),
    exp: now() + 600,
    ...over,
  };
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt', ...header }).sign(await importJWK(key, 'RS256'));
}

async function expect401(token: string, message: RegExp, what: string) {
  const res = await get('/api/me', token);
  expect(res.status, what).toBe(401);
  expect(res.body, what).toMatchObject({ error: 'unauthorized' });
  expect(res.body.message, what).toMatch(message);
  expect(res.text, what).not.toContain(token);
}

beforeAll(async () => {
  const world = await buildSmallWorld();
  db = world.db;
  idp = await startLocalProvider();
  await idp.configure({ redirectUris: [REDIRECT], accounts: demoAccounts('A', { admin: true }) });
  // jwksCooldownMs 0: a token with an unknown kid fetches the JWKS again at once (jose's default waits 30 s between fetches).
  app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, oidc: new OidcVerifier(idp.settings, { jwksCooldownMs: 0 }) });
  tokens = await makeTokens();
  alice = await codeFlow(idp, 'u-alice', REDIRECT);
}, 60_000);

afterAll(async () => {
  await idp?.close();
  await db?.close();
});

describe('the dashboard learns how to sign in', () => {
  it('GET /api/auth/config (public) names the provider, the client and the resource — nothing secret', async () => {
    const res = await request(app).get('/api/auth/config');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      oidc: {
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        scopes: 'openid email profile',
        resource: AUDIENCE,
        apiToken: 'access_token',
        displayName: 'Test identity provider',
      },
    });
    const without = createApp({ db, secret: SECRET });
    expect((await request(without).get('/api/auth/config')).body).toEqual({ oidc: null });
  });
});

describe("the provider's tokens", () => {
  it('a reviewer signed in with the code flow and PKCE: role, subject (email) and name from the claims', async () => {
    const res = await get('/api/me', alice.accessToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subject: 'alice@example.com', name: 'Alice Wang', role: 'reviewer', shops: [] });
    expect((await get('/api/flagged', alice.accessToken)).status).toBe(200);
  });

  it("a decision is recorded under the person's e-mail address, in the decision and the audit log", async () => {
    const res = await request(app)
      .post('/api/shops/A/decisions')
      .set('Authorization', `Bearer ${alice.accessToken}`)
      .send({ action: 'exempt', reason: 'Courier strike, confirmed by logistics', until: '2026-12-31' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(JSON.stringify(res.body)).toContain('alice@example.com');
    const audit = await get('/api/audit?shopId=A', alice.accessToken);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('alice@example.com');
  });

  it('a second reviewer, an admin and a seller each get their role; a seller claim opens only that shop (another is 403)', async () => {
    const bob = await codeFlow(idp, 'u-bob', REDIRECT);
    expect((await get('/api/me', bob.accessToken)).body).toEqual({ subject: 'bob@example.com', name: 'Bob Li', role: 'reviewer', shops: [] });
    const carol = await codeFlow(idp, 'u-carol', REDIRECT);
    expect((await get('/api/me', carol.accessToken)).body).toMatchObject({ subject: 'carol@example.com', role: 'admin' });
    const dave = await codeFlow(idp, 'u-dave', REDIRECT);
    expect((await get('/api/me', dave.accessToken)).body).toEqual({ subject: 'dave@example.com', name: 'Dave Chen', role: 'seller', shops: ['A'] });
    expect((await get('/api/shops/A/metrics', dave.accessToken)).status).toBe(200);
    const other = await get('/api/shops/B/metrics', dave.accessToken);
    expect(other.status).toBe(403);
    expect(other.body.message).toMatch(/may not read shop B/);
    expect((await get('/api/flagged', dave.accessToken)).status).toBe(403);
  });

  it('a crafted seller token for shop A signed with the published key: 200 on A, 403 on B', async () => {
    const seller = await craft(idp.keys[0], { iw_role: 'seller', iw_shops: ['A'] });
    expect((await get('/api/shops/A/metrics', seller)).status).toBe(200);
    expect((await get('/api/shops/B/metrics', seller)).status).toBe(403);
  });

  it('our own HS256 tokens keep working beside them', async () => {
    expect((await get('/api/me', tokens.sellerA)).body).toEqual({ subject: 'seller:A', role: 'seller', shops: ['A'] });
    expect((await get('/api/me', tokens.reviewer)).status).toBe(200);
  });
});

describe("the provider's tokens that are wrong are 401, saying why", () => {
  it('wrong audience (the ID token, for the dashboard, is not for the API; a token for another API)', async () => {
    await expect401(alice.idToken, /another audience .*urn:intervention-watch:api/, 'ID token');
    await expect401(await craft(idp.keys[0], { aud: 'urn:another:api' }), /another audience/, 'another API');
  });

  it('an unknown key (a kid the provider does not publish)', async () => {
    await expect401(await craft(await newSigningKey()), /unknown kid/, 'unknown kid');
  });

  it('a bad signature (the published kid, signed with another key) and a tampered payload', async () => {
    const other = await newSigningKey();
    await expect401(await craft({ ...other, kid: idp.keys[0].kid }), /signature does not verify/, 'other key, published kid');
    const [h, , s] = alice.accessToken.split('.');
    const payload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(alice.accessToken.split('.')[1], 'base64url').toString()), iw_role: 'admin' }),
    ).toString('base64url');
    await expect401(`${h}.${payload}.${s}`, /signature does not verify/, 'tampered');
  });

  it('expired', async () => {
    await expect401(await craft(idp.keys[0], { iat: now() - 7200, exp: now() - 60 }), /has expired/, 'expired');
  });

  it('a wrong issuer (signed with the real key, claiming another issuer) and HS256 under the provider’s issuer', async () => {
    await expect401(await craft(idp.keys[0], { iss: 'https://evil.example.com' }), /issuer is not accepted/, 'wrong issuer');
    const hs = await new SignJWT({ iw_role: 'admin', email: 'x@example.com' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(idp.issuer)
      .setAudience(AUDIENCE)
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(SECRET);
    await expect401(hs, /algorithm is not accepted/, 'HS256 with the provider issuer');
  });

  it('no role claim, an unknown role, a seller without shops', async () => {
    await expect401(await craft(idp.keys[0], { iw_role: undefined }), /no role: claim iw_role/, 'no role');
    await expect401(await craft(idp.keys[0], { iw_role: 'superuser' }), /no role/, 'unknown role');
    await expect401(await craft(idp.keys[0], { iw_role: 'seller', iw_shops: [] }), /at least one shop/, 'seller without shops');
  });

  it('a cached token is never accepted past its exp', async () => {
    const short = await craft(idp.keys[0], { exp: now() + 2 });
    expect((await get('/api/me', short)).status).toBe(200);
    expect((await get('/api/me', short)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    await expect401(short, /has expired/, 'after exp');
  });
});

describe('key rotation', () => {
  it('the provider publishes a new key and signs with it: its tokens verify without restarting the server', async () => {
    const before = await codeFlow(idp, 'u-alice', REDIRECT);
    expect((await get('/api/me', before.accessToken)).status).toBe(200);
    const retired = idp.keys[0];
    const key = await idp.rotate({ keepOld: false });
    const after = await codeFlow(idp, 'u-bob', REDIRECT);
    const kid = JSON.parse(Buffer.from(after.accessToken.split('.')[0], 'base64url').toString()).kid;
    expect(kid).toBe(key.kid);
    const res = await get('/api/me', after.accessToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.subject).toBe('bob@example.com');
    // The old key is no longer published: a token signed with it now is refused.
    await expect401(await craft(retired), /unknown kid/, 'retired key');
  });
});

describe('claims mapping', () => {
  const settings = { ...({} as { issuer: string }), issuer: 'x', clientId: 'c', audience: 'c', scopes: '', apiToken: 'id_token' as const, displayName: 'x' };
  it('nested role lists (realm_access.roles), comma-separated shops (OIDC_SHOPS_SEPARATOR=,), sub when there is no e-mail', () => {
    const p = principalFromClaims(
      { sub: 'u1', realm_access: { roles: ['offline_access', 'seller'] }, shops: 'S1, S2' },
      { ...settings, roleClaim: 'realm_access.roles', shopsClaim: 'shops', shopsSeparator: ',', subjectClaim: 'email', nameClaim: 'name' },
    );
    expect(p).toEqual({ subject: 'u1', role: 'seller', shops: ['S1', 'S2'] });
    const admin = principalFromClaims(
      { sub: 'u2', roles: ['reviewer', 'admin'], preferred_username: 'zhao' },
      { ...settings, roleClaim: 'roles', shopsClaim: 'shops', subjectClaim: 'preferred_username', nameClaim: 'name' },
    );
    expect(admin).toEqual({ subject: 'zhao', role: 'admin', shops: [] });
    // An e-mail address the provider has not verified does not name the person: sub does.
    const mapping = { ...settings, roleClaim: 'iw_role', shopsClaim: 'iw_shops', subjectClaim: 'email', nameClaim: 'name' };
    expect(principalFromClaims({ sub: 'u3', email: 'alice@example.com', email_verified: false, iw_role: 'reviewer' }, mapping).subject).toBe('u3');
    expect(principalFromClaims({ sub: 'u3', email: 'alice@example.com', email_verified: true, iw_role: 'reviewer' }, mapping).subject).toBe(
      'alice@example.com',
    );
  });
});

describe('the request log', () => {
  it("never holds the provider's authorization code or a PKCE verifier (the dashboard's callback address)", () => {
    const logged = redactUrl('/?code=abc123secret&state=s1&iss=http%3A%2F%2F127.0.0.1&code_verifier=v');
    expect(logged).not.toContain('abc123secret');
    expect(logged).toBe('/?code=[redacted]&state=s1&iss=http%3A%2F%2F127.0.0.1&code_verifier=[redacted]');
  });
});

describe('an identity provider that cannot be reached', () => {
  it('is 503 (not the token’s fault, not counted as a failed sign-in)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const offline = createApp({ db, secret: SECRET, oidc: { ...idp.settings, issuer } });
    const token = await craft(idp.keys[0], { iss: issuer });
    const res = await request(offline).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('identity_provider_unavailable');
    expect((await request(offline).get('/api/me').set('Authorization', `Bearer ${tokens.reviewer}`)).status).toBe(200);
  });
});

// ---- The reviewer's findings (see each block). ----

/** The public half of a private JWK (what a provider publishes). */
const publicJwk = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }: JWK): JWK => pub;

/**
 * A provider stand-in whose discovery and JWKS answers can be broken on purpose, counting every request:
 * `discovery` and `jwks` are 'ok', 500 (status), 'garbage' (200, not JSON) or 'not-a-set' (200, JSON, no keys).
 */
async function brokenProvider(keys: () => JWK[]) {
  const state = {
    discovery: 'ok' as 'ok' | 500 | 'garbage' | 'not-a-set',
    jwks: 'ok' as 'ok' | 500 | 'garbage' | 'not-a-set',
    hits: { discovery: 0, jwks: 0 },
  };
  const server = createServer((req, res) => {
    const which = req.url === '/.well-known/openid-configuration' ? 'discovery' : req.url === '/jwks' ? 'jwks' : null;
    if (!which) return void res.writeHead(404).end();
    state.hits[which]++;
    const mode = state[which];
    if (mode === 500) return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>');
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
    if (mode === 'not-a-set') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": 5}');
    const body = which === 'discovery' ? { issuer, jwks_uri: `${issuer}/jwks` } : { keys: keys().map(publicJwk) };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('a provider whose key set cannot be fetched or read is 503, never 401 (finding 2)', () => {
  for (const mode of [500, 'garbage', 'not-a-set'] as const) {
    it(`JWKS answering ${mode}: 503 identity_provider_unavailable, not counted toward the failed-sign-in limit`, async () => {
      const bad = await brokenProvider(() => idp.keys);
      try {
        bad.state.jwks = mode;
        // A limit of 3 failed authentications a minute: 503s must not use it up (no 429 after them).
        const strict = createApp({ db, secret: SECRET, authFailuresPerMinute: 3, oidc: { ...idp.settings, issuer: bad.issuer } });
        const token = await craft(idp.keys[0], { iss: bad.issuer });
        for (let i = 0; i < 6; i++) {
          const res = await request(strict).get('/api/me').set('Authorization', `Bearer ${token}`);
          expect(res.status, JSON.stringify(res.body)).toBe(503);
          expect(res.body.error).toBe('identity_provider_unavailable');
          expect(res.body.message).toMatch(/key set \(JWKS\)|not a JSON Web Key Set/);
          expect(res.headers['retry-after']).toBe('30');
        }
        expect((await request(strict).get('/api/me').set('Authorization', `Bearer ${tokens.reviewer}`)).status).toBe(200);
      } finally {
        await bad.close();
      }
    });
  }

  it('a discovery document answering 500 or garbage: 503', async () => {
    const bad = await brokenProvider(() => idp.keys);
    try {
      for (const mode of [500, 'garbage'] as const) {
        bad.state.discovery = mode;
        const verifier = new OidcVerifier({ ...idp.settings, issuer: bad.issuer });
        await expect(verifier.verify(await craft(idp.keys[0], { iss: bad.issuer }))).rejects.toThrow(/discovery document .* could not be read/);
        await expect(verifier.verify(await craft(idp.keys[0], { iss: bad.issuer }))).rejects.toBeInstanceOf(ProviderUnavailableError);
      }
    } finally {
      await bad.close();
    }
  });
});

describe('a failed fetch is remembered for 30 s and refetches are throttled (finding 3)', () => {
  it('20 requests (10 at once, 10 one by one) during a JWKS outage make 1 fetch; after 30 s one more; then it recovers', async () => {
    const bad = await brokenProvider(() => idp.keys);
    try {
      bad.state.jwks = 500;
      let clock = Date.now();
      const verifier = new OidcVerifier({ ...idp.settings, issuer: bad.issuer }, { now: () => clock });
      const outage = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, oidc: verifier });
      const forged = await craft(idp.keys[0], { iss: bad.issuer });
      const ask = () => request(outage).get('/api/me').set('Authorization', `Bearer ${forged}`);
      const together = await Promise.all(Array.from({ length: 10 }, ask));
      for (let i = 0; i < 10; i++) together.push(await ask());
      expect(together.map((r) => r.status)).toEqual(Array(20).fill(503));
      expect(bad.state.hits).toEqual({ discovery: 1, jwks: 1 });
      expect(verifier.fetches).toBe(2);
      // 31 s later the provider is asked again (once), still failing; then it is back.
      clock += 31_000;
      for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(503);
      expect(bad.state.hits.jwks).toBe(2);
      bad.state.jwks = 'ok';
      clock += 31_000;
      const res = await ask();
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(bad.state.hits.jwks).toBe(3);
    } finally {
      await bad.close();
    }
  });

  it('a discovery outage is remembered too: 20 requests, 1 fetch', async () => {
    const bad = await brokenProvider(() => idp.keys);
    try {
      bad.state.discovery = 500;
      const outage = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, oidc: { ...idp.settings, issuer: bad.issuer } });
      const forged = await craft(idp.keys[0], { iss: bad.issuer });
      for (let i = 0; i < 20; i++) expect((await request(outage).get('/api/me').set('Authorization', `Bearer ${forged}`)).status).toBe(503);
      expect(bad.state.hits).toEqual({ discovery: 1, jwks: 0 });
    } finally {
      await bad.close();
    }
  });

  it('20 forged tokens with unknown kids, provider up: at most one refetch of the JWKS in the cooldown (401 unknown kid)', async () => {
    const up = await brokenProvider(() => idp.keys);
    try {
      const app2 = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, oidc: { ...idp.settings, issuer: up.issuer } });
      for (let i = 0; i < 20; i++) {
        const forged = await craft({ ...idp.keys[0], kid: `forged-${i}` }, { iss: up.issuer });
        const res = await request(app2).get('/api/me').set('Authorization', `Bearer ${forged}`);
        expect(res.status).toBe(401);
        expect(res.body.message).toMatch(/unknown kid/);
      }
      expect(up.state.hits.jwks).toBeLessThanOrEqual(2);
    } finally {
      await up.close();
    }
  });
});

describe('the subject: an e-mail address only when the provider verified it (finding 4)', () => {
  const mapping = {
    issuer: 'x',
    clientId: 'c',
    audience: 'c',
    scopes: '',
    apiToken: 'access_token' as const,
    displayName: 'x',
    roleClaim: 'iw_role',
    shopsClaim: 'iw_shops',
    subjectClaim: 'email',
    nameClaim: 'name',
  };
  it('email_verified absent, false or the string "true": sub; true: the address', () => {
    const claims = { sub: 'u9', email: 'alice@example.com', iw_role: 'reviewer' };
    expect(principalFromClaims(claims, mapping).subject).toBe('u9');
    expect(principalFromClaims({ ...claims, email_verified: false }, mapping).subject).toBe('u9');
    expect(principalFromClaims({ ...claims, email_verified: 'true' }, mapping).subject).toBe('u9');
    expect(principalFromClaims({ ...claims, email_verified: true }, mapping).subject).toBe('alice@example.com');
  });

  it('through the API: a token claiming alice@example.com without email_verified acts as its sub', async () => {
    const unverified = await craft(idp.keys[0], { email: 'alice@example.com', sub: 'u-mallory', iw_role: 'reviewer' });
    expect((await get('/api/me', unverified)).body).toMatchObject({ subject: 'u-mallory', role: 'reviewer' });
    const verified = await craft(idp.keys[0], { email: 'alice@example.com', email_verified: true, sub: 'u-alice', iw_role: 'reviewer' });
    expect((await get('/api/me', verified)).body).toMatchObject({ subject: 'alice@example.com' });
  });
});

describe('a shops claim given as one string is one shop id (finding 5)', () => {
  it("shopsFrom('Shop A') is ['Shop A']; split only with a separator", () => {
    expect(shopsFrom('Shop A')).toEqual(['Shop A']);
    expect(shopsFrom('S1,S2')).toEqual(['S1,S2']);
    expect(shopsFrom(['S1', 'S2'])).toEqual(['S1', 'S2']);
    expect(shopsFrom('S1, S2', ',')).toEqual(['S1', 'S2']);
    expect(shopsFrom('S1  S2\tS3', ' ')).toEqual(['S1', 'S2', 'S3']);
    expect(shopsFrom('S1;S2', ';')).toEqual(['S1', 'S2']);
  });

  it('through the API: a seller of "Shop A" cannot read shop A (nor "Shop")', async () => {
    const seller = await craft(idp.keys[0], { iw_role: 'seller', iw_shops: 'Shop A' });
    expect((await get('/api/me', seller)).body.shops).toEqual(['Shop A']);
    expect((await get('/api/shops/A/metrics', seller)).status).toBe(403);
  });

  it('OIDC_SHOPS_SEPARATOR is read from the environment (unset: none)', () => {
    const base = { OIDC_ISSUER: 'https://login.example.com', OIDC_CLIENT_ID: 'iw' };
    expect(oidcFromEnv(base).settings?.shopsSeparator).toBeUndefined();
    expect(oidcFromEnv({ ...base, OIDC_SHOPS_SEPARATOR: ',' }).settings?.shopsSeparator).toBe(',');
    expect(oidcFromEnv({ ...base, OIDC_SHOPS_SEPARATOR: ' ' }).settings?.shopsSeparator).toBe(' ');
    expect(oidcFromEnv({ ...base, OIDC_REQUIRE_AT_JWT: '1' }).settings?.requireAtJwt).toBe(true);
    expect(() => oidcFromEnv({ ...base, OIDC_REQUIRE_AT_JWT: 'maybe' })).toThrow(/OIDC_REQUIRE_AT_JWT/);
  });
});

describe('an ID token is not an access token, even when the audience is the client id (finding 6)', () => {
  const app6 = (over: Partial<typeof idp.settings> = {}) =>
    createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, oidc: new OidcVerifier({ ...idp.settings, audience: CLIENT_ID, ...over }) });

  it("the demo provider's real ID token (aud = client id) is refused as the API's token; its access tokens are typed at+jwt", async () => {
    const header = JSON.parse(Buffer.from(alice.accessToken.split('.')[0], 'base64url').toString());
    expect(header.typ).toBe('at+jwt');
    // Signed in now (the key rotation above retired the key of the tokens got at the start).
    const { idToken } = await codeFlow(idp, 'u-alice', REDIRECT);
    const res = await request(app6()).get('/api/me').set('Authorization', `Bearer ${idToken}`);
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/an ID token is not accepted/);
    // With OIDC_API_TOKEN=id_token the ID token is the API's token (this one then fails only for its lack of a role:
    // the demo releases iw_role to the API's resource, not in the ID token of these scopes).
    const idMode = await request(app6({ apiToken: 'id_token' }))
      .get('/api/me')
      .set('Authorization', `Bearer ${idToken}`);
    expect(idMode.body.message).toMatch(/carries no role/);
    const withRole = await craft(idp.keys[0], { aud: CLIENT_ID, nonce: 'n1', at_hash: 'x' }, { typ: 'JWT' });
    expect(
      (
        await request(app6({ apiToken: 'id_token' }))
          .get('/api/me')
          .set('Authorization', `Bearer ${withRole}`)
      ).status,
    ).toBe(200);
  });

  it('ID-token markers refuse (nonce, at_hash, Keycloak typ ID); access tokens pass (at+jwt, Keycloak typ Bearer, Entra/Okta style)', async () => {
    const ask = (token: string, app = app6()) => request(app).get('/api/me').set('Authorization', `Bearer ${token}`);
    const key = idp.keys[0];
    const asId = { aud: CLIENT_ID };
    for (const [what, claims] of [
      ['nonce', { nonce: 'n1' }],
      ['at_hash', { at_hash: 'x' }],
      ['Keycloak ID', { typ: 'ID' }],
    ] as const) {
      const res = await ask(await craft(key, { ...asId, ...claims }, { typ: 'JWT' }));
      expect(res.status, what).toBe(401);
      expect(res.body.message, what).toMatch(/ID token/);
    }
    expect((await ask(await craft(key, { ...asId, nonce: 'n1' }, { typ: 'at+jwt' }))).status).toBe(200);
    expect((await ask(await craft(key, { ...asId, nonce: 'n1', typ: 'Bearer' }, { typ: 'JWT' }))).status).toBe(200);
    const entraStyle = await craft(key, { ...asId, scp: 'api' }, { typ: 'JWT' });
    expect((await ask(entraStyle)).status).toBe(200);
    // OIDC_REQUIRE_AT_JWT=1 (the demo's setting): only at+jwt.
    const strict = app6({ requireAtJwt: true });
    const refused = await ask(entraStyle, strict);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/only access tokens typed at\+jwt/);
    expect((await ask(await craft(key, asId), strict)).status).toBe(200);
  });
});

describe('the demo provider of npm start: loopback only, gone once real data is loaded, admin only when asked (finding 1)', () => {
  /** A database holding only the demo's batch (source demo), served on a port of its own as npm start would. */
  async function demoServer(mode: 'auto' | 'on', admin: boolean) {
    const t = await openTempDb();
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['A', 'A店', 'C1'],
      ['B', 'B店', 'C1'],
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [...dailyOrders('A', '2026-09-01', '2026-10-08', 2), ...dailyOrders('B', '2026-09-01', '2026-10-08', 50)]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [caseRow('a1', 'A-2026-09-18-1', 'A', '2026-09-18T10:00:00+08:00')]);
    expect((await ingest(t.db, [t.dir], { source: 'demo' })).exitCode).toBe(0);
    let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
    const server = createServer((req, res) => handler?.(req, res));
    await new Promise<void>((resolve) => server.listen(0, resolve)); // every interface, IPv4 and IPv6
    const port = (server.address() as AddressInfo).port;
    const oidc = await oidcForServer(t.db, { settings: null, demo: mode }, { port, dataDir: t.dir, admin });
    const served = createApp({ db: t.db, secret: SECRET, authFailuresPerMinute: 1e6, ...oidc.app });
    handler = served;
    const base = `http://localhost:${port}`;
    /** The same app, its requests seemingly from another machine on the LAN. */
    const fromLan = express();
    fromLan.use((req, _res, next) => {
      Object.defineProperty(req.socket, 'remoteAddress', { value: '192.168.1.23', configurable: true });
      next();
    });
    fromLan.use(served);
    /** Loads a batch that is not the demo's (as an upload or npm run ingest would). */
    const loadRealData = async () => {
      const dir = tempDir();
      writeCsv(dir, 'categories.csv', HEADERS.categories, [['C2', '男装', '']]);
      expect((await ingest(t.db, [dir])).exitCode).toBe(0);
    };
    return {
      db: t.db,
      oidc,
      base,
      issuer: `${base}${DEMO_PATH}`,
      redirect: `${base}/`,
      served,
      fromLan,
      loadRealData,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await t.db.close();
      },
    };
  }

  it('auto: starts on the demo data; refuses other machines (403, says DEMO_OIDC=1) and proxied requests; no admin account unless asked', async () => {
    const s = await demoServer('auto', false);
    try {
      expect(s.oidc.lines.join('\n')).toMatch(/only from this machine/);
      expect(s.oidc.lines.join('\n')).toMatch(/no admin account: PRINT_ADMIN_LINK=1/);
      expect(s.oidc.lines.join('\n')).not.toMatch(/carol@example.com/);
      const local = await fetch(`${s.issuer}/.well-known/openid-configuration`);
      expect(local.status).toBe(200);
      const lan = await request(s.fromLan).get('/oidc/.well-known/openid-configuration');
      expect(lan.status).toBe(403);
      expect(lan.body.message).toMatch(/only on this machine/);
      expect(lan.body.message).toMatch(/DEMO_OIDC=1/);
      const proxied = await request(s.served).get('/oidc/.well-known/openid-configuration').set('X-Forwarded-For', '203.0.113.9');
      expect(proxied.status).toBe(403);
      // Carol (admin) is not on the sign-in page; Alice is.
      await expect(codeFlow({ issuer: s.issuer }, 'u-carol', s.redirect)).rejects.toThrow();
      const alice = await codeFlow({ issuer: s.issuer }, 'u-alice', s.redirect);
      const me = await fetch(`${s.base}/api/me`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
      expect(await me.json()).toMatchObject({ subject: 'alice@example.com', role: 'reviewer' });
    } finally {
      await s.close();
    }
  });

  it('PRINT_ADMIN_LINK (admin: true) offers Carol Zhang, admin', async () => {
    const s = await demoServer('auto', true);
    try {
      expect(s.oidc.lines.join('\n')).toMatch(/carol@example.com .*admin/);
      const carol = await codeFlow({ issuer: s.issuer }, 'u-carol', s.redirect);
      const me = await fetch(`${s.base}/api/me`, { headers: { authorization: `Bearer ${carol.accessToken}` } });
      expect(await me.json()).toMatchObject({ subject: 'carol@example.com', role: 'admin' });
    } finally {
      await s.close();
    }
  });

  it('once a batch that is not the demo’s is committed: /oidc is 410, its tokens (even cached ones) 401, the dashboard no longer offers it; the next start says why it is off', async () => {
    const s = await demoServer('auto', false);
    try {
      const alice = await codeFlow({ issuer: s.issuer }, 'u-alice', s.redirect);
      const me = () => fetch(`${s.base}/api/me`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
      expect((await me()).status).toBe(200);
      expect((await request(s.served).get('/api/auth/config')).body.oidc).toMatchObject({ issuer: s.issuer });
      // A decision (a write, but no data) does not end it.
      await s.db.write(() => Promise.resolve(undefined));
      expect((await fetch(`${s.issuer}/.well-known/openid-configuration`)).status).toBe(200);
      await s.loadRealData();
      const gone = await fetch(`${s.issuer}/.well-known/openid-configuration`);
      expect(gone.status).toBe(410);
      expect(((await gone.json()) as { message: string }).message).toMatch(/real data was loaded/);
      const page = await fetch(`${s.issuer}/auth?client_id=${DEMO_CLIENT_ID}`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(410);
      expect(await page.text()).toMatch(/real data was loaded/);
      const refused = await me();
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { message: string }).message).toMatch(/the demo sign-in ended because real data was loaded/);
      expect((await request(s.served).get('/api/auth/config')).body).toEqual({ oidc: null });
      // Starting again on this database: the banner says why the demo provider is off.
      const again = await oidcForServer(s.db, { settings: null, demo: 'auto' }, { port: 3999, dataDir: tempDir(), admin: false });
      expect(again.app).toEqual({});
      expect(again.lines.join('\n')).toMatch(/demo identity provider is off: the database holds data other than the built-in demo's.*DEMO_OIDC=1/);
    } finally {
      await s.close();
    }
  });

  it('DEMO_OIDC=1: other machines may use it; still gone once more data is loaded', async () => {
    const s = await demoServer('on', false);
    try {
      expect((await request(s.fromLan).get('/oidc/.well-known/openid-configuration')).status).toBe(200);
      await s.loadRealData();
      expect((await request(s.fromLan).get('/oidc/.well-known/openid-configuration')).status).toBe(410);
    } finally {
      await s.close();
    }
  });

  it('an empty database (DEMO=off) in auto mode: not started, and the banner says why', async () => {
    const t = await openTempDb();
    try {
      const none = await oidcForServer(t.db, { settings: null, demo: 'auto' }, { port: 3999, dataDir: t.dir, admin: false });
      expect(none.app).toEqual({});
      expect(none.lines.join('\n')).toMatch(/off: the database holds no demo data/);
    } finally {
      await t.db.close();
    }
  });
});
