// Trust under every input (issue "Trust under every policy and every input", items 5, 6 and 8):
// a case and its order agree on the shop whichever arrives first; timestamps from another era are
// rejected and never misread; Parquet ingest works at every pool size.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../server/api/app.js';
import { signToken } from '../server/auth/tokens.js';
import { earliestDayFromEnv, loadConfig } from '../server/config.js';
import { Database, queryRows } from '../server/db/database.js';
import type { FileReport, IngestReport } from '../server/ingest/ingest.js';
import { parseTimestamp } from '../server/ingest/timestamps.js';
import { HEADERS, caseRow, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

const run = promisify(execFile);
const PAID = '2026-10-01T10:00:00+08:00';
const OPENED = '2026-10-02T10:00:00+08:00';

function baseFiles(dir: string): string[] {
  return [
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]),
    writeCsv(dir, 'shops.csv', HEADERS.shops, [
      ['A', '甲店', 'C1'],
      ['B', '乙店', 'C1'],
    ]),
  ];
}

/** The one report of a kind in a batch. */
function fileOf(report: IngestReport, kind: string): FileReport {
  const found = report.files.filter((f) => f.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Rejects as [line, column, reason, id]. */
function rejectsOf(file: FileReport): [number, string | null, string, string | undefined][] {
  return file.rejects.map((r) => [r.line, r.column, r.reason, r.id]);
}

async function storedOrders(db: Database): Promise<string[]> {
  const rows = await db.read((conn) => queryRows<{ o: string }>(conn, "SELECT order_id || ':' || shop_id AS o FROM orders ORDER BY order_id"));
  return rows.map((r) => r.o);
}

async function storedCases(db: Database): Promise<string[]> {
  const rows = await db.read((conn) => queryRows<{ c: string }>(conn, "SELECT case_id || ':' || order_id || ':' || shop_id AS c FROM cases ORDER BY case_id"));
  return rows.map((r) => r.c);
}

/** Cases whose stored order names another shop, and orders whose stored cases name two shops: both must stay empty. */
async function disagreements(db: Database): Promise<string[]> {
  const rows = await db.read((conn) =>
    queryRows<{ d: string }>(
      conn,
      `SELECT 'case ' || c.case_id || ' vs order ' || o.order_id AS d FROM cases c JOIN orders o USING (order_id) WHERE c.shop_id <> o.shop_id
       UNION ALL SELECT 'order ' || order_id || ' has cases of ' || count(DISTINCT shop_id) || ' shops' FROM cases GROUP BY order_id HAVING count(DISTINCT shop_id) > 1`,
    ),
  );
  return rows.map((r) => r.d);
}

describe('a case and its order agree on the shop, whichever arrives first', () => {
  let db: Database;
  let dir: string;
  beforeEach(async () => {
    ({ db, dir } = await openTempDb());
    expect((await ingest(db, baseFiles(dir))).exitCode).toBe(0);
  });
  afterEach(async () => db.close());

  it('a case first, then its order for another shop in a later batch: the order is rejected naming the stored case', async () => {
    const b1 = tempDir();
    const r1 = await ingest(db, [writeCsv(b1, 'interventions.csv', HEADERS.interventions, [caseRow('K1', 'O1', 'A', OPENED)])]);
    expect([r1.accepted, r1.rejected]).toEqual([1, 0]); // O1 is not known yet: the case is kept

    const b2 = tempDir();
    const r2 = await ingest(db, [
      writeCsv(b2, 'orders.csv', HEADERS.orders, [
        ['O1', 'B', PAID, '19.90'], // line 2: K1 says O1 is A's
        ['O2', 'A', PAID, '5.00'], // line 3: good
      ]),
    ]);
    const orders = fileOf(r2, 'orders');
    expect(rejectsOf(orders)).toEqual([[2, 'shop_id', 'shop_id: order O1 has case K1 stored for shop A, not B', 'O1']]);
    expect([orders.accepted, orders.rejected, r2.exitCode]).toEqual([1, 1, 3]);
    expect(await storedOrders(db)).toEqual(['O2:A']);
    expect(await storedCases(db)).toEqual(['K1:O1:A']);

    // The same order for the shop the case names is accepted.
    const b3 = tempDir();
    const r3 = await ingest(db, [writeCsv(b3, 'orders.csv', HEADERS.orders, [['O1', 'A', PAID, '19.90']])]);
    expect([r3.accepted, r3.rejected, r3.exitCode]).toEqual([1, 0, 0]);
    expect(await storedOrders(db)).toEqual(['O1:A', 'O2:A']);
    expect(await disagreements(db)).toEqual([]);
    // The case counts where its order is: shop A has 2 orders and 1 intervention on 2026-10-02, B none.
    const days = await db.read((conn) => queryRows(conn, "SELECT shop_id, orders, interventions FROM shop_day WHERE day = DATE '2026-10-02' ORDER BY shop_id"));
    expect(days).toEqual([
      { shop_id: 'A', orders: 2, interventions: 1 },
      { shop_id: 'B', orders: 0, interventions: 0 },
    ]);
  });

  it('an order first, then a case for another shop in a later batch: the case is rejected naming the stored order', async () => {
    const b1 = tempDir();
    expect((await ingest(db, [writeCsv(b1, 'orders.csv', HEADERS.orders, [['O1', 'A', PAID, '19.90']])])).exitCode).toBe(0);

    const b2 = tempDir();
    const r2 = await ingest(db, [
      writeCsv(b2, 'interventions.csv', HEADERS.interventions, [
        caseRow('K1', 'O1', 'B', OPENED), // line 2: O1 is A's
        caseRow('K2', 'O1', 'A', OPENED), // line 3: good
      ]),
    ]);
    const cases = fileOf(r2, 'interventions');
    expect(rejectsOf(cases)).toEqual([[2, 'order_id', 'order_id: order O1 belongs to shop A (stored), not B', 'K1']]);
    expect([cases.accepted, cases.rejected]).toEqual([1, 1]);
    expect(await storedCases(db)).toEqual(['K2:O1:A']);

    // Re-sending the order with another shop (its case names the old one) is rejected too: an upsert
    // must not move the order away from its cases.
    const b3 = tempDir();
    const r3 = await ingest(db, [writeCsv(b3, 'orders.csv', HEADERS.orders, [['O1', 'B', PAID, '19.90']])]);
    expect(rejectsOf(fileOf(r3, 'orders'))).toEqual([[2, 'shop_id', 'shop_id: order O1 is stored for shop A, not B', 'O1']]);
    expect([r3.accepted, r3.rejected, r3.exitCode]).toEqual([0, 1, 1]);
    expect(await storedOrders(db)).toEqual(['O1:A']);
    expect(await disagreements(db)).toEqual([]);
  });

  it('two cases on one order naming different shops: the later one is rejected naming the stored case (or the earlier line)', async () => {
    const b1 = tempDir();
    expect((await ingest(db, [writeCsv(b1, 'interventions.csv', HEADERS.interventions, [caseRow('K1', 'O9', 'A', OPENED)])])).exitCode).toBe(0);

    const b2 = tempDir();
    const r2 = await ingest(db, [
      writeCsv(b2, 'interventions.csv', HEADERS.interventions, [
        caseRow('K2', 'O9', 'B', OPENED), // line 2: K1 (stored) says O9 is A's
        caseRow('K3', 'O9', 'A', OPENED), // line 3: good
        caseRow('K1', 'O9', 'B', OPENED, { status: 'closed' }), // line 4: K1 re-sent for another shop
        caseRow('K4', 'O8', 'B', OPENED), // line 5: good (O8 is new)
        caseRow('K5', 'O8', 'A', OPENED), // line 6: line 5 says O8 is B's
        caseRow('K6', 'O8', 'B', OPENED), // line 7: good
      ]),
    ]);
    const cases = fileOf(r2, 'interventions');
    expect(rejectsOf(cases)).toEqual([
      [2, 'shop_id', 'shop_id: order O9 has case K1 stored for shop A, not B', 'K2'],
      [4, 'shop_id', 'shop_id: order O9 has case K1 stored for shop A, not B', 'K1'],
      [6, 'shop_id', 'shop_id: order O8 has case K4 on line 5 for shop B, not A', 'K5'],
    ]);
    expect([cases.accepted, cases.rejected, r2.exitCode]).toEqual([3, 3, 3]);
    expect(await storedCases(db)).toEqual(['K1:O9:A', 'K3:O9:A', 'K4:O8:B', 'K6:O8:B']);
    const k1 = await db.read((conn) => queryRows(conn, "SELECT status FROM cases WHERE case_id = 'K1'"));
    expect(k1).toEqual([{ status: 'open' }]); // the rejected re-send did not replace it

    // Orders that arrive later must agree with those cases.
    const b3 = tempDir();
    const r3 = await ingest(db, [
      writeCsv(b3, 'orders.csv', HEADERS.orders, [
        ['O8', 'A', PAID, '1.00'], // line 2: K4 says B
        ['O9', 'A', PAID, '1.00'], // line 3: good
      ]),
    ]);
    expect(rejectsOf(fileOf(r3, 'orders'))).toEqual([[2, 'shop_id', 'shop_id: order O8 has case K4 stored for shop B, not A', 'O8']]);
    expect(await storedOrders(db)).toEqual(['O9:A']);
    expect(await disagreements(db)).toEqual([]);
  });

  it('within one batch the orders file is the authority, whatever order the files are given in', async () => {
    const b = tempDir();
    const interventions = writeCsv(b, 'interventions.csv', HEADERS.interventions, [
      caseRow('K1', 'O1', 'A', OPENED), // line 2: orders.csv says O1 is B's
      caseRow('K2', 'O2', 'A', OPENED), // line 3: good
      caseRow('K3', 'O3', 'A', OPENED), // line 4: good (O3 is in no orders file)
      caseRow('K4', 'O3', 'B', OPENED), // line 5: line 4 says O3 is A's
    ]);
    const orders = writeCsv(b, 'orders.csv', HEADERS.orders, [
      ['O1', 'B', PAID, '1.00'], // line 2
      ['O2', 'A', PAID, '1.00'], // line 3
    ]);
    const report = await ingest(db, [interventions, orders]); // cases listed first
    expect([fileOf(report, 'orders').accepted, fileOf(report, 'orders').rejected]).toEqual([2, 0]);
    const cases = fileOf(report, 'interventions');
    expect(rejectsOf(cases)).toEqual([
      [2, 'order_id', 'order_id: order O1 belongs to shop B, not A', 'K1'], // loaded in this batch: not "(stored)"
      [5, 'shop_id', 'shop_id: order O3 has case K3 on line 4 for shop A, not B', 'K4'],
    ]);
    expect([cases.accepted, cases.rejected, report.accepted, report.rejected, report.exitCode]).toEqual([2, 2, 4, 2, 3]);
    expect(await storedOrders(db)).toEqual(['O1:B', 'O2:A']);
    expect(await storedCases(db)).toEqual(['K2:O2:A', 'K3:O3:A']);
    expect(await disagreements(db)).toEqual([]);
  });
});

describe('timestamps from another era', () => {
  const iso = (text: string, zone = 'Asia/Shanghai') => {
    const r = parseTimestamp(text, zone);
    return 'micros' in r ? new Date(Number(r.micros / 1000n)).toISOString() : r.error;
  };

  it('reads years 0000–0099 as written (not as 1900–1999)', () => {
    expect(iso('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(iso('0099-12-31T23:00:00+08:00')).toBe('0099-12-31T15:00:00.000Z');
    expect(iso('0000-06-15 12:00:00+00')).toBe('0000-06-15T12:00:00.000Z');
    expect(iso('0050-03-01T00:00:00Z')).toBe('0050-03-01T00:00:00.000Z');
    // Offset-less early years are read in the platform zone too (UTC here, so the wall time is the instant).
    expect(iso('0012-02-29 08:00:00', 'UTC')).toBe('0012-02-29T08:00:00.000Z'); // year 12 is a leap year
    expect(iso('1970-01-01 08:00:00')).toBe('1970-01-01T00:00:00.000Z');
  });

  let db: Database;
  let dir: string;
  beforeEach(async () => {
    ({ db, dir } = await openTempDb());
    expect((await ingest(db, baseFiles(dir))).exitCode).toBe(0);
  });
  afterEach(async () => db.close());

  it('rejects timestamps before the earliest accepted day (default 2000-01-01), in orders and cases', async () => {
    const b = tempDir();
    const report = await ingest(db, [
      writeCsv(b, 'orders.csv', HEADERS.orders, [
        ['O1', 'A', '1970-01-01 00:00:00', '1.00'], // line 2: a placeholder
        ['O2', 'A', '0001-01-01T00:00:00Z', '1.00'], // line 3: year 1 (was read as 1901)
        ['O3', 'A', '1999-12-31T23:59:59+08:00', '1.00'], // line 4: 1999-12-31 in Asia/Shanghai
        ['O4', 'A', PAID, '1.00'], // line 5: good
      ]),
      writeCsv(b, 'interventions.csv', HEADERS.interventions, [
        caseRow('K1', 'O4', 'A', '0099-12-31 10:00:00'), // line 2: year 99 (was read as 1999)
        caseRow('K2', 'O4', 'A', OPENED), // line 3: good
      ]),
    ]);
    const before = (t: string) => `'${t}' is before the earliest accepted day 2000-01-01`;
    expect(rejectsOf(fileOf(report, 'orders'))).toEqual([
      [2, 'paid_at', `paid_at: ${before('1970-01-01 00:00:00')}`, 'O1'],
      [3, 'paid_at', `paid_at: ${before('0001-01-01T00:00:00Z')}`, 'O2'],
      [4, 'paid_at', `paid_at: ${before('1999-12-31T23:59:59+08:00')}`, 'O3'],
    ]);
    expect(rejectsOf(fileOf(report, 'interventions'))).toEqual([[2, 'opened_at', `opened_at: ${before('0099-12-31 10:00:00')}`, 'K1']]);
    expect([report.accepted, report.rejected, report.exitCode]).toEqual([2, 4, 3]);
    expect(await storedOrders(db)).toEqual(['O4:A']);
    expect(await storedCases(db)).toEqual(['K2:O4:A']);
    // The data's first day is the real one, not 1970: the grid is 2026-10-01 … 2026-10-02.
    const range = await db.read((conn) => queryRows(conn, "SELECT strftime(first_day, '%Y-%m-%d') AS f, strftime(last_day, '%Y-%m-%d') AS l FROM data_range"));
    expect(range).toEqual([{ f: '2026-10-01', l: '2026-10-02' }]);
  });

  it('compares the calendar day in the platform time zone (Asia/Shanghai) with a configured earliest day', async () => {
    const b = tempDir();
    const report = await ingest(
      db,
      [
        writeCsv(b, 'orders.csv', HEADERS.orders, [
          ['O1', 'A', '2026-09-30T23:30:00+08:00', '1.00'], // line 2: 2026-09-30 in Shanghai: rejected
          ['O2', 'A', '2026-09-30T16:30:00Z', '1.00'], // line 3: 2026-10-01 00:30 in Shanghai: accepted
          ['O3', 'A', '2026-10-01 00:00:00', '1.00'], // line 4: the first instant of the day: accepted
          ['O4', 'A', '2026-09-30 23:59:59.999', '1.00'], // line 5: the last millisecond before it: rejected
          ['O5', 'A', '2026-09-30T15:59:59Z', '1.00'], // line 6: 2026-09-30 23:59:59 in Shanghai: rejected
        ]),
      ],
      { earliestDay: '2026-10-01' },
    );
    const before = (t: string) => `paid_at: '${t}' is before the earliest accepted day 2026-10-01`;
    expect(rejectsOf(fileOf(report, 'orders'))).toEqual([
      [2, 'paid_at', before('2026-09-30T23:30:00+08:00'), 'O1'],
      [5, 'paid_at', before('2026-09-30 23:59:59.999'), 'O4'],
      [6, 'paid_at', before('2026-09-30T15:59:59Z'), 'O5'],
    ]);
    expect(await storedOrders(db)).toEqual(['O2:A', 'O3:A']);
  });

  it('refuses an earliest day that is not a real YYYY-MM-DD', async () => {
    await expect(ingest(db, [dir], { earliestDay: '2026-02-30' })).rejects.toThrow("earliestDay: '2026-02-30' is not a day as YYYY-MM-DD");
    const saved = process.env.EARLIEST_DAY;
    try {
      delete process.env.EARLIEST_DAY;
      expect(earliestDayFromEnv()).toBe('2000-01-01');
      expect(loadConfig().earliestDay).toBe('2000-01-01');
      process.env.EARLIEST_DAY = '2010-06-01';
      expect(loadConfig().earliestDay).toBe('2010-06-01');
      for (const bad of ['2010-6-1', '20100601', '2010-13-01', '2011-02-29', 'yesterday']) {
        process.env.EARLIEST_DAY = bad;
        expect(() => loadConfig(), bad).toThrow(`EARLIEST_DAY=${bad}: expected a real day as YYYY-MM-DD, e.g. 2000-01-01`);
      }
    } finally {
      if (saved === undefined) delete process.env.EARLIEST_DAY;
      else process.env.EARLIEST_DAY = saved;
    }
  });

  it('applies the same checks to Parquet timestamps (TIMESTAMP read as platform time, TIMESTAMPTZ as its instant)', async () => {
    const b = tempDir();
    const pq = (name: string) => path.join(b, name).replaceAll("'", "''");
    await db.read(async (conn) => {
      await conn.run(`COPY (SELECT * FROM (VALUES
          ('P1', 'A', TIMESTAMP '1970-01-01 00:00:00', 1.0::DECIMAL(18,2)),
          ('P2', 'A', TIMESTAMP '0001-01-01 00:00:00', 1.0::DECIMAL(18,2)),
          ('P3', 'A', TIMESTAMP '2026-10-01 10:00:00', 1.0::DECIMAL(18,2))) t(order_id, shop_id, paid_at, amount))
        TO '${pq('orders.parquet')}' (FORMAT parquet)`);
      await conn.run(`COPY (SELECT case_id, order_id, shop_id, opened_at, 'intervention' AS kind, 'quality' AS reason, 'open' AS status,
            NULL::VARCHAR AS outcome, false AS excluded, NULL::VARCHAR AS exclusion_reason FROM (VALUES
          ('Q1', 'P3', 'A', TIMESTAMPTZ '0050-06-01 00:00:00+00'),
          ('Q2', 'P3', 'A', TIMESTAMPTZ '1999-12-31 15:59:59+00'),
          ('Q3', 'P3', 'A', TIMESTAMPTZ '1999-12-31 16:00:00+00')) t(case_id, order_id, shop_id, opened_at))
        TO '${pq('interventions.parquet')}' (FORMAT parquet)`);
    });
    const report = await ingest(db, [b]);
    expect(rejectsOf(fileOf(report, 'orders'))).toEqual([
      [1, 'paid_at', "paid_at: '1970-01-01 00:00:00' is before the earliest accepted day 2000-01-01", 'P1'],
      [2, 'paid_at', "paid_at: '0001-01-01 00:00:00' is before the earliest accepted day 2000-01-01", 'P2'],
    ]);
    expect(rejectsOf(fileOf(report, 'interventions'))).toEqual([
      [1, 'opened_at', "opened_at: '0050-06-01 00:00:00+00' is before the earliest accepted day 2000-01-01", 'Q1'],
      [2, 'opened_at', "opened_at: '1999-12-31 15:59:59+00' is before the earliest accepted day 2000-01-01", 'Q2'], // 23:59:59 in Shanghai
    ]);
    expect([report.accepted, report.rejected]).toEqual([2, 4]);
    expect(await storedOrders(db)).toEqual(['P3:A']);
    expect(await storedCases(db)).toEqual(['Q3:P3:A']); // 2000-01-01 00:00 in Shanghai
    const paid = await db.read((conn) => queryRows(conn, "SELECT strftime(paid_at, '%Y-%m-%dT%H:%M:%SZ') AS t FROM orders"));
    expect(paid).toEqual([{ t: '2026-10-01T02:00:00Z' }]);
  });
});

describe('EARLIEST_DAY reaches the ingest', () => {
  it('npm run ingest rejects with the configured day, and refuses a bad setting before touching the database', async () => {
    const dir = tempDir();
    baseFiles(dir);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-09-30T12:00:00+08:00', '1'],
      ['O2', 'A', PAID, '1'],
    ]);
    const dbPath = path.join(dir, 'cli.duckdb');
    const cli = (env: Record<string, string>, ...args: string[]) =>
      run('npx', ['tsx', 'server/cli/ingest.ts', '--db', dbPath, ...args], { env: { ...process.env, ...env } }).then(
        (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
      );
    const bad = await cli({ EARLIEST_DAY: '2026-9-30' }, dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('ingest: EARLIEST_DAY=2026-9-30: expected a real day as YYYY-MM-DD, e.g. 2000-01-01');
    expect(fs.existsSync(dbPath)).toBe(false);
    const good = await cli({ EARLIEST_DAY: '2026-10-01' }, dir);
    expect(good.code).toBe(3);
    expect(good.out).toContain(
      `${path.join(dir, 'orders.csv')}:2: line 2 (O1): paid_at: '2026-09-30T12:00:00+08:00' is before the earliest accepted day 2026-10-01`,
    );
    expect(good.out).toMatch(/orders\.csv \(orders\): 1 accepted, 1 rejected/);
  }, 60_000);

  it('POST /api/ingest rejects with the configured day', async () => {
    const saved = process.env.EARLIEST_DAY;
    const { db, dir } = await openTempDb();
    try {
      process.env.EARLIEST_DAY = '2026-10-01';
      const secret = new TextEncoder().encode('trust-test-secret-0123456789abcdef0123');
      const app = createApp({ db, secret });
      const admin = await signToken(secret, { role: 'admin' });
      baseFiles(dir);
      const orders = writeCsv(dir, 'orders.csv', HEADERS.orders, [
        ['O1', 'A', '2026-09-30T12:00:00+08:00', '1'],
        ['O2', 'A', PAID, '1'],
      ]);
      const res = await request(app)
        .post('/api/ingest')
        .set('Authorization', `Bearer ${admin}`)
        .attach('files', path.join(dir, 'categories.csv'))
        .attach('files', path.join(dir, 'shops.csv'))
        .attach('files', orders);
      expect(res.status).toBe(201);
      expect([res.body.accepted, res.body.rejected]).toEqual([1 + 2 + 1, 1]);
      const f = res.body.files.find((x: FileReport) => x.file === 'orders.csv');
      expect(f.rejects).toEqual([
        { line: 2, column: 'paid_at', reason: "paid_at: '2026-09-30T12:00:00+08:00' is before the earliest accepted day 2026-10-01", id: 'O1' },
      ]);
    } finally {
      if (saved === undefined) delete process.env.EARLIEST_DAY;
      else process.env.EARLIEST_DAY = saved;
      await db.close();
    }
  });
});

describe('Parquet ingest at every pool size', () => {
  const opened: Database[] = [];
  afterAll(async () => {
    for (const db of opened) await db.close();
  });

  /** Fails instead of hanging: a hung ingest holds the writer, so its database is left open. */
  function within<T>(ms: number, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (hung)`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  for (const poolSize of [1, 2]) {
    it(`loads Parquet with DB_POOL_SIZE=${poolSize}; a broken Parquet file is refused whole without spoiling the batch`, async () => {
      const dir = tempDir();
      const db = await Database.open(path.join(dir, 'pool.duckdb'), { poolSize });
      baseFiles(dir);
      expect((await within(10_000, ingest(db, [dir]))).exitCode).toBe(0);
      const pq = path.join(dir, 'orders.parquet');
      await db.read((conn) =>
        conn.run(`COPY (SELECT * FROM (VALUES ('P1', 'A', TIMESTAMPTZ '2026-10-01 02:00:00+00', 10.5::DECIMAL(18,2)),
                                            ('P2', 'NOPE', TIMESTAMPTZ '2026-10-01 03:00:00+00', 1.0::DECIMAL(18,2))) t(order_id, shop_id, paid_at, amount))
                  TO '${pq.replaceAll("'", "''")}' (FORMAT parquet)`),
      );
      // Not Parquet at all: refused when its columns are read.
      const broken = path.join(dir, 'orders-broken.parquet');
      fs.writeFileSync(broken, 'PAR1 this is not really parquet');
      // A sound footer (columns and row count read fine) over a spoiled page: refused when its rows are read.
      const pages = path.join(dir, 'orders-pages.parquet');
      await db.read((conn) =>
        conn.run(`COPY (SELECT 'X' || i AS order_id, 'A' AS shop_id, TIMESTAMPTZ '2026-10-01 02:00:00+00' AS paid_at, 1.0::DECIMAL(18,2) AS amount
                        FROM range(3) t(i)) TO '${pages.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION uncompressed)`),
      );
      const bytes = fs.readFileSync(pages);
      bytes.fill(0xff, 4, 60); // the first page header, just after the leading magic bytes
      fs.writeFileSync(pages, bytes);
      const more = writeCsv(dir, 'orders-more.csv', HEADERS.orders, [['C1', 'B', PAID, '2.00']]);
      // On a hang this throws and the database stays open: closing it would wait for the hung writer.
      const report = await within(10_000, ingest(db, [pq, broken, pages, more]));
      opened.push(db);
      expect(report.files.map((f) => [path.basename(f.file), f.accepted, f.rejected])).toEqual([
        ['orders.parquet', 1, 1],
        ['orders-broken.parquet', 0, 0],
        ['orders-pages.parquet', 0, 0],
        ['orders-more.csv', 1, 0],
      ]);
      expect(report.files[0].rejects).toEqual([{ line: 2, column: 'shop_id', reason: 'shop_id: unknown shop NOPE', id: 'P2' }]);
      expect(report.files[1].error).toMatch(/^is not a readable Parquet file: .*magic bytes/);
      expect(report.files[2].error).toMatch(/^is not a readable Parquet file: /);
      expect(report.exitCode).toBe(3);
      expect(await storedOrders(db)).toEqual(['C1:B', 'P1:A']);
    }, 30_000);
  }
});
