// The per-generation cache of the per-shop reads (server/read/generation-cache.ts): a kept value is used only
// while no write has committed, a read whose snapshot is older than a commit never stores its value under the
// newer generation, and a request never answers with a kept value and rows of different snapshots. Then the
// routes that use it (trend, forecast) see a policy activation and an early lift at once.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { queryRows, type Database } from '../server/db/database.js';
import { DEFAULT_POLICY } from '../server/policy/policy.js';
import { GenerationCache } from '../server/read/generation-cache.js';
import { exemptionOn } from '../server/read/shop-basics.js';
import { HEADERS, caseRow, dailyOrders, ingest, openTempDb, writeCsv } from './helpers.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('GenerationCache', () => {
  let db: Database;
  let loads = 0;
  const probe = async (conn: Parameters<Parameters<Database['read']>[0]>[0]) => (await queryRows<{ v: number }>(conn, 'SELECT v FROM gc_probe'))[0].v;
  const setProbe = (v: number) => db.write((conn) => conn.run('UPDATE gc_probe SET v = $v', { v }).then(() => undefined));
  const cacheOf = (onLoad?: () => void) =>
    new GenerationCache<number>(db, async (conn) => {
      loads++;
      const v = await probe(conn);
      onLoad?.();
      return v;
    });

  beforeAll(async () => {
    db = (await openTempDb({ memory: true })).db;
    await db.write(async (conn) => {
      await conn.run('CREATE TABLE gc_probe (v INTEGER)');
      await conn.run('INSERT INTO gc_probe VALUES (1)');
    });
  });
  afterAll(async () => db.close());

  it('keeps the value for the generation, and reads it again after a write commits', async () => {
    await setProbe(1);
    const cache = cacheOf();
    loads = 0;
    expect(await cache.read(async (_conn, v) => v)).toBe(1);
    expect(await cache.read(async (_conn, v) => v)).toBe(1);
    expect(loads).toBe(1);
    expect(cache.peek()).toEqual({ generation: db.generation, value: 1 });
    await setProbe(2);
    expect(await cache.read(async (_conn, v) => v)).toBe(2);
    expect(loads).toBe(2);
    expect(cache.peek()).toEqual({ generation: db.generation, value: 2 });
  });

  it('a read whose snapshot is older than a commit does not store its value under the new generation', async () => {
    await setProbe(10);
    const loaded = gate();
    const cache = cacheOf(loaded.open);
    const g = gate();
    // The read loads 10 from its snapshot, then waits while a write commits 11.
    const reading = cache.read(async (conn, v) => {
      await g.wait;
      return { v, rows: await probe(conn) };
    });
    await loaded.wait;
    await setProbe(11);
    g.open();
    // Its own answer is wholly from its snapshot.
    expect(await reading).toEqual({ v: 10, rows: 10 });
    const kept = cache.peek();
    expect(kept === null || kept.generation < db.generation).toBe(true);
    expect(await cache.read(async (_conn, v) => v)).toBe(11);
    expect(cache.peek()).toEqual({ generation: db.generation, value: 11 });
  });

  it('a request that used a kept value while a write committed answers from its own snapshot only', async () => {
    await setProbe(20);
    const cache = cacheOf();
    expect(await cache.read(async (_conn, v) => v)).toBe(20); // kept: 20
    const g = gate();
    let runs = 0;
    const reading = cache.read(async (conn, v) => {
      runs++;
      if (runs === 1) await g.wait;
      // The rows are read after the write committed: a snapshot taken now holds 21, the kept value is 20.
      return { v, rows: await probe(conn) };
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await setProbe(21);
    g.open();
    const answer = await reading;
    expect(answer.v).toBe(answer.rows);
    expect(runs).toBe(2);
    expect(await cache.read(async (_conn, v) => v)).toBe(21);
  });

  it('an error answered with a kept value stands only when no write committed meanwhile', async () => {
    await setProbe(30);
    const cache = cacheOf();
    await cache.read(async (_conn, v) => v);
    const g = gate();
    let runs = 0;
    const reading = cache.read(async (conn, v) => {
      runs++;
      if (runs === 1) {
        await g.wait;
        throw new Error(`stale ${v}`);
      }
      return v;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await setProbe(31);
    g.open();
    await expect(reading).resolves.toBeTypeOf('number');
    expect(runs).toBe(2);
    // With no write in between, the error is the answer.
    await expect(
      cache.read(async (_conn, v) => {
        throw new Error(`no ${v}`);
      }),
    ).rejects.toThrow('no 31');
  });
});

describe('exemptionOn', () => {
  it('is the exemption in force on the date with the highest id, as the forecast query had it', () => {
    const exemptions = new Map([
      [
        'S',
        [
          { id: 1, effectiveDay: '2026-10-01', untilDay: '2026-10-20', episodeStart: '2026-10-01', episodeLevel: 'restricted' as const },
          { id: 2, effectiveDay: '2026-10-05', untilDay: '2026-10-10', episodeStart: null, episodeLevel: null },
          { id: 3, effectiveDay: '2026-10-12', untilDay: null, episodeStart: null, episodeLevel: null },
        ],
      ],
    ]);
    expect(exemptionOn({ exemptions }, 'S', '2026-09-30')).toBeNull();
    expect(exemptionOn({ exemptions }, 'S', '2026-10-01')).toEqual({ until: '2026-10-20', episodeStart: '2026-10-01', level: 'restricted' });
    expect(exemptionOn({ exemptions }, 'S', '2026-10-10')).toEqual({ until: '2026-10-10', episodeStart: null, level: null });
    expect(exemptionOn({ exemptions }, 'S', '2026-10-15')).toEqual({ until: '2026-10-20', episodeStart: '2026-10-01', level: 'restricted' });
    expect(exemptionOn({ exemptions }, 'S', '2026-10-21')).toBeNull();
    expect(exemptionOn({ exemptions }, 'X', '2026-10-15')).toBeNull();
  });
});

// T (2 orders a day, intervention orders opened 09-18, 09-19, 09-20) and U (10 a day) in C3: T is flagged
// 09-30 … 10-15, restricted from 10-06, severe from 10-13 (as in test/governance.test.ts).
describe('the routes see a committed write at once', () => {
  let db: Database;
  let app: Express;
  let reviewer: string, admin: string;
  const secret = new TextEncoder().encode('generation-cache-test-secret-0123456789');
  const get = (path: string) => request(app).get(path).set('Authorization', `Bearer ${reviewer}`);

  beforeAll(async () => {
    const t = await openTempDb();
    db = t.db;
    writeCsv(t.dir, 'categories.csv', HEADERS.categories, [['C3', '生鲜', '']]);
    writeCsv(t.dir, 'shops.csv', HEADERS.shops, [
      ['T', 'T店', 'C3'],
      ['U', 'U店', 'C3'],
    ]);
    writeCsv(t.dir, 'orders.csv', HEADERS.orders, [...dailyOrders('T', '2026-09-01', '2026-10-15', 2), ...dailyOrders('U', '2026-09-01', '2026-10-15', 10)]);
    writeCsv(t.dir, 'interventions.csv', HEADERS.interventions, [
      caseRow('t1', 'T-2026-09-18-1', 'T', '2026-09-18T10:00:00+08:00'),
      caseRow('t2', 'T-2026-09-19-1', 'T', '2026-09-19T10:00:00+08:00'),
      caseRow('t3', 'T-2026-09-20-1', 'T', '2026-09-20T10:00:00+08:00'),
    ]);
    expect((await ingest(db, [t.dir])).exitCode).toBe(0);
    app = createApp({ db, secret });
    reviewer = await signToken(secret, { role: 'reviewer', subject: 'reviewer:gc' });
    admin = await signToken(secret, { role: 'admin', subject: 'admin:gc' });
  });
  afterAll(async () => db.close());

  it('forecast: an early lift decided now changes the projected levels on the next request', async () => {
    const before = await get('/api/shops/T/forecast');
    expect(before.status).toBe(200);
    expect(before.body.points[0].level).toBe('severe');
    expect(before.body.returnsIfLifted).not.toBeNull();
    const lift = await request(app)
      .post('/api/shops/T/decisions')
      .set('Authorization', `Bearer ${reviewer}`)
      .send({ action: 'lift_early', reason: 'appeal accepted after review' });
    expect(lift.status).toBe(201);
    const after = await get('/api/shops/T/forecast');
    expect(after.status).toBe(200);
    expect(after.body.points[0].level).not.toBe('severe');
    expect(after.body.returnsIfLifted).toBeNull();
  });

  it('trend: a policy activated now gives the new flag ratio on the next request', async () => {
    expect((await get('/api/shops/T/trend')).body.flagRatio).toBe(5);
    const activated = await request(app)
      .post('/api/policy/activate')
      .set('Authorization', `Bearer ${admin}`)
      .send({ policy: { ...DEFAULT_POLICY, version: 'gc-test-ratio-4', flagRatio: 4 } });
    expect(activated.status).toBeLessThan(300);
    const after = await get('/api/shops/T/trend');
    expect(after.body.flagRatio).toBe(4);
    expect(after.body.points.at(-1).threshold).toBeCloseTo(4 * after.body.points.at(-1).categoryMean, 12);
  });
});
