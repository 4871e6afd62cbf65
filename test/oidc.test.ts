// Sign-in with the organisation's identity provider, through the API: a real provider (oidc-provider, the
// demo's) run locally on a port of its own. Its tokens, got by the authorization code flow with PKCE, are
// accepted with the role, shops, subject and name their claims map to; a wrong audience, an unknown key, a
// bad signature, an expired token, a wrong issuer → 401 saying which; a seller claim for another shop → 403;
// the provider rotating its key keeps working without a restart; our own HS256 tokens keep working.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { demoAccounts, newSigningKey } from '../server/auth/oidc-provider.js';
import { OidcVerifier, principalFromClaims } from '../server/auth/oidc.js';
import { redactUrl } from '../server/api/http.js';
import type { Database } from '../server/db/database.js';
import { SECRET, buildSmallWorld, makeTokens, type Tokens } from './fixtures/small-world.js';
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
  await idp.configure({ redirectUris: [REDIRECT], accounts: demoAccounts('A') });
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
  it('nested role lists (realm_access.roles), comma-separated shops, sub when there is no e-mail', () => {
    const p = principalFromClaims(
      { sub: 'u1', realm_access: { roles: ['offline_access', 'seller'] }, shops: 'S1, S2' },
      { ...settings, roleClaim: 'realm_access.roles', shopsClaim: 'shops', subjectClaim: 'email', nameClaim: 'name' },
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
