// Answers kept for one committed generation (server/api/registry.ts, AnswerCache and routes declared with
// `cache`): a kept answer is used only while no write has committed, an answer computed across a commit is
// never kept, identical requests in flight share one answer only within one generation, and a kept answer is
// sent exactly as res.json would send it. Then the database's pool: the writer and a `first` read take the
// next free connection before the reads already waiting (server/db/database.ts).
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../server/auth/tokens.js';
import { Database, queryRows } from '../server/db/database.js';
import { AnswerCache, ApiRegistry } from '../server/api/registry.js';
import { errorHandler, notFound } from '../server/api/http.js';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { HEADERS, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('AnswerCache', () => {
  it('keeps an answer for its generation only', async () => {
    const db = { generation: 0 };
    const cache = new AnswerCache(db);
    let computed = 0;
    const compute = async () => `"${db.generation}:${++computed}"`;
    expect(await cache.answer('k', compute)).toEqual({ body: '"0:1"' });
    expect(await cache.answer('k', compute)).toEqual({ body: '"0:1"' });
    expect(await cache.answer('other', compute)).toEqual({ body: '"0:2"' });
    db.generation++;
    expect(cache.get('k')).toBeUndefined();
    expect(await cache.answer('k', compute)).toEqual({ body: '"1:3"' });
    expect(cache.size).toBe(1);
  });

  it('never keeps an answer computed while a write committed', async () => {
    const db = { generation: 0 };
    const cache = new AnswerCache(db);
    const g = gate();
    const first = cache.answer('k', async () => {
      await g.wait;
      return '"across"';
    });
    db.generation++; // a write commits while the answer is computed
    g.open();
    expect(await first).toEqual({ body: '"across"' }); // the request itself is answered
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('shares an answer in flight within one generation, and not across a commit', async () => {
    const db = { generation: 0 };
    const cache = new AnswerCache(db);
    let computed = 0;
    const g = gate();
    const slow = async () => {
      computed++;
      await g.wait;
      return `"${computed}"`;
    };
    const a = cache.answer('k', slow);
    const b = cache.answer('k', slow);
    g.open();
    expect(await a).toEqual({ body: '"1"' });
    expect(await b).toEqual({ body: '"1"' });
    expect(computed).toBe(1);

    // A request that arrived before a commit does not take the answer of one begun before it either way:
    // it computes its own when the generation moved while it waited.
    db.generation++;
    const g2 = gate();
    const leader = cache.answer('j', async () => {
      await g2.wait;
      return '"leader"';
    });
    const waiter = cache.answer('j', async () => '"own"');
    db.generation++;
    g2.open();
    expect(await leader).toEqual({ body: '"leader"' });
    expect(await waiter).toEqual({ body: '"own"' });
    expect(cache.get('j')).toBeUndefined();

    // Requests arriving after a commit do not wait for one begun before it: the first computes, the next share it.
    const g3 = gate();
    const old = cache.answer('i', async () => {
      await g3.wait;
      return '"old"';
    });
    db.generation++;
    let fresh = 0;
    const g4 = gate();
    const newer = () =>
      cache.answer('i', async () => {
        fresh++;
        await g4.wait;
        return '"new"';
      });
    const c = newer();
    const d = newer();
    g4.open();
    expect(await c).toEqual({ body: '"new"' });
    expect(await d).toEqual({ body: '"new"' });
    expect(fresh).toBe(1);
    g3.open();
    expect(await old).toEqual({ body: '"old"' });
    expect(cache.get('i')).toBe('"new"');
  });

  it('keeps nothing the computation did not answer as JSON, and nothing past its size', async () => {
    const db = { generation: 0 };
    const cache = new AnswerCache(db, 10);
    expect(await cache.answer('sent', async () => null)).toBeNull();
    expect(cache.size).toBe(0);
    await expect(cache.answer('err', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.size).toBe(0);
    expect(await cache.answer('big', async () => '"0123456789"')).toEqual({ body: '"0123456789"' });
    expect(cache.get('big')).toBeUndefined();
    expect(await cache.answer('small', async () => '"0"')).toEqual({ body: '"0"' });
    expect(cache.get('small')).toBe('"0"');
  });
});

describe('routes declared with cache', () => {
  const db = { generation: 0 };
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const sellerA: Principal = { subject: 'a', role: 'seller', shops: ['S1'] };
  const sellerB: Principal = { subject: 'b', role: 'seller', shops: ['S2'] };
  const reviewer: Principal = { subject: 'r', role: 'reviewer', shops: [] };
  const tokens: Record<string, Principal> = { a: sellerA, b: sellerB, r: reviewer };
  let app: express.Express;

  beforeAll(() => {
    app = express();
    const pub = express.Router();
    const priv = express.Router();
    const api = new ApiRegistry(pub, priv, new AnswerCache(db));
    api.add({
      method: 'get',
      path: '/per-caller',
      access: 'any',
      cache: 'caller',
      summary: 'who asks, and the generation',
      handler: ({ who }) => {
        count('per-caller');
        return { who: who!.subject, generation: db.generation, text: 'ü<>&' };
      },
    });
    api.add({
      method: 'get',
      path: '/uncached',
      access: 'any',
      summary: 'the same answer, never kept',
      handler: ({ who }) => {
        count('uncached');
        return { who: who!.subject, generation: db.generation, text: 'ü<>&' };
      },
    });
    api.add({
      method: 'get',
      path: '/shared',
      access: 'reviewer',
      cache: 'route',
      summary: 'one answer for every reviewer',
      handler: () => {
        count('shared');
        return { generation: db.generation };
      },
    });
    api.add({
      method: 'get',
      path: '/own-header',
      access: 'any',
      cache: 'caller',
      summary: 'an answer with a header of its own',
      handler: ({ res }) => {
        count('own-header');
        res.setHeader('X-Own', 'yes');
        return { ok: true };
      },
    });
    api.add({
      method: 'get',
      path: '/sent',
      access: 'any',
      cache: 'caller',
      summary: 'an answer the handler sends itself',
      handler: ({ res }) => {
        count('sent');
        res.type('text/csv').send('a,b\n');
        return undefined;
      },
    });
    api.add({
      method: 'get',
      path: '/missing',
      access: 'any',
      cache: 'caller',
      summary: 'an error',
      handler: () => {
        count('missing');
        throw notFound('nothing here');
      },
    });
    app.use(pub);
    app.use((req, _res, next) => {
      req.principal = tokens[String(req.headers.authorization)];
      next();
    });
    app.use(priv);
    app.use(errorHandler(() => undefined));
  });

  it('answers a repeated request from memory until the next write, per caller', async () => {
    const first = await request(app).get('/per-caller').set('Authorization', 'a');
    const again = await request(app).get('/per-caller').set('Authorization', 'a');
    const other = await request(app).get('/per-caller').set('Authorization', 'b');
    expect(first.body).toEqual({ who: 'a', generation: 0, text: 'ü<>&' });
    expect(again.body).toEqual(first.body);
    expect(other.body).toEqual({ who: 'b', generation: 0, text: 'ü<>&' });
    expect(calls.get('per-caller')).toBe(2);
    db.generation++;
    const after = await request(app).get('/per-caller').set('Authorization', 'a');
    expect(after.body).toEqual({ who: 'a', generation: 1, text: 'ü<>&' });
    expect(calls.get('per-caller')).toBe(3);
  });

  it('sends a kept answer exactly as res.json sends it (status, type, length, ETag)', async () => {
    const fresh = await request(app).get('/uncached').set('Authorization', 'a');
    await request(app).get('/per-caller').set('Authorization', 'a');
    const kept = await request(app).get('/per-caller').set('Authorization', 'a');
    expect(kept.status).toBe(fresh.status);
    expect(kept.text).toBe(fresh.text);
    for (const header of ['content-type', 'content-length', 'etag']) expect(kept.headers[header]).toBe(fresh.headers[header]);
    // Conditional requests still work on a kept answer.
    const notModified = await request(app).get('/per-caller').set('Authorization', 'a').set('If-None-Match', kept.headers.etag);
    expect(notModified.status).toBe(304);
  });

  it("shares a 'route' answer between callers, after each caller is authorized", async () => {
    const before = calls.get('shared') ?? 0;
    await request(app).get('/shared').set('Authorization', 'r').expect(200);
    await request(app).get('/shared').set('Authorization', 'r').expect(200);
    expect(calls.get('shared')).toBe(before + 1);
    // A seller may not read it, kept or not.
    const denied = await request(app).get('/shared').set('Authorization', 'a');
    expect(denied.status).toBe(403);
  });

  it('never keeps an answer with headers of its own, one the handler sent, or an error', async () => {
    for (let i = 0; i < 2; i++) {
      const own = await request(app).get('/own-header').set('Authorization', 'a');
      expect(own.headers['x-own']).toBe('yes');
      expect(own.body).toEqual({ ok: true });
      const sent = await request(app).get('/sent').set('Authorization', 'a');
      expect(sent.text).toBe('a,b\n');
      expect(sent.headers['content-type']).toMatch(/^text\/csv/);
      const missing = await request(app).get('/missing').set('Authorization', 'a');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe('not_found');
    }
    expect(calls.get('own-header')).toBe(2);
    expect(calls.get('sent')).toBe(2);
    expect(calls.get('missing')).toBe(2);
  });

  it('refuses to cache anything but a GET', () => {
    const api = new ApiRegistry(express.Router(), express.Router(), new AnswerCache(db));
    expect(() => api.add({ method: 'post', path: '/x', access: 'admin', cache: 'caller', summary: 'x', handler: () => ({}) })).toThrow(/only GET/);
  });
});

describe('Database pool order', () => {
  let db: Database;
  beforeAll(async () => {
    // One connection: whoever is given it runs to the end before the next, so the order of the pushes below is
    // the order the pool gave the connection in (with two, a slow BEGIN could reorder them).
    db = await Database.open(':memory:', { poolSize: 1 });
    await db.write((conn) => conn.run('CREATE TABLE pool_probe (v INTEGER)').then(() => undefined));
  });
  afterAll(async () => db.close());

  it('gives the next free connection to the writer and to `first` reads before the waiting reads', async () => {
    // Hold the pool's connection, then queue: two reads, a write, a `first` read.
    const hold = gate();
    const held: Promise<unknown>[] = [];
    const started: (() => void)[] = [];
    const allHeld = Promise.all(Array.from({ length: 1 }, () => new Promise<void>((resolve) => started.push(resolve))));
    for (let i = 0; i < 1; i++)
      held.push(
        db.read(async () => {
          started[i]();
          await hold.wait;
        }),
      );
    await allHeld;
    const order: string[] = [];
    const reads = [1, 2].map((n) => db.read(async () => void order.push(`read ${n}`)));
    const write = db.write(async (conn) => {
      order.push('write');
      await conn.run('INSERT INTO pool_probe VALUES (1)');
    });
    const first = db.read(async () => void order.push('first'), { first: true });
    hold.open();
    await Promise.all([...held, ...reads, write, first]);
    expect(order.indexOf('write')).toBeLessThan(order.indexOf('read 1'));
    expect(order.indexOf('first')).toBeLessThan(order.indexOf('read 1'));
    expect(order.indexOf('read 1')).toBeLessThan(order.indexOf('read 2'));
    expect(await db.read((conn) => queryRows<{ n: number }>(conn, 'SELECT count(*) AS n FROM pool_probe'))).toEqual([{ n: 1 }]);
  });
});

describe('the app: /api/categories and /api/flagged kept until the next write', () => {
  const secret = new TextEncoder().encode('answer-cache-test-secret-0123456789');
  let db: Database;
  let app: express.Express;
  let reviewer: string;
  let admin: string;

  beforeAll(async () => {
    const t = await openTempDb();
    db = t.db;
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['C1', 'Books', '']]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['A', 'A shop', 'C1'],
      ['B', 'B shop', 'C1'],
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [...dailyOrders('A', '2026-10-01', '2026-10-15', 2), ...dailyOrders('B', '2026-10-01', '2026-10-15', 3)]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, []);
    await ingest(db, [t.dir]);
    app = createApp({ db, secret });
    reviewer = await signToken(secret, { role: 'reviewer', subject: 'r@example.com' });
    admin = await signToken(secret, { role: 'admin', subject: 'a@example.com' });
  });
  afterAll(async () => db.close());

  it('answers the same until a write commits, then the new data, for every reviewer', async () => {
    const first = await request(app).get('/api/categories').set('Authorization', `Bearer ${reviewer}`).expect(200);
    expect(first.body.categories[0]).toMatchObject({ categoryId: 'C1', categoryName: 'Books' });
    const byAdmin = await request(app).get('/api/categories').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(byAdmin.text).toBe(first.text);
    await db.write((conn) => conn.run("UPDATE categories SET category_name = 'Novels' WHERE category_id = 'C1'").then(() => undefined));
    const after = await request(app).get('/api/categories').set('Authorization', `Bearer ${reviewer}`).expect(200);
    expect(after.body.categories[0]).toMatchObject({ categoryId: 'C1', categoryName: 'Novels' });
    // A seller is still refused, whatever is kept.
    const seller = await signToken(secret, { role: 'seller', shops: ['A'] });
    await request(app).get('/api/categories').set('Authorization', `Bearer ${seller}`).expect(403);
  });

  it('keeps the JSON list of /api/flagged, and still sends its CSV', async () => {
    const json = await request(app).get('/api/flagged').set('Authorization', `Bearer ${reviewer}`).expect(200);
    const again = await request(app).get('/api/flagged').set('Authorization', `Bearer ${reviewer}`).expect(200);
    expect(again.text).toBe(json.text);
    for (let i = 0; i < 2; i++) {
      const csv = await request(app).get('/api/flagged?format=csv').set('Authorization', `Bearer ${reviewer}`).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toMatch(/attachment/);
    }
  });
});
