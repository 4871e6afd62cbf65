// Malformed input on every parameter of every route, derived from the OpenAPI document (so a new
// route or parameter is covered without editing this file): each bad value is a 400 whose message
// names the parameter. Then a seeded fuzz run of random requests: no 5xx, every error is JSON with
// error and message and no stack trace, and the data is intact afterwards.
//
// Reproduce a fuzz failure with FUZZ_SEED=<seed> (printed in the failure) and FUZZ_RUNS=<n>.
import http from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { PROJECT_ROOT } from '../server/config.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import type { Database } from '../server/db/database.js';
import { signToken } from '../server/auth/tokens.js';
import { addDays } from './helpers.js';
import { FIRST_DAY, LAST_DAY, SECRET, buildSmallWorld, makeTokens, tableCounts, type Tokens } from './fixtures/small-world.js';

type Method = 'get' | 'post' | 'delete';
type Access = 'public' | 'any' | 'shop' | 'seller-shop' | 'reviewer' | 'admin';
interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  prefixItems?: JsonSchema[];
  items?: JsonSchema | false;
  minItems?: number;
}
interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}
interface Operation {
  'x-access': Access;
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
interface Op {
  method: Method;
  path: string;
  access: Access;
  op: Operation;
  key: string;
}

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE orders; --', '../../etc/passwd', "1'; DELETE FROM shops; --", '<script>alert(1)</script>', '${7*7}', '%00'];
const BAD_DATES = [
  'yesterday',
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '2026-10-00',
  '2026-10-8',
  '20261008',
  '2026/10/08',
  '2026-10-08T00:00:00Z',
  '+2026-10-08',
  ' 2026-10-08',
  '2026-10-08 ',
  '1e309',
  '99999999999999999999',
  '-1',
  '',
];
/** Date parameters that filter rather than pick a stat date: any calendar date is fine for them. */
const FILTER_DATES = new Set(['get /api/audit query from', 'get /api/audit query to']);

let db: Database;
let server: http.Server;
let tokens: Tokens;
let ops: Op[];
let appealId: number;
let subscriptionId: number;
let countsBefore: Record<string, number>;
const logged: string[] = [];

/** Base bodies that pass validation, per POST operation; null: not a JSON body (multipart upload). */
function baseBodies(): Record<string, Record<string, unknown> | null> {
  return {
    'post /api/shops/{shopId}/decisions': { action: 'note', reason: 'baseline note from the fuzz test' },
    'post /api/decisions/bulk': { shopIds: ['A'], action: 'note', reason: 'baseline bulk note from the fuzz test' },
    'post /api/shops/{shopId}/review': { action: 'claim' },
    'post /api/shops/{shopId}/appeals': { text: 'baseline appeal from the fuzz test' },
    'post /api/appeals/{appealId}/answer': { decision: 'reject', reason: 'baseline answer' },
    'post /api/policy/simulate': { policy: structuredClone(DEFAULT_POLICY), date: LAST_DAY },
    'post /api/policy/activate': { policy: { ...structuredClone(DEFAULT_POLICY), version: 'fuzz-candidate' } },
    'post /api/ingest': null,
    // A public literal address (TEST-NET-3): no DNS lookup, never called (no delivery worker runs here).
    'post /api/subscriptions': { shopId: 'A', url: 'https://203.0.113.10/hook', format: 'json', events: ['level.changed'], secret: 'fuzz-secret-0123' },
    'delete /api/subscriptions/{subscriptionId}': null,
  };
}

function tokenFor(access: Access): string | undefined {
  if (access === 'public') return undefined;
  if (access === 'admin') return tokens.admin;
  if (access === 'seller-shop') return tokens.sellerA;
  return tokens.reviewer;
}

/** A JSON number written verbatim into the body (1e309 parses to Infinity; JSON.stringify cannot say it). */
class Raw {
  constructor(readonly text: string) {}
}

function serialize(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `__RAW_${raws.length - 1}__`;
    }
    return v;
  });
  return text.replace(/"__RAW_(\d+)__"/g, (_m, i: string) => raws[Number(i)]);
}

interface Call {
  method: string;
  url: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

function send(c: Call) {
  const agent = request(server);
  let r = (agent as unknown as Record<string, (url: string) => request.Test>)[c.method](c.url);
  if (c.token) r = r.set('Authorization', `Bearer ${c.token}`);
  for (const [k, v] of Object.entries(c.headers ?? {})) r = r.set(k, v);
  if (c.rawBody !== undefined || c.body !== undefined) {
    r = r.set('Content-Type', c.contentType ?? 'application/json').send(c.rawBody ?? serialize(c.body));
  }
  return r;
}

function urlOf(o: Op, pathValues: Record<string, string> = {}, query: [string, string][] = []): string {
  const p = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name in pathValues) return encodeURIComponent(pathValues[name]);
    if (name === 'shopId') return 'A';
    if (name === 'appealId') return String(appealId);
    if (name === 'subscriptionId') return String(subscriptionId);
    if (name === 'caseId') return 'a1';
    throw new Error(`no value for path parameter ${name} of ${o.key}`);
  });
  const qs = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return qs ? `${p}?${qs}` : p;
}

/** The message's issues ('; '-separated) all concern the parameter (or a part or parent of it), and one names it exactly. */
function namesParameter(message: string, name: string): boolean {
  const parts = message.split('; ');
  const subject = (part: string) => /^([^:]+):/.exec(part)?.[1] ?? '';
  const related = (s: string) => s === name || s.startsWith(`${name}.`) || name.startsWith(`${s}.`);
  return parts.every((p) => related(subject(p))) && parts.some((p) => subject(p) === name || subject(p).startsWith(`${name}.`));
}

function bodySchema(o: Op): JsonSchema | undefined {
  return o.op.requestBody?.content['application/json']?.schema;
}

function badQueryValues(s: JsonSchema, where: 'path' | 'query'): (string | string[])[] {
  const out = new Set<string>(['z'.repeat(10_000)]);
  if (s.enum) {
    for (const v of ['bogus', String(s.enum[0]).toUpperCase(), ` ${String(s.enum[0])}`, `${String(s.enum[0])}x`, '', ...INJECTIONS]) out.add(v);
  } else if (s.pattern === DATE_PATTERN) {
    for (const v of [...BAD_DATES, ...INJECTIONS]) out.add(v);
  } else if (s.type === 'integer' || s.type === 'number') {
    for (const v of ['abc', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', 'true', '[]', '0x', ...INJECTIONS]) out.add(v);
    if (s.type === 'integer') for (const v of ['1.5', '0.25']) out.add(v);
    if (s.maximum !== undefined) {
      out.add(String(s.maximum + 1));
      if (s.maximum < 1e20) out.add('99999999999999999999');
    }
    if (s.minimum !== undefined) out.add(String(s.minimum - 1));
    if (s.exclusiveMinimum !== undefined) {
      out.add(String(s.exclusiveMinimum));
      out.add('-1');
    }
  } else if (s.type === 'string') {
    if (s.maxLength !== undefined) out.add('x'.repeat(s.maxLength + 1));
    if ((s.minLength ?? 0) >= 1 && where === 'query') out.add('');
  }
  const values: (string | string[])[] = [...out];
  // A list where one value is expected: `?p=a&p=b`.
  if (where === 'query') values.push(['a', 'b'], [LAST_DAY, LAST_DAY]);
  return values;
}

type BodyCase = { name: string; value: unknown };

function badJsonValues(s: JsonSchema): unknown[] {
  const wrongTypes = (except: string) =>
    [42, 'text', true, null, [], {}].filter(
      (v) =>
        (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v) !== except &&
        !(except === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)),
    );
  if (s.const !== undefined) return ['other', 42, null];
  if (s.enum) return ['bogus', String(s.enum[0]).toUpperCase(), 42, null, true, [s.enum[0]], {}, ...INJECTIONS];
  if (s.type === 'string') {
    const out: unknown[] = wrongTypes('string');
    if (s.pattern === DATE_PATTERN) out.push(...BAD_DATES, 20261008, [LAST_DAY], ...INJECTIONS);
    else if (s.pattern) out.push('', 'with space', ...INJECTIONS.filter((i) => !new RegExp(s.pattern!).test(i)));
    if (s.maxLength !== undefined) out.push('x'.repeat(s.maxLength + 1));
    if (s.maxLength !== undefined && s.maxLength < 10_000) out.push('x'.repeat(10_000));
    if ((s.minLength ?? 0) >= 1) out.push('x'.repeat(s.minLength! - 1), ' '.repeat(s.minLength! + 2));
    return out;
  }
  if (s.type === 'integer' || s.type === 'number') {
    const out: unknown[] = ['5', null, true, [], {}, new Raw('1e309'), new Raw('-1e309')];
    if (s.type === 'integer') out.push(1.5);
    if (s.maximum !== undefined) out.push(s.maximum + 1, new Raw('99999999999999999999'));
    if (s.minimum !== undefined) out.push(s.minimum - 1);
    if (s.exclusiveMinimum !== undefined) out.push(s.exclusiveMinimum, -1);
    return out;
  }
  if (s.type === 'object') return [...wrongTypes('object'), ...((s.required ?? []).length > 0 ? [{}] : [])];
  if (s.type === 'array')
    return [...wrongTypes('array'), ...(s.minItems !== undefined && s.minItems > 0 ? [[]] : []), ...(s.prefixItems ? [[null, null, null]] : [])];
  return [];
}

/** Every (dotted) field of a body schema, nested objects and tuples included. */
function bodyFields(s: JsonSchema, prefix = ''): { name: string; schema: JsonSchema }[] {
  const out: { name: string; schema: JsonSchema }[] = [];
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    const name = prefix ? `${prefix}.${k}` : k;
    out.push({ name, schema: child }, ...bodyFields(child, name));
  }
  (s.prefixItems ?? []).forEach((child, i) => out.push({ name: `${prefix}.${i}`, schema: child }, ...bodyFields(child, `${prefix}.${i}`)));
  return out;
}

function withField(base: Record<string, unknown>, dotted: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  const keys = dotted.split('.');
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return copy;
}

function withoutField(base: Record<string, unknown>, dotted: string): Record<string, unknown> {
  const copy = structuredClone(base);
  const keys = dotted.split('.');
  let node: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  delete node[keys.at(-1)!];
  return copy;
}

/** No stack frames, no server file paths, no 'stack' field. */
function leaksInternals(text: string): string | null {
  if (/^\s+at\s/m.test(text) || /\bat\s+\S+\s+\(.*:\d+:\d+\)/.test(text) || /\\n\s+at\s/.test(text)) return 'a stack frame';
  if (text.includes(PROJECT_ROOT)) return 'the project path';
  if (/node_modules/.test(text)) return 'node_modules';
  if (/\.(ts|js|mjs|cjs):\d+/.test(text)) return 'a source location';
  if (/"stack"\s*:/.test(text)) return 'a stack field';
  return null;
}

function expectErrorBody(res: request.Response, what: string) {
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  expect(res.body, what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  expect(res.body.message.length, what).toBeGreaterThan(0);
  expect(leaksInternals(res.text), what).toBeNull();
}

beforeAll(async () => {
  const world = await buildSmallWorld();
  db = world.db;
  // Errors the app logs (a 500 logs 'request failed') land here.
  const sink = new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) });
  const app = createApp({ db, secret: SECRET, authFailuresPerMinute: 1e6, logger: pino({ level: 'error' }, sink) });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tokens = await makeTokens();
  const res = await request(server).get('/api/openapi.json');
  expect(res.status).toBe(200);
  ops = [];
  for (const [p, item] of Object.entries(res.body.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) ops.push({ method: method as Method, path: p, access: op['x-access'], op, key: `${method} ${p}` });
  }
  expect(ops.length).toBeGreaterThanOrEqual(20);
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.close();
});

describe('malformed input on every parameter of every route', () => {
  it('the baselines are accepted: every GET with no query is 200, every POST base body passes validation', async () => {
    const bodies = baseBodies();
    // The appeal first: the answer needs its id.
    const appeal = await send({ method: 'post', url: '/api/shops/A/appeals', token: tokens.sellerA, body: bodies['post /api/shops/{shopId}/appeals'] });
    expect(appeal.status).toBe(201);
    appealId = appeal.body.id;
    // A subscription, for the routes that take its id (its delivery log stays readable once deleted).
    const subscription = await send({ method: 'post', url: '/api/subscriptions', token: tokens.sellerA, body: bodies['post /api/subscriptions'] });
    expect(subscription.status).toBe(201);
    subscriptionId = subscription.body.id;
    for (const o of ops) {
      if (o.method === 'get') {
        const res = await send({ method: 'get', url: urlOf(o), token: tokenFor(o.access) });
        expect(res.status, o.key).toBe(200);
        continue;
      }
      expect(o.key in bodies, `${o.key}: add a base body to baseBodies()`).toBe(true);
      if (o.key === 'post /api/shops/{shopId}/appeals' || bodies[o.key] === null) continue;
      // Activation would change the policy for every later test: its base body is proven valid by the
      // one-issue messages below instead (every mutation's message names only the mutated field).
      if (o.key === 'post /api/policy/activate') continue;
      const res = await send({ method: 'post', url: urlOf(o), token: tokenFor(o.access), body: bodies[o.key] });
      expect(res.status, `${o.key} ${res.text}`).toBeLessThan(300);
    }
    countsBefore = await tableCounts(db);
    expect(countsBefore.orders).toBe(2052);
    expect(countsBefore.shops).toBe(3);
  });

  it('bad values of every path and query parameter → 400 naming the parameter', async () => {
    const covered = new Set<string>();
    let checked = 0;
    for (const o of ops) {
      for (const p of o.op.parameters ?? []) {
        // Free-text path ids (shopId) have no bad value but their length: anything else is an unknown shop (see below).
        for (const value of badQueryValues(p.schema, p.in)) {
          const url =
            p.in === 'path'
              ? urlOf(o, { [p.name]: value as string })
              : urlOf(
                  o,
                  {},
                  (Array.isArray(value) ? value : [value]).map((v) => [p.name, v]),
                );
          const what = `${o.key} ${p.in} ${p.name}=${JSON.stringify(value).slice(0, 60)}`;
          const res = await send({
            method: o.method,
            url,
            token: tokenFor(o.access),
            body: o.method === 'post' ? (baseBodies()[o.key] ?? undefined) : undefined,
          });
          expect(res.status, what).toBe(400);
          expectErrorBody(res, what);
          expect(res.body.error, what).toBe('bad_request');
          expect(namesParameter(res.body.message, p.name), `${what}: ${res.body.message}`).toBe(true);
          covered.add(`${o.key} ${p.in} ${p.name}`);
          checked++;
        }
      }
    }
    // Every declared parameter got bad values.
    const declared = ops.flatMap((o) => (o.op.parameters ?? []).map((p) => `${o.key} ${p.in} ${p.name}`));
    expect([...covered].sort()).toEqual([...new Set(declared)].sort());
    expect(declared.length).toBeGreaterThanOrEqual(25);
    expect(checked).toBeGreaterThan(500);
  });

  it('dates outside the data → 400 naming the parameter on stat dates; filter dates (audit) take any calendar date', async () => {
    const outside = ['1999-12-31', addDays(FIRST_DAY, -1), addDays(LAST_DAY, 1), '2099-01-01', '0001-01-01', '9999-12-31'];
    let statParams = 0;
    for (const o of ops) {
      for (const p of (o.op.parameters ?? []).filter((x) => x.in === 'query' && x.schema.pattern === DATE_PATTERN)) {
        const id = `${o.key} query ${p.name}`;
        for (const d of outside) {
          const res = await send({ method: o.method, url: urlOf(o, {}, [[p.name, d]]), token: tokenFor(o.access) });
          if (FILTER_DATES.has(id)) {
            expect(res.status, `${id}=${d}`).toBe(200);
          } else {
            expect(res.status, `${id}=${d}`).toBe(400);
            expect(res.body.message, `${id}=${d}`).toMatch(new RegExp(`^${p.name}: ${d} is outside the data \\(${FIRST_DAY} … ${LAST_DAY}\\)`));
          }
        }
        if (!FILTER_DATES.has(id)) statParams++;
        // Both ends of the data are inside.
        for (const d of [FIRST_DAY, LAST_DAY])
          expect((await send({ method: o.method, url: urlOf(o, {}, [[p.name, d]]), token: tokenFor(o.access) })).status, `${id}=${d}`).toBe(200);
      }
    }
    expect(statParams).toBeGreaterThanOrEqual(9);
    // The simulation's date, and an activation before the data.
    const sim = ops.find((o) => o.key === 'post /api/policy/simulate')!;
    for (const d of outside) {
      const res = await send({ method: 'post', url: urlOf(sim), token: tokens.reviewer, body: { policy: DEFAULT_POLICY, date: d } });
      expect(res.status, d).toBe(400);
      expect(res.body.message, d).toMatch(/^date: /);
    }
    const act = ops.find((o) => o.key === 'post /api/policy/activate')!;
    const before = await send({
      method: 'post',
      url: urlOf(act),
      token: tokens.admin,
      body: { policy: { ...DEFAULT_POLICY, version: 'fuzz-early' }, effectiveFrom: '1999-12-31' },
    });
    expect(before.status).toBe(400);
    expect(before.body.message).toMatch(/^effectiveFrom: 1999-12-31 is before the data/);
    // A range the wrong way round.
    const trend = await send({ method: 'get', url: `/api/shops/A/trend?from=${LAST_DAY}&to=${FIRST_DAY}`, token: tokens.reviewer });
    expect(trend.status).toBe(400);
    expect(trend.body.message).toMatch(/^from: /);
  });

  it('bad values of every body field (nested too), and each required field missing → 400 naming the field', async () => {
    const bodies = baseBodies();
    const covered = new Set<string>();
    let checked = 0;
    for (const o of ops.filter((x) => bodySchema(x))) {
      const schema = bodySchema(o)!;
      const base = bodies[o.key]!;
      const fields = bodyFields(schema);
      expect(fields.length, o.key).toBeGreaterThan(0);
      const cases: BodyCase[] = [];
      for (const f of fields) for (const value of badJsonValues(f.schema)) cases.push({ name: f.name, value });
      // Nested checks the JSON schema cannot express.
      if (schema.properties?.policy) {
        cases.push(
          { name: 'policy.timeZone', value: 'Mars/Olympus' },
          { name: 'policy.timeZone', value: '../../etc/passwd' },
          { name: 'policy.timeZone', value: "' OR 1=1 --" },
        );
        cases.push({ name: 'policy.levels', value: [DEFAULT_POLICY.levels[1], DEFAULT_POLICY.levels[0]] });
        cases.push({
          name: 'policy.levels',
          value: [
            { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 20 },
            { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 10 },
          ],
        });
        cases.push({ name: 'policy.levels.0.restrictions', value: ['bogus'] });
      }
      if (o.key === 'post /api/shops/{shopId}/decisions') cases.push({ name: 'until', value: addDays(LAST_DAY, -1) });
      for (const c of cases) {
        const body = withField(base, c.name, c.value);
        // The decisions' exemption needs an end date: mutate an exemption, not a note, for 'until'.
        if (o.key === 'post /api/shops/{shopId}/decisions' && c.name === 'until') body.action = 'exempt';
        const what = `${o.key} body ${c.name}=${serialize(c.value).slice(0, 60)}`;
        const res = await send({ method: 'post', url: urlOf(o), token: tokenFor(o.access), body });
        expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(400);
        expectErrorBody(res, what);
        expect(namesParameter(res.body.message, c.name), `${what}: ${res.body.message}`).toBe(true);
        covered.add(`${o.key} ${c.name}`);
        checked++;
      }
      // Each required field missing, at every depth.
      const required = (s: JsonSchema, obj: Record<string, unknown>, prefix = ''): string[] =>
        Object.entries(s.properties ?? {}).flatMap(([k, child]) => {
          const name = prefix ? `${prefix}.${k}` : k;
          const v = obj[k];
          const inner = v && typeof v === 'object' && !Array.isArray(v) ? required(child, v as Record<string, unknown>, name) : [];
          return [...((s.required ?? []).includes(k) ? [name] : []), ...inner];
        });
      for (const name of required(schema, base)) {
        const res = await send({ method: 'post', url: urlOf(o), token: tokenFor(o.access), body: withoutField(base, name) });
        expect(res.status, `${o.key} without ${name}`).toBe(400);
        expect(namesParameter(res.body.message, name), `${o.key} without ${name}: ${res.body.message}`).toBe(true);
        checked++;
      }
      // An unknown field, at the top and inside an object.
      const extra = await send({ method: 'post', url: urlOf(o), token: tokenFor(o.access), body: { ...base, bogusField: 1 } });
      expect(extra.status, o.key).toBe(400);
      expect(extra.body.message, o.key).toBe('unknown body parameter(s): bogusField');
      for (const key of ['__proto__', 'constructor']) {
        const raw = serialize(base).replace(/^\{/, `{"${key}":{"role":"admin"},`);
        const res = await send({ method: 'post', url: urlOf(o), token: tokenFor(o.access), rawBody: raw });
        expect(res.status, `${o.key} ${key}`).toBe(400);
        expect(res.body.message, `${o.key} ${key}`).toBe(`unknown body parameter(s): ${key}`);
      }
      // Every field got bad values.
      for (const f of fields) {
        if (badJsonValues(f.schema).length > 0) expect(covered.has(`${o.key} ${f.name}`), `${o.key} ${f.name}`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  // Nested policy objects are strict too: a misspelt extra floor must not be dropped silently.
  it('an unknown key inside a nested body object → 400 naming it (checked on the read-only simulate)', async () => {
    for (const dotted of ['policy.floors.minComplaints', 'policy.lift.afterDays', 'policy.levels.0.extra']) {
      const res = await send({
        method: 'post',
        url: '/api/policy/simulate',
        token: tokens.reviewer,
        body: withField(baseBodies()['post /api/policy/simulate']!, dotted, 1),
      });
      expect(res.status, dotted).toBe(400);
      expect(res.body.message, dotted).toMatch(new RegExp(dotted.split('.').at(-1)!));
    }
  });

  it('unknown and repeated query parameters → 400 naming them, on every route (public ones too)', async () => {
    for (const o of ops) {
      for (const name of ['bogus', '__proto__', 'constructor', 'toString', 'date[]', 'shopId[]', 'SORT']) {
        const res = await send({
          method: o.method,
          url: urlOf(o, {}, [[name, '1']]),
          token: tokenFor(o.access),
          body: o.method === 'post' ? (baseBodies()[o.key] ?? undefined) : undefined,
        });
        expect(res.status, `${o.key} ?${name}`).toBe(400);
        expect(res.body.message, `${o.key} ?${name}`).toBe(`unknown query parameter(s): ${name}`);
      }
      const two = await send({
        method: o.method,
        url: urlOf(o, {}, [
          ['x1', '1'],
          ['x2', '2'],
        ]),
        token: tokenFor(o.access),
        body: o.method === 'post' ? (baseBodies()[o.key] ?? undefined) : undefined,
      });
      expect(two.status, o.key).toBe(400);
      expect(two.body.message, o.key).toMatch(/unknown query parameter\(s\): x1, x2/);
    }
  });

  it('bodies that are not an object, malformed JSON, oversized or of another type → 4xx JSON, never 5xx', async () => {
    for (const o of ops.filter((x) => bodySchema(x))) {
      const url = urlOf(o);
      const token = tokenFor(o.access);
      for (const raw of ['[]', '[1,2]', '"text"', '42', 'null', 'true', '{', '{"a":', '{"a":1,}', "{'a':1}", '\u0000', 'NaN', '{"a":1e309}']) {
        const res = await send({ method: 'post', url, token, rawBody: raw });
        expect(res.status, `${o.key} ${raw}`).toBe(400);
        expectErrorBody(res, `${o.key} ${raw}`);
      }
      // An array body is a body error, said as such.
      expect((await send({ method: 'post', url, token, rawBody: '[]' })).body.message, o.key).toMatch(/^body: /);
      const huge = await send({ method: 'post', url, token, body: { ...baseBodies()[o.key], padding: 'x'.repeat(1_100_000) } });
      expect(huge.status, o.key).toBe(413);
      expectErrorBody(huge, `${o.key} huge`);
      for (const [type, raw] of [
        ['text/plain', 'action=note'],
        ['application/x-www-form-urlencoded', 'action=note&reason=abc'],
      ] as const) {
        const res = await send({ method: 'post', url, token, rawBody: raw, contentType: type });
        expect(res.status, `${o.key} ${type}`).toBe(400);
        expectErrorBody(res, `${o.key} ${type}`);
      }
      for (const type of ['application/json; charset=klingon']) {
        const res = await send({ method: 'post', url, token, rawBody: '{}', contentType: type });
        expect(res.status, `${o.key} ${type}`).toBe(415);
        expectErrorBody(res, `${o.key} ${type}`);
      }
      const gz = await send({ method: 'post', url, token, rawBody: '{}', headers: { 'Content-Encoding': 'gzip' } });
      expect(gz.status, `${o.key} bad gzip`).toBe(400);
      expectErrorBody(gz, `${o.key} bad gzip`);
    }
  });

  it('injection strings in free-text parameters are data: nothing found, no error, and the tables keep their rows', async () => {
    const freeText: [string, string, string][] = [
      ['/api/flagged', 'categoryId', tokens.reviewer],
      ['/api/queue', 'categoryId', tokens.reviewer],
      ['/api/queue', 'assignee', tokens.reviewer],
      ['/api/audit', 'shopId', tokens.reviewer],
      ['/api/audit', 'actor', tokens.reviewer],
      ['/api/audit', 'action', tokens.reviewer],
      ['/api/appeals', 'shopId', tokens.reviewer],
    ];
    for (const [p, name, token] of freeText) {
      for (const value of INJECTIONS) {
        const res = await send({ method: 'get', url: `${p}?${name}=${encodeURIComponent(value)}`, token });
        expect(res.status, `${p} ${name}=${value}`).toBe(200);
        const items = res.body.items as unknown[];
        expect(items, `${p} ${name}=${value}`).toEqual([]);
      }
    }
    // Shop ids in the path: an unknown shop to a reviewer, a forbidden one to a seller.
    for (const value of INJECTIONS) {
      for (const o of ops.filter((x) => x.method === 'get' && x.path.includes('{shopId}'))) {
        const asReviewer = await send({ method: 'get', url: urlOf(o, { shopId: value }), token: tokens.reviewer });
        expect(asReviewer.status, `${o.key} ${value}`).toBe(404);
        expect(asReviewer.body.message).toBe(`shop ${value} is not known`);
        expect((await send({ method: 'get', url: urlOf(o, { shopId: value }), token: tokens.sellerA })).status, `${o.key} ${value}`).toBe(403);
      }
      const decision = await send({
        method: 'post',
        url: `/api/shops/${encodeURIComponent(value)}/decisions`,
        token: tokens.reviewer,
        body: { action: 'note', reason: value },
      });
      expect(decision.status, value).toBe(404);
    }
    // In JSON bodies, where they are valid text: stored and read back verbatim, as text.
    const note = await send({
      method: 'post',
      url: '/api/shops/B/decisions',
      token: tokens.reviewer,
      body: { action: 'note', reason: '"; DROP TABLE orders; --' },
    });
    expect(note.status).toBe(201);
    expect(note.body.reason).toBe('"; DROP TABLE orders; --');
    const audit = await send({ method: 'get', url: '/api/audit?shopId=B', token: tokens.reviewer });
    expect(audit.body.items[0].details.reason).toBe('"; DROP TABLE orders; --');

    const after = await tableCounts(db);
    // The note above and its audit entry are the only new rows since the baselines.
    expect(after).toEqual({ ...countsBefore, decisions: countsBefore.decisions + 1, audit_log: countsBefore.audit_log + 1 });
    expect(after.orders).toBe(2052);
    expect(after.shops).toBe(3);
    expect(after.cases).toBe(6);
    expect(after.categories).toBe(1);
  });

  it('the upload with no files, or with a JSON body → 400 naming the field', async () => {
    const res = await send({ method: 'post', url: '/api/ingest', token: tokens.admin });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^files: /);
    const json = await send({ method: 'post', url: '/api/ingest', token: tokens.admin, body: { files: 'orders.csv' } });
    expect(json.status).toBe(400);
    expect(json.body.message).toBe('unknown body parameter(s): files');
    const field = await request(server).post('/api/ingest').set('Authorization', `Bearer ${tokens.admin}`).field('note', 'x');
    expect(field.status).toBe(400);
    expect(field.body.message).toBe('unknown body parameter(s): note');
  });

  // Malformed multipart input (another field name, a truncated body, no boundary, too many files) is
  // the client's error.
  it('a malformed upload → 400 naming files, never 500', async () => {
    const auth = `Bearer ${tokens.admin}`;
    const cases: [string, () => request.Test][] = [
      [
        'file under another field',
        () => request(server).post('/api/ingest').set('Authorization', auth).attach('file', Buffer.from('order_id\n'), 'orders.csv'),
      ],
      [
        'truncated multipart',
        () =>
          request(server)
            .post('/api/ingest')
            .set('Authorization', auth)
            .set('Content-Type', 'multipart/form-data; boundary=XYZ')
            .send('--XYZ\r\nContent-Disposition: form-data; name="files"; filename="orders.csv"\r\n\r\nabc'),
      ],
      [
        'multipart without boundary',
        () => request(server).post('/api/ingest').set('Authorization', auth).set('Content-Type', 'multipart/form-data').send('junk'),
      ],
      [
        '21 files',
        () =>
          Array.from({ length: 21 }).reduce<request.Test>(
            (r, _x, i) => r.attach('files', Buffer.from('order_id\n'), `orders-${i}.csv`),
            request(server).post('/api/ingest').set('Authorization', auth),
          ),
      ],
    ];
    for (const [what, make] of cases) {
      const res = await make();
      expect(res.status, what).toBe(400);
      expectErrorBody(res, what);
      expect(res.body.message, what).toMatch(/files/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Seeded fuzz run.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

describe('seeded fuzz run', () => {
  it(`${RUNS} random requests (seed ${SEED}): no 5xx, every error JSON with error and message and no stack`, async () => {
    const rnd = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const chance = (p: number) => rnd() < p;

    const garbageTokens = [
      'garbage',
      'a.b.c',
      '..',
      `${tokens.admin}x`,
      tokens.admin.split('.').slice(0, 2).join('.') + '.',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${tokens.admin.split('.')[1]}.`,
      await signToken(new TextEncoder().encode('not-the-secret-not-the-secret-0123'), { role: 'admin' }),
      await signToken(SECRET, { role: 'admin' }, '-1h'),
    ];
    // Valid tokens twice as likely as each bad one, so most requests get past authentication.
    const valid = [tokens.sellerA, tokens.sellerB, tokens.sellerC, tokens.reviewer, tokens.admin];
    const tokenPool: (string | undefined)[] = [undefined, ...valid, ...valid, ...valid, ...garbageTokens];
    const strings = [
      '',
      ' ',
      '0',
      '1',
      '-1',
      '1.5',
      '1e309',
      '-1e309',
      '99999999999999999999',
      'NaN',
      'Infinity',
      'abc',
      'true',
      'null',
      '[]',
      '{}',
      FIRST_DAY,
      LAST_DAY,
      '2026-10-01',
      '1999-01-01',
      '2099-12-31',
      '0000-01-01',
      '9999-12-31',
      '2026-02-30',
      '2026-13-01',
      'warning',
      'restricted',
      'severe',
      'none',
      'csv',
      'json',
      'asc',
      'desc',
      'ratio',
      'shopId',
      'level',
      'pending',
      'accepted',
      'accept',
      'reject',
      'confirm',
      'exempt',
      'lift_early',
      'note',
      'A',
      'B',
      'C',
      'C1',
      'reviewer',
      'admin',
      'seller:A',
      ...INJECTIONS,
      'x'.repeat(10_000),
      'é中文𝔘',
      '\u0000',
      '\u202e',
      '\r\nX-Injected: 1',
      '%',
      '%%',
      '%E0%A4%A',
      '..',
      '/',
    ];
    const numbers = [0, 1, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 1e-300, new Raw('1e309'), new Raw('99999999999999999999'), new Raw('-0')];
    const pathValues: Record<string, string[]> = {
      shopId: ['A', 'B', 'C', 'ZZ', 'a', ...INJECTIONS, 'x'.repeat(129), 'x'.repeat(5000), '%2e%2e', 'A/../B', ' B', 'B\u0000', 'Ａ'],
      appealId: ['1', '2', '0', '-1', '1.5', '1e309', '99999999999999999999', '4503599627370497', 'abc', 'NaN', ...INJECTIONS],
    };
    const extraPaths = [
      '/api',
      '/api/',
      '/api/shops',
      '/api/shops/A',
      '/api/shops/A/metrics/extra',
      '/api/%',
      '/api/%E0%A4%A',
      '/api//shops//metrics',
      '/api/appeals/1',
      '/api/policy/x',
      '/api/openapi.json/x',
      '/api/..%2f..%2fetc%2fpasswd',
      '/api/shops/%E0%A4%A/metrics',
    ];
    const methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
    const randomJson = (depth: number, keys: string[]): unknown => {
      const r = rnd();
      if (r < 0.35) return pick(strings);
      if (r < 0.55) return pick(numbers);
      if (r < 0.6) return pick([true, false, null]);
      if (r < 0.7 && depth > 0) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(depth - 1, keys));
      if (r < 0.8) return structuredClone(DEFAULT_POLICY);
      if (depth <= 0) return pick(strings);
      const obj: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 5); i > 0; i--)
        obj[chance(0.8) ? pick(keys) : pick(['x', '__proto__', 'constructor', '', 'policy', 'role'])] = randomJson(depth - 1, keys);
      return obj;
    };

    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const describeCall = (i: number, c: Call) =>
      `#${i} ${c.method.toUpperCase()} ${c.url.slice(0, 160)} token=${c.token ? c.token.slice(0, 12) : 'none'} body=${(c.rawBody ?? (c.body === undefined ? '' : serialize(c.body))).slice(0, 160)}`;

    const makeCall = (): Call => {
      const o = pick(ops);
      // One request in ten is valid (GETs, a note, an appeal, an answer, a simulation, even an activation),
      // so writes and recomputation run among the malformed requests.
      if (chance(0.1)) {
        const body = o.method === 'post' ? (baseBodies()[o.key] ?? undefined) : undefined;
        return {
          method: o.method,
          url: urlOf(o, o.access === 'shop' ? { shopId: pick(['A', 'B', 'C']) } : {}),
          token: chance(0.8) ? tokenFor(o.access) : pick(valid),
          body,
        };
      }
      const bodyKeys = bodyFields(bodySchema(o) ?? {}).map((f) => f.name.split('.')[0]);
      const paramNames = (o.op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      let url: string;
      if (chance(0.05)) {
        url = pick(extraPaths);
      } else {
        const values: Record<string, string> = {};
        for (const m of o.path.matchAll(/\{(\w+)\}/g)) values[m[1]] = m[1] === 'appealId' && chance(0.5) ? String(appealId) : pick(pathValues[m[1]] ?? strings);
        const query: [string, string][] = [];
        for (let n = Math.floor(rnd() * rnd() * 5); n > 0; n--) {
          const name = paramNames.length && chance(0.8) ? pick(paramNames) : pick(['bogus', '__proto__', 'date', 'limit', 'shopId', '']);
          query.push([name, pick(strings)]);
          if (chance(0.1)) query.push([name, pick(strings)]);
          // Node answers 431 itself, before the app, to a request head over 16 KB: stay under it.
          while (query.reduce((n, [k, v]) => n + encodeURIComponent(k).length + encodeURIComponent(v).length + 2, 0) > 12_000) query.pop();
        }
        url = urlOf(o, values, query);
        // Now and then, letters of the path after /api percent-encoded.
        if (chance(0.03))
          url = url.replace(
            /^(\/api\/)([^?]*)/,
            (_m, api: string, rest: string) => api + rest.replace(/[a-z]/g, (ch) => (chance(0.5) ? '%' + ch.charCodeAt(0).toString(16) : ch)),
          );
      }
      const method = chance(0.8) ? o.method : pick(methods);
      const c: Call = { method, url, token: pick(tokenPool) };
      if (method !== 'get' && method !== 'head' && chance(0.85)) {
        const r = rnd();
        if (r < 0.6) c.body = randomJson(3, bodyKeys.length ? bodyKeys : ['x']);
        else if (r < 0.75 && bodyKeys.length) c.body = { ...baseBodies()[o.key], [pick(bodyKeys)]: randomJson(2, bodyKeys) };
        else c.rawBody = pick(['{', '{"a":', 'null', '[]', '"x"', '1e309', '{"policy":1e309}', '\u0000', '{}', '{"action":"note"}', 'a=b&c=d', '']);
        if (chance(0.15))
          c.contentType = pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=utf-16',
            'application/xml',
            'application/json; charset=latin1',
          ]);
      }
      if (chance(0.1)) c.headers = { 'X-Request-Id': pick(['abc', '../../etc/passwd', 'x'.repeat(100), 'ok-id_1', '\u00e9']) };
      return c;
    };

    const calls = Array.from({ length: RUNS }, makeCall);
    const started = Date.now();
    const BATCH = 8;
    for (let i = 0; i < calls.length; i += BATCH) {
      await Promise.all(
        calls.slice(i, i + BATCH).map(async (c, j) => {
          const n = i + j;
          let res: request.Response;
          try {
            res = await send(c);
          } catch (error) {
            // A request the client could not even send (e.g. a header with a newline) is not the server's fault.
            if (/Invalid character in header|unescaped characters|ERR_INVALID_CHAR|ERR_UNESCAPED_CHARACTERS/.test(String(error))) return;
            failures.push(`${describeCall(n, c)} → client error ${String(error)}`);
            return;
          }
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`${describeCall(n, c)} → ${res.status} ${res.text.slice(0, 200)}`);
          const id = res.headers['x-request-id'];
          if (typeof id !== 'string' || !/^[\w-]{1,64}$/.test(id)) failures.push(`${describeCall(n, c)} → x-request-id ${JSON.stringify(id)}`);
          if (res.status >= 400 && c.method !== 'head') {
            const leak = leaksInternals(res.text);
            const okShape =
              /^application\/json/.test(res.headers['content-type'] ?? '') && typeof res.body?.error === 'string' && typeof res.body?.message === 'string';
            if (!okShape) failures.push(`${describeCall(n, c)} → ${res.status} not a JSON error: ${res.headers['content-type']} ${res.text.slice(0, 120)}`);
            if (leak) failures.push(`${describeCall(n, c)} → ${res.status} leaks ${leak}: ${res.text.slice(0, 200)}`);
          }
        }),
      );
    }
    const seconds = (Date.now() - started) / 1000;
    expect(failures, `seed ${SEED}: ${failures.length} failures`).toEqual([]);
    // The run exercised the API rather than bouncing off one error.
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(RUNS * 0.95);
    for (const status of [200, 400, 401, 403, 404])
      expect(statuses.get(status) ?? 0, `responses with status ${status}: ${JSON.stringify([...statuses])}`).toBeGreaterThan(RUNS / 100);
    // Nothing was logged as a failed request.
    expect(logged.filter((l) => /request failed/.test(l))).toEqual([]);
    // The data is intact and the server still answers.
    const counts = await tableCounts(db);
    for (const table of ['orders', 'shops', 'cases', 'categories', 'ingest_files', 'schema_migrations']) expect(counts[table], table).toBe(countsBefore[table]);
    const health = await request(server).get('/api/health');
    expect(health.body).toEqual({ status: 'ok', dataFrom: '2026-09-01', dataThrough: LAST_DAY });
    const metrics = await send({ method: 'get', url: '/api/shops/B/metrics', token: tokens.reviewer });
    expect(metrics.body).toMatchObject({ shopId: 'B', orders: 1500, interventions: 0 });
    console.info(`fuzz: ${RUNS} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 60_000);
});
