// Bearer tokens through the HTTP API: every way a token can be wrong is a 401 with a JSON message;
// the valid ones (including a lowercase scheme) are accepted; failed authentications are rate limited;
// and `npm run token` prints a token the server accepts.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, generateKeyPair } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { tempDir } from './helpers.js';
import { SECRET, buildSmallWorld, makeTokens, type Tokens } from './fixtures/small-world.js';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..');
const ISSUER = 'intervention-watch';
const OTHER_SECRET = new TextEncoder().encode('another-secret-entirely-0123456789abcdef');

let db: Database;
let app: Express;
let tokens: Tokens;

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

/** A valid seller-A payload, as the server signs them. */
const sellerClaims = (over: Record<string, unknown> = {}) => ({
  role: 'seller',
  shops: ['A'],
  sub: 'seller:A',
  iss: ISSUER,
  iat: now(),
  exp: now() + 3600,
  ...over,
});

/** Signs header.payload with HMAC-SHA256 and the given secret, whatever the header says. */
function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Uint8Array = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

function me(authorization?: string) {
  const r = request(app).get('/api/me');
  return authorization === undefined ? r : r.set('Authorization', authorization);
}

async function expect401(authorization: string | undefined, what: string, message?: RegExp | string) {
  const res = await me(authorization);
  expect(res.status, what).toBe(401);
  expect(res.headers['content-type'], what).toMatch(/application\/json/);
  expect(res.body, what).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
  if (message !== undefined) expect(res.body.message, what).toMatch(message);
  // The answer never echoes the token back.
  const token = authorization?.split(/\s+/)[1];
  if (token && token.length > 8) expect(res.text, what).not.toContain(token);
  // And the shop behind it is not reachable either.
  const shop = await request(app)
    .get('/api/shops/A/metrics')
    .set('Authorization', authorization ?? '');
  expect(shop.status, what).toBe(401);
  return res;
}

beforeAll(async () => {
  const world = await buildSmallWorld();
  db = world.db;
  app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6 });
  tokens = await makeTokens();
});
afterAll(async () => db?.close());

describe('valid tokens', () => {
  it('are accepted, and the server reads role and shops from them', async () => {
    const seller = await me(`Bearer ${tokens.sellerA}`);
    expect(seller.status).toBe(200);
    expect(seller.body).toEqual({ subject: 'seller:A', role: 'seller', shops: ['A'] });
    expect((await me(`Bearer ${tokens.reviewer}`)).body).toEqual({ subject: 'reviewer', role: 'reviewer', shops: [] });
    expect((await me(`Bearer ${tokens.admin}`)).body).toEqual({ subject: 'admin', role: 'admin', shops: [] });
    expect((await request(app).get('/api/shops/A/metrics').set('Authorization', `Bearer ${tokens.sellerA}`)).status).toBe(200);
  });

  it("accept the scheme in any case ('bearer', 'BEARER') and more than one space", async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      const res = await me(`${scheme} ${tokens.sellerA}`);
      expect(res.status, scheme).toBe(200);
      expect(res.body.shops).toEqual(['A']);
    }
    expect((await me(`Bearer   ${tokens.reviewer}`)).status).toBe(200);
  });

  it('a token hand-built exactly as the server builds them is accepted (so the forgeries below fail for their flaw alone)', async () => {
    const res = await me(`Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, sellerClaims())}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subject: 'seller:A', role: 'seller', shops: ['A'] });
  });
});

describe('invalid tokens are 401 with a JSON message', () => {
  it('expired', async () => {
    const expired = await new SignJWT({ role: 'reviewer', shops: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('reviewer')
      .setIssuer(ISSUER)
      .setIssuedAt(now() - 7200)
      .setExpirationTime(now() - 60)
      .sign(SECRET);
    await expect401(`Bearer ${expired}`, 'expired', 'the token has expired');
    // Just expired, by the server's own signer.
    const short = await signToken(SECRET, { role: 'seller', shops: ['A'] }, '1s');
    expect((await me(`Bearer ${short}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    await expect401(`Bearer ${short}`, 'expired after 1s', 'the token has expired');
  });

  it('not yet valid (nbf in the future)', async () => {
    await expect401(`Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, sellerClaims({ nbf: now() + 3600 }))}`, 'nbf');
  });

  it('signed with another secret', async () => {
    for (const role of ['seller', 'reviewer', 'admin'] as const) {
      const t = await signToken(OTHER_SECRET, { role, shops: role === 'seller' ? ['A'] : undefined });
      await expect401(`Bearer ${t}`, `other secret ${role}`, 'the token is not valid');
    }
  });

  it('with a tampered payload under the old signature (role, shop list, expiry, subject)', async () => {
    const [header, payload, signature] = tokens.sellerA.split('.');
    const claims = decodePart(payload);
    expect(claims).toMatchObject({ role: 'seller', shops: ['A'] });
    const tampered: Record<string, Record<string, unknown>> = {
      'role → reviewer': { ...claims, role: 'reviewer', shops: [] },
      'role → reviewer, shops kept': { ...claims, role: 'reviewer' },
      'role → admin': { ...claims, role: 'admin' },
      'shops → [A, B]': { ...claims, shops: ['A', 'B'] },
      'shops → [B]': { ...claims, shops: ['B'] },
      'exp → later': { ...claims, exp: (claims.exp as number) + 86400 * 365 },
      'sub changed': { ...claims, sub: 'seller:B' },
    };
    for (const [what, forged] of Object.entries(tampered)) {
      await expect401(`Bearer ${header}.${b64(forged)}.${signature}`, what, 'the token is not valid');
    }
    // The payload with whitespace re-encoded: same claims, different bytes → the signature no longer matches.
    await expect401(`Bearer ${header}.${b64(JSON.stringify(claims, null, 1))}.${signature}`, 're-encoded payload');
    // A flipped bit in the signature.
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    await expect401(`Bearer ${header}.${payload}.${flipped}`, 'flipped signature');
    // The reviewer's signature on the seller's payload.
    await expect401(`Bearer ${header}.${b64({ ...claims, role: 'reviewer', shops: [] })}.${tokens.reviewer.split('.')[2]}`, 'signature of another token');
  });

  it("with alg 'none' (unsigned), however spelled", async () => {
    const claims = { role: 'admin', shops: [], sub: 'admin', iss: ISSUER, iat: now(), exp: now() + 3600 };
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
      await expect401(`Bearer ${unsigned}.`, `alg ${alg} with empty signature`);
      await expect401(`Bearer ${unsigned}`, `alg ${alg} without signature part`);
      // …or with the original signature of a valid admin token left on.
      await expect401(`Bearer ${unsigned}.${tokens.admin.split('.')[2]}`, `alg ${alg} with a stale signature`);
    }
    // The header of a valid token switched to none, payload and signature kept.
    const [, payload, signature] = tokens.admin.split('.');
    await expect401(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`, 'header switched to none');
    await expect401(`Bearer ${b64({ typ: 'JWT' })}.${payload}.${signature}`, 'no alg at all');
  });

  it('with another algorithm: HS384/HS512 with the right secret, RS256/ES256 with a key pair, RS256 header over an HMAC', async () => {
    for (const alg of ['HS384', 'HS512']) {
      const t = await new SignJWT({ role: 'admin', shops: [] })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject('admin')
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(SECRET);
      await expect401(`Bearer ${t}`, alg);
    }
    for (const alg of ['RS256', 'ES256']) {
      const { privateKey } = await generateKeyPair(alg);
      const t = await new SignJWT({ role: 'admin', shops: [] })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setSubject('admin')
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      await expect401(`Bearer ${t}`, alg);
    }
    // Algorithm confusion: the header says RS256 / HS512, the signature is an HMAC-SHA256 with the right secret.
    for (const alg of ['RS256', 'HS512', 'ES256']) {
      await expect401(`Bearer ${hmacToken({ alg, typ: 'JWT' }, sellerClaims({ role: 'admin', shops: [] }))}`, `confused ${alg}`);
    }
  });

  it('missing exp, missing sub, wrong or missing issuer', async () => {
    const base = () => new SignJWT({ role: 'admin', shops: [] }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
    await expect401(`Bearer ${await base().setSubject('admin').setIssuer(ISSUER).sign(SECRET)}`, 'missing exp');
    await expect401(`Bearer ${await base().setIssuer(ISSUER).setExpirationTime('1h').sign(SECRET)}`, 'missing sub');
    await expect401(`Bearer ${await base().setSubject('admin').setIssuer('someone-else').setExpirationTime('1h').sign(SECRET)}`, 'wrong issuer');
    await expect401(
      `Bearer ${await base().setSubject('admin').setIssuer('Intervention-Watch').setExpirationTime('1h').sign(SECRET)}`,
      'issuer in another case',
    );
    await expect401(`Bearer ${await base().setSubject('admin').setExpirationTime('1h').sign(SECRET)}`, 'missing issuer');
    await expect401(`Bearer ${hmacToken({ alg: 'HS256', typ: 'JWT' }, sellerClaims({ exp: String(now() + 3600) }))}`, 'exp as a string');
  });

  it('correctly signed but with claims the server does not know (no shops, unknown role, wrong types)', async () => {
    const h = { alg: 'HS256', typ: 'JWT' };
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ shops: [] }))}`, 'seller without shops', 'a seller token without shops');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ shops: undefined }))}`, 'seller with no shops claim');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ role: 'superuser' }))}`, 'unknown role');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ role: 'Reviewer' }))}`, 'role in another case');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ role: undefined }))}`, 'no role');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ shops: 'A' }))}`, 'shops as a string');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ shops: [''] }))}`, 'an empty shop id');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ shops: [1] }))}`, 'a numeric shop id');
    await expect401(`Bearer ${hmacToken(h, sellerClaims({ sub: '' }))}`, 'an empty subject');
  });

  it('malformed strings and headers', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'no header'],
      ['', 'empty header'],
      ['Bearer', 'Bearer with nothing'],
      ['Bearer ', 'Bearer and a space'],
      ['Bearer    ', 'Bearer and spaces'],
      [tokens.reviewer, 'token without a scheme'],
      [`Basic ${Buffer.from('admin:admin').toString('base64')}`, 'Basic'],
      [`Token ${tokens.reviewer}`, 'another scheme'],
      [`Bearer ${tokens.reviewer} extra`, 'two words'],
      [`Bearer ${tokens.reviewer}${tokens.reviewer}`, 'two tokens glued'],
      [`Bearer ${tokens.reviewer}.`, 'a fourth part'],
      ['Bearer abc', 'one word'],
      ['Bearer a.b.c', 'three junk parts'],
      ['Bearer ..', 'three empty parts'],
      ['Bearer e30.e30.', 'empty JSON objects'],
      ['Bearer e30.e30.e30', 'empty JSON objects, junk signature'],
      [`Bearer ${b64('not json')}.${b64('not json')}.abc`, 'parts that are not JSON'],
      [`Bearer ${'x'.repeat(8000)}`, 'a very long token'],
      ['Bearer %00%00', 'percent junk'],
      ["Bearer ' OR 1=1 --", 'injection (two words)'],
      ["Bearer 'OR'1'='1'--", 'injection (one word)'],
    ];
    for (const [header, what] of cases) await expect401(header, what);
  });

  it('the token is not read from the query string or a cookie', async () => {
    const q = await request(app).get(`/api/me?access_token=${tokens.reviewer}`);
    expect(q.status).toBe(401);
    const c = await request(app).get('/api/me').set('Cookie', `token=${tokens.reviewer}`);
    expect(c.status).toBe(401);
  });
});

describe('rate limiting of failed authentications', () => {
  it('answers 429 with a JSON message after N failed authentications; public routes stay open', async () => {
    const limited = createApp({ db, secret: SECRET, authFailuresPerMinute: 5 });
    for (let i = 1; i <= 5; i++) {
      const res = await request(limited).get('/api/me').set('Authorization', `Bearer bad-${i}`);
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const blocked = await request(limited).get('/api/me').set('Authorization', 'Bearer bad-6');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ error: 'too_many_requests', message: expect.stringMatching(/too many failed authentications/) });
    // Guessing on with a (stolen) valid token does not get through either, nor does trying without one.
    expect((await request(limited).get('/api/me').set('Authorization', `Bearer ${tokens.admin}`)).status).toBe(429);
    expect((await request(limited).get('/api/shops/A/metrics')).status).toBe(429);
    // Health and the API document are not behind the limiter.
    expect((await request(limited).get('/api/health')).status).toBe(200);
    expect((await request(limited).get('/api/openapi.json')).status).toBe(200);
    // Another app (another limiter) is not affected: the limit is per app, not global.
    expect((await me(`Bearer ${tokens.admin}`)).status).toBe(200);
  });

  it('successful requests and 403s do not count against the limit', async () => {
    const limited = createApp({ db, secret: SECRET, authFailuresPerMinute: 3 });
    for (let i = 0; i < 12; i++) expect((await request(limited).get('/api/me').set('Authorization', `Bearer ${tokens.sellerA}`)).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await request(limited).get('/api/shops/B/metrics').set('Authorization', `Bearer ${tokens.sellerA}`)).status).toBe(403);
    for (let i = 0; i < 6; i++) expect((await request(limited).get('/api/flagged?limit=0').set('Authorization', `Bearer ${tokens.reviewer}`)).status).toBe(400);
    for (let i = 1; i <= 3; i++) expect((await request(limited).get('/api/me').set('Authorization', 'Bearer nope')).status, `failure ${i}`).toBe(401);
    expect((await request(limited).get('/api/me').set('Authorization', 'Bearer nope')).status).toBe(429);
  });
});

describe('npm run token', () => {
  const AUTH_SECRET = 'cli-test-secret-0123456789abcdef0123456789';
  // A data folder of its own, so the CLI can never fall back to (or create) the project's secret file.
  const env = { ...process.env, AUTH_SECRET, DATA_DIR: tempDir('iw-token-cli-') };
  const lastWord = (stdout: string) => stdout.trim().split(/\s+/).at(-1)!;

  it('prints a seller token whose last word the server (same secret) accepts for that shop only', async () => {
    const { stdout } = await run('npm', ['run', 'token', '--', '--role', 'seller', '--shop', 'A'], { cwd: ROOT, env });
    const token = lastWord(stdout);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const cliApp = createApp({ db, secret: new TextEncoder().encode(AUTH_SECRET), authFailuresPerMinute: 1e6 });
    const who = await request(cliApp).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ role: 'seller', shops: ['A'] });
    const own = await request(cliApp).get('/api/shops/A/metrics').set('Authorization', `Bearer ${token}`);
    expect(own.status).toBe(200);
    expect(own.body.shopId).toBe('A');
    expect((await request(cliApp).get('/api/shops/B/metrics').set('Authorization', `Bearer ${token}`)).status).toBe(403);
    // It was signed with AUTH_SECRET: an app with another secret refuses it.
    expect((await me(`Bearer ${token}`)).status).toBe(401);
  }, 30_000);

  it('prints a reviewer token; --role seller without --shop exits 2 with the usage', async () => {
    const { stdout } = await run('npm', ['run', 'token', '--', '--role', 'reviewer', '--subject', 'zhao@example.com'], { cwd: ROOT, env });
    const cliApp = createApp({ db, secret: new TextEncoder().encode(AUTH_SECRET), authFailuresPerMinute: 1e6 });
    const who = await request(cliApp)
      .get('/api/me')
      .set('Authorization', `Bearer ${lastWord(stdout)}`);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ subject: 'zhao@example.com', role: 'reviewer', shops: [] });

    const failed = await run('npm', ['run', 'token', '--', '--role', 'seller'], { cwd: ROOT, env }).then(
      () => null,
      (error: { code?: number; stdout: string; stderr: string }) => error,
    );
    expect(failed, 'exits non-zero').not.toBeNull();
    expect(failed!.code).toBe(2);
    expect(failed!.stderr).toMatch(/--role seller needs --shop/);
    expect(failed!.stdout).not.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/m);
  }, 30_000);
});
