// Access control over the whole API, driven by the OpenAPI document: every operation is called with no
// token, a seller of another shop, a reviewer and an admin, and the answer must fit the operation's
// declared access (x-access). Also: the document is OpenAPI 3.1 in shape and lists every declared route,
// and a shop id in the URL cannot reach another shop however it is encoded.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import type { Database } from '../server/db/database.js';
import { LAST_DAY, SECRET, buildSmallWorld, makeTokens, type Tokens } from './fixtures/small-world.js';
import { HEADERS, caseRow, ingest, tempDir, writeCsv } from './helpers.js';

type Method = 'get' | 'post' | 'delete';
type Access = 'public' | 'any' | 'shop' | 'seller-shop' | 'reviewer' | 'admin';
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
}
interface Operation {
  'x-access': Access;
  responses: Record<string, unknown>;
  parameters?: Parameter[];
  summary?: string;
  security?: unknown[];
}
interface Op {
  method: Method;
  path: string;
  access: Access;
  op: Operation;
}

let db: Database;
let app: Express;
let tokens: Tokens;
let sellerAC: string;
let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };
let ops: Op[];
let appealA: number;
let appealC: number;
/** A webhook subscription of A's seller (alerts), for the routes that take a subscription id. */
let subscriptionA: number;

const ALL_ACCESS: Access[] = ['public', 'any', 'shop', 'seller-shop', 'reviewer', 'admin'];

function call(method: Method, url: string, token?: string, body?: unknown) {
  let r =
    method === 'get'
      ? request(app).get(url)
      : method === 'delete'
        ? request(app).delete(url)
        : request(app)
            .post(url)
            .send(body ?? {});
  if (token) r = r.set('Authorization', `Bearer ${token}`);
  return r;
}

/** The operation's URL with its path parameters filled in; an unknown parameter fails the test (add it here). */
function urlFor(template: string, values: { shopId: string; appealId: number }): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'shopId') return encodeURIComponent(values.shopId);
    if (name === 'appealId') return String(values.appealId);
    if (name === 'subscriptionId') return String(subscriptionA);
    // A case of the shop asked about (B's is added in beforeAll: the small world gives B no case).
    if (name === 'caseId') return { A: 'a1', B: 'b1', C: 'c1' }[values.shopId] ?? 'a1';
    throw new Error(`no value for path parameter ${name} in ${template}`);
  });
}

const label = (o: Op) => `${o.method.toUpperCase()} ${o.path} (${o.access})`;
const byAccess = (...access: Access[]) => ops.filter((o) => access.includes(o.access));

beforeAll(async () => {
  const world = await buildSmallWorld();
  db = world.db;
  app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6 });
  tokens = await makeTokens();
  sellerAC = await signToken(SECRET, { role: 'seller', shops: ['A', 'C'] });

  const res = await request(app).get('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  ops = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method as Method, path: p, access: op['x-access'], op });
  }

  // One case for B (excluded, so B's numbers stay as the small world has them), for the routes that take a case id.
  const dir = tempDir();
  writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
    caseRow('b1', 'B-2026-10-01-1', 'B', '2026-10-01T10:00:00+08:00', { excluded: 'true', exclusionReason: 'test' }),
  ]);
  expect((await ingest(db, [dir])).exitCode).toBe(0);

  // Real appeals, filed by the sellers of the two restricted shops, for the routes that take an appeal id.
  const a = await call('post', '/api/shops/A/appeals', tokens.sellerA, { text: 'We fixed the quality problem last week.' });
  expect(a.status).toBe(201);
  appealA = a.body.id;
  const c = await call('post', '/api/shops/C/appeals', tokens.sellerC, { text: 'Our courier caused these; see the tickets.' });
  expect(c.status).toBe(201);
  appealC = c.body.id;
  expect(appealC).not.toBe(appealA);
  // A public literal address (TEST-NET-3): accepted without a DNS lookup, never called (no worker runs here).
  const s = await call('post', '/api/subscriptions', tokens.sellerA, {
    shopId: 'A',
    url: 'https://203.0.113.10/hook',
    format: 'json',
    events: ['level.changed'],
  });
  expect(s.status).toBe(201);
  subscriptionA = s.body.id;
});
afterAll(async () => db?.close());

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 in shape: responses on every operation, every path parameter declared', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toHaveProperty('info.title');
    expect(doc).toHaveProperty('info.version');
    expect(doc).toHaveProperty('components.securitySchemes.bearer.scheme', 'bearer');
    for (const o of ops) {
      expect(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'], label(o)).toContain(o.method);
      expect(o.path, label(o)).toMatch(/^\/api\//);
      expect(ALL_ACCESS, label(o)).toContain(o.access);
      const codes = Object.keys(o.op.responses ?? {});
      expect(codes.length, label(o)).toBeGreaterThan(0);
      expect(
        codes.some((c) => /^2\d\d$/.test(c)),
        label(o),
      ).toBe(true);
      for (const c of codes) expect(c, label(o)).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
      // Every $ref in the responses resolves inside the document.
      for (const value of Object.values(o.op.responses)) {
        const ref = (value as { $ref?: string }).$ref;
        if (ref) {
          const target = ref
            .replace(/^#\//, '')
            .split('/')
            .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
          expect(target, `${label(o)} ${ref}`).toBeDefined();
        }
      }
      const params = o.op.parameters ?? [];
      const templated = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declaredPath = params.filter((p) => p.in === 'path');
      expect(declaredPath.map((p) => p.name).sort(), label(o)).toEqual(templated);
      for (const p of declaredPath) expect(p.required, `${label(o)} ${p.name}`).toBe(true);
      for (const p of params) {
        expect(['path', 'query', 'header', 'cookie'], `${label(o)} ${p.name}`).toContain(p.in);
        expect(p.schema, `${label(o)} ${p.name}`).toBeTypeOf('object');
      }
      const keys = params.map((p) => `${p.in}:${p.name}`);
      expect(new Set(keys).size, label(o)).toBe(keys.length);
      // A protected operation documents 401 and 403; a public one opts out of the global security.
      if (o.access === 'public') expect(o.op.security, label(o)).toEqual([]);
      else expect(codes, label(o)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('lists every route declared in server/api/routes with its declared access, and nothing else', () => {
    const dir = path.join(import.meta.dirname, '..', 'server', 'api', 'routes');
    const declared: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const adds = text.split('api.add(').length - 1;
      const found = [...text.matchAll(/method: '(get|post|delete)',\s+path: '([^']+)',\s+access: '([\w-]+)'/g)];
      // Every api.add(…) of the file was understood by the pattern above.
      expect(found.length, file).toBe(adds);
      for (const m of found) declared.push(`${m[1]} /api${m[2].replace(/:(\w+)/g, '{$1}')} ${m[3]}`);
    }
    const documented = ops.map((o) => `${o.method} ${o.path} ${o.access}`);
    expect(documented.sort()).toEqual(declared.sort());
    expect(documented.length).toBeGreaterThanOrEqual(20);
    // The routes of issue 3, by name.
    for (const route of [
      'get /api/health public',
      'get /api/openapi.json public',
      'get /api/me any',
      'get /api/shops/{shopId}/metrics shop',
      'get /api/shops/{shopId}/trend shop',
      'get /api/shops/{shopId}/cases shop',
      'get /api/shops/{shopId}/breakdown shop',
      'get /api/shops/{shopId}/peers shop',
      'get /api/shops/{shopId}/forecast shop',
      'get /api/shops/{shopId}/history shop',
      'post /api/shops/{shopId}/decisions reviewer',
      'post /api/shops/{shopId}/appeals seller-shop',
      'get /api/flagged reviewer',
      'get /api/queue reviewer',
      'get /api/categories reviewer',
      'get /api/appeals any',
      'post /api/appeals/{appealId}/answer reviewer',
      'get /api/audit reviewer',
      'get /api/policy any',
      'post /api/policy/simulate reviewer',
      'post /api/policy/activate admin',
      'post /api/ingest admin',
    ])
      expect(documented, route).toContain(route);
  });

  it('has enough operations of each kind for the walks below to mean something', () => {
    expect(byAccess('public').length).toBeGreaterThanOrEqual(2);
    expect(byAccess('shop').length).toBeGreaterThanOrEqual(7);
    expect(byAccess('seller-shop').length).toBeGreaterThanOrEqual(1);
    expect(byAccess('reviewer').length).toBeGreaterThanOrEqual(6);
    expect(byAccess('admin').length).toBeGreaterThanOrEqual(2);
    expect(byAccess('any').length).toBeGreaterThanOrEqual(3);
  });
});

describe('every operation, by who calls it', () => {
  it('no token → 401 with a JSON message, except the public operations (200 without a token)', async () => {
    for (const o of ops) {
      const res = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }));
      if (o.access === 'public') {
        expect(res.status, label(o)).toBe(200);
      } else {
        expect(res.status, label(o)).toBe(401);
        expect(res.headers['content-type'], label(o)).toMatch(/application\/json/);
        expect(res.body, label(o)).toMatchObject({ error: 'unauthorized', message: expect.stringMatching(/bearer token/) });
      }
    }
  });

  it('a seller of A → 403 on every route of shop B', async () => {
    const shopOps = ops.filter((o) => o.path.includes('{shopId}'));
    expect(shopOps.length).toBeGreaterThanOrEqual(9);
    for (const o of shopOps) {
      const res = await call(o.method, urlFor(o.path, { shopId: 'B', appealId: appealA }), tokens.sellerA);
      expect(res.status, label(o)).toBe(403);
      expect(res.body, label(o)).toMatchObject({ error: 'forbidden', message: expect.any(String) });
      expect(JSON.stringify(res.body), label(o)).not.toContain('B店');
    }
  });

  it('a seller of A → 403 on every reviewer and admin route, even those about shop A or its own appeal', async () => {
    for (const o of byAccess('reviewer', 'admin')) {
      const res = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }), tokens.sellerA);
      expect(res.status, label(o)).toBe(403);
      expect(res.body, label(o)).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/role (reviewer|admin)/) });
    }
  });

  it('a seller of A reaches its own shop and the open routes (no 401/403/5xx; reads are 200 about A)', async () => {
    for (const o of byAccess('shop', 'seller-shop', 'any')) {
      const res = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }), tokens.sellerA);
      expect([401, 403], label(o)).not.toContain(res.status);
      expect(res.status, label(o)).toBeLessThan(500);
      if (o.method === 'get') {
        expect(res.status, label(o)).toBe(200);
        if (o.path.includes('{shopId}')) expect(res.body.shopId, label(o)).toBe('A');
      } else if (o.method === 'delete') {
        // Deleting its own subscription (the log stays readable, deleting again changes nothing).
        expect(res.status, label(o)).toBe(200);
      } else {
        // POST with an empty body: past the access check, stopped by validation.
        expect(res.status, label(o)).toBe(400);
      }
    }
  });

  it('a seller of A and C reaches both and still not B', async () => {
    for (const o of byAccess('shop').filter((x) => x.method === 'get')) {
      for (const shopId of ['A', 'C']) {
        const res = await call('get', urlFor(o.path, { shopId, appealId: appealA }), sellerAC);
        expect(res.status, `${label(o)} ${shopId}`).toBe(200);
        expect(res.body.shopId).toBe(shopId);
      }
      expect((await call('get', urlFor(o.path, { shopId: 'B', appealId: appealA }), sellerAC)).status, label(o)).toBe(403);
    }
  });

  it('a reviewer → never 403 and never 5xx on shop, reviewer and any routes; reads are 200', async () => {
    for (const o of byAccess('shop', 'reviewer', 'any')) {
      for (const shopId of ['A', 'B']) {
        const res = await call(o.method, urlFor(o.path, { shopId, appealId: appealA }), tokens.reviewer);
        expect(res.status, `${label(o)} ${shopId}`).not.toBe(403);
        expect(res.status, `${label(o)} ${shopId}`).not.toBe(401);
        expect(res.status, `${label(o)} ${shopId}`).toBeLessThan(500);
        if (o.method === 'get') expect(res.status, `${label(o)} ${shopId}`).toBe(200);
        if (o.method === 'get' && o.path.includes('{shopId}')) expect(res.body.shopId).toBe(shopId);
      }
    }
  });

  it('a reviewer → 403 on admin-only routes and on the seller-only appeal; an admin → not 403 on admin routes', async () => {
    for (const o of byAccess('admin')) {
      const asReviewer = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }), tokens.reviewer);
      expect(asReviewer.status, label(o)).toBe(403);
      expect(asReviewer.body, label(o)).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/role admin/) });
      const asAdmin = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }), tokens.admin);
      expect([401, 403], label(o)).not.toContain(asAdmin.status);
      expect(asAdmin.status, label(o)).toBeLessThan(500);
      // Empty bodies: the admin gets past the access check to the validation.
      expect(asAdmin.status, label(o)).toBe(400);
    }
    for (const o of byAccess('seller-shop')) {
      for (const who of [tokens.reviewer, tokens.admin]) {
        const res = await call(o.method, urlFor(o.path, { shopId: 'A', appealId: appealA }), who);
        expect(res.status, label(o)).toBe(403);
      }
    }
  });

  it('an admin may do whatever a reviewer may', async () => {
    for (const o of byAccess('shop', 'reviewer', 'any')) {
      const res = await call(o.method, urlFor(o.path, { shopId: 'B', appealId: appealA }), tokens.admin);
      expect([401, 403], label(o)).not.toContain(res.status);
      expect(res.status, label(o)).toBeLessThan(500);
      if (o.method === 'get') expect(res.status, label(o)).toBe(200);
    }
  });
});

describe('identifiers in URLs cannot reach another shop', () => {
  const PATHS = [
    '/api/shops/B/metrics',
    '/api/shops/%42/metrics',
    '/api/shops/%2542/metrics',
    '/api/shops/A%2F..%2FB/metrics',
    '/api/shops/A%2f..%2fB/metrics',
    '/api/shops/A/..%2FB/metrics',
    '/api/shops/B%00/metrics',
    '/api/shops/A%00B/metrics',
    '/api/shops/A,B/metrics',
    '/api/shops/A;B/metrics',
    '/api/shops/A%3BB/metrics',
    '/api/shops/%20B/metrics',
    '/api/shops/B%20/metrics',
    '/api/shops/b/metrics',
    '/api/shops/%EF%BC%A2/metrics', // fullwidth Ｂ
    '/api/shops/B%E2%80%8B/metrics', // B + zero-width space
    '/api/shops/*/metrics',
    '/api/shops/%2A/metrics',
    '/api/shops/A%7CB/metrics',
    "/api/shops/A'%20OR%20'1'%3D'1/metrics",
    '/api/SHOPS/B/METRICS',
    '/api/shops/B/metrics/',
    '/api/shops/A/../B/metrics',
    '/api/shops/A/%2e%2e/B/metrics',
    '/api/shops/A/metrics/../../B/metrics',
    '/api/shops/A/metrics?shopId=B',
    '/api/shops/A/metrics?shops=B',
  ];

  it('a seller of A never gets a 200 about any shop but A, nor B’s data', async () => {
    for (const p of PATHS) {
      const res = await request(app).get(p).set('Authorization', `Bearer ${tokens.sellerA}`);
      if (res.status === 200) expect(res.body.shopId, p).toBe('A');
      expect(res.status, p).toBeLessThan(500);
      expect(res.text, p).not.toContain('B店');
      expect(res.text, p).not.toMatch(/"orders":1500/);
    }
  });

  it('each of those is refused outright (403 or 404 or 400), with a JSON message', async () => {
    for (const p of PATHS) {
      const res = await request(app).get(p).set('Authorization', `Bearer ${tokens.sellerA}`);
      expect([400, 403, 404], p).toContain(res.status);
      expect(res.body, p).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    // The plain and the percent-encoded B are the same shop to the server: 403, not 404.
    for (const p of [
      '/api/shops/B/metrics',
      '/api/shops/%42/metrics',
      '/api/shops/A%2F..%2FB/metrics',
      '/api/shops/b/metrics',
      '/api/shops/A,B/metrics',
      '/api/shops/%20B/metrics',
      '/api/shops/B%00/metrics',
    ]) {
      expect((await request(app).get(p).set('Authorization', `Bearer ${tokens.sellerA}`)).status, p).toBe(403);
    }
  });

  it('the same encodings on every shop route, and on the appeal a seller files', async () => {
    const encodings = ['B', '%42', 'A%2F..%2FB', 'B%00', 'A,B', '%20B', 'b'];
    for (const o of ops.filter((x) => x.path.includes('{shopId}'))) {
      for (const e of encodings) {
        const url = o.path.replace('{shopId}', e);
        const res = await call(
          o.method,
          url,
          tokens.sellerA,
          o.method === 'post' ? { text: 'A long enough appeal text for shop B.', action: 'note', reason: 'no' } : undefined,
        );
        expect(res.status, `${label(o)} ${url}`).toBe(403);
      }
    }
    // Nothing was filed for any shop but A and C (by their own sellers in beforeAll).
    const all = await call('get', '/api/appeals', tokens.reviewer);
    expect(all.body.items.map((x: { shopId: string }) => x.shopId).sort()).toEqual(['A', 'C']);
  });

  it("a seller of A lists only A's appeals, whatever shopId it asks for", async () => {
    const mine = await call('get', '/api/appeals', tokens.sellerA);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((x: { id: number; shopId: string }) => [x.id, x.shopId])).toEqual([[appealA, 'A']]);
    for (const shopId of ['C', 'c', 'A,C', '%43', "C' OR '1'='1", '']) {
      const res = await request(app).get('/api/appeals').query({ shopId }).set('Authorization', `Bearer ${tokens.sellerA}`);
      expect(res.status, shopId).toBe(200);
      for (const item of res.body.items) expect(item.shopId, shopId).toBe('A');
      expect(
        res.body.items.some((x: { id: number }) => x.id === appealC),
        shopId,
      ).toBe(false);
    }
    // And the reviewer sees both, so the filter above had something to hide.
    const all = await call('get', '/api/appeals', tokens.reviewer);
    expect(all.body.items.map((x: { id: number }) => x.id).sort()).toEqual([appealA, appealC].sort());
    const onlyC = await request(app).get('/api/appeals').query({ shopId: 'C' }).set('Authorization', `Bearer ${tokens.reviewer}`);
    expect(onlyC.body.items.map((x: { id: number }) => x.id)).toEqual([appealC]);
  });

  it('a seller cannot answer its own appeal, nor file one for a shop not its own', async () => {
    const answer = await call('post', `/api/appeals/${appealA}/answer`, tokens.sellerA, { decision: 'accept', reason: 'it is mine' });
    expect(answer.status).toBe(403);
    const other = await call('post', '/api/shops/C/appeals', tokens.sellerA, { text: 'Filing for somebody else’s shop.' });
    expect(other.status).toBe(403);
    const state = await call('get', '/api/appeals', tokens.reviewer);
    expect(state.body.items.map((x: { state: string }) => x.state)).toEqual(['pending', 'pending']);
  });

  it('the data the routes answer for A is about A on the last day (the walk above hit real data)', async () => {
    const res = await call('get', '/api/shops/A/metrics', tokens.sellerA);
    expect(res.body).toMatchObject({ shopId: 'A', date: LAST_DAY, level: 'restricted' });
  });
});
