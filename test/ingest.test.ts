// Ingest: every kind of bad row is set aside with file, line, column and reason; the good rows load;
// a whole batch commits or nothing does.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.js';
import { queryRows } from '../server/db/database.js';
import { kindOfFile } from '../server/ingest/tables.js';
import { parseTimestamp } from '../server/ingest/timestamps.js';
import { HEADERS, caseRow, ingest, openTempDb, snapshot, tempDir, writeCsv } from './helpers.js';

const run = promisify(execFile);

function baseFiles(dir: string) {
  writeCsv(dir, 'categories.csv', HEADERS.categories, [
    ['C1', '女装', ''],
    ['C11', '连衣裙', 'C1'],
  ]);
  writeCsv(dir, 'shops.csv', HEADERS.shops, [
    ['A', '甲店', 'C1'],
    ['B', '乙店', 'C11'],
  ]);
}

describe('timestamps', () => {
  const at = (text: string) => {
    const r = parseTimestamp(text, 'Asia/Shanghai');
    return 'micros' in r ? new Date(Number(r.micros / 1000n)).toISOString() : r.error;
  };
  it('reads offsets, Z and offset-less platform time', () => {
    expect(at('2026-10-01T23:30:00+08:00')).toBe('2026-10-01T15:30:00.000Z');
    expect(at('2026-10-01 23:30:00')).toBe('2026-10-01T15:30:00.000Z'); // Asia/Shanghai is UTC+8
    expect(at('2026-10-01T15:30:00Z')).toBe('2026-10-01T15:30:00.000Z');
    expect(at('2026-10-01T10:30:00-0500')).toBe('2026-10-01T15:30:00.000Z');
    expect(at('2026-10-01 15:30:00+00')).toBe('2026-10-01T15:30:00.000Z'); // as DuckDB prints TIMESTAMPTZ
    expect(at('2026-10-01T23:30')).toBe('2026-10-01T15:30:00.000Z');
    expect(at('2026-10-01T23:30:00.250+08:00')).toBe('2026-10-01T15:30:00.250Z');
  });
  it('refuses what is not a real date and time', () => {
    expect(at('2026-02-30T10:00:00+08:00')).toMatch(/not a valid date/);
    expect(at('2026-10-01')).toMatch(/not an ISO 8601/);
    expect(at('01/10/2026 10:00')).toMatch(/not an ISO 8601/);
    expect(at('2026-10-01T24:00:00Z')).toMatch(/not a valid date/);
  });
  it('uses the platform zone given, with its daylight saving', () => {
    const r = parseTimestamp('2026-07-01 12:00:00', 'Europe/Berlin');
    expect('micros' in r && new Date(Number(r.micros / 1000n)).toISOString()).toBe('2026-07-01T10:00:00.000Z');
  });
});

describe('file kinds', () => {
  it('takes the kind from the name stem', () => {
    expect(kindOfFile('/x/orders.csv')).toBe('orders');
    expect(kindOfFile('orders-2026-11-25.csv')).toBe('orders');
    expect(kindOfFile('interventions.parquet')).toBe('interventions');
    expect(kindOfFile('shops_v2.CSV')).toBe('shops');
    expect(kindOfFile('ordersx.csv')).toBeNull();
    expect(kindOfFile('notes.txt')).toBeNull();
  });
});

describe('bad rows', () => {
  let db: Database;
  let dir: string;
  beforeAll(async () => {
    ({ db, dir } = await openTempDb());
    baseFiles(dir);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-10-01T10:00:00+08:00', '19.90'], // line 2: good
      ['O2', 'A', 'yesterday', '1.00'], // line 3: bad timestamp
      ['O3', 'NOPE', '2026-10-01T10:00:00+08:00', '1.00'], // line 4: unknown shop
      ['O4', 'A', '2027-01-01T00:00:00+08:00', '1.00'], // line 5: future
      ['O1', 'A', '2026-10-02T10:00:00+08:00', '1.00'], // line 6: duplicate id in the file
      ['O5', 'A', '2026-10-01T10:00:00+08:00', 'abc'], // line 7: bad amount
      ['O6', 'B', '2026-10-01T10:00:00+08:00', '-3'], // line 8: negative amount
      ['', 'B', '2026-10-01T10:00:00+08:00', '1'], // line 9: empty id
      ['O7', 'B', '2026-10-01T10:00:00+08:00', '5.5'], // line 10: good
    ]);
    fs.appendFileSync(path.join(dir, 'orders.csv'), 'O8,B,2026-10-01T10:00:00+08:00\n'); // line 11: a field short
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
      caseRow('K1', 'O1', 'A', '2026-10-02T10:00:00+08:00'), // line 2: good
      caseRow('K2', 'O1', 'B', '2026-10-02T10:00:00+08:00'), // line 3: an order of another shop
      caseRow('K3', 'O7', 'B', '2026-10-02T10:00:00+08:00', { kind: 'refund' }), // line 4: kind not in the list
      caseRow('K4', 'O7', 'B', '2026-10-02T10:00:00+08:00', { status: 'pending' }), // line 5: bad status
      caseRow('K5', 'O7', 'B', '2026-10-02T10:00:00+08:00', { outcome: 'maybe' }), // line 6: bad outcome
      caseRow('K6', 'O7', 'B', '2026-10-02T10:00:00+08:00', { excluded: 'yes' }), // line 7: bad boolean
      caseRow('K7', 'O7', 'ZZ', '2026-10-02T10:00:00+08:00'), // line 8: unknown shop
      caseRow('K8', 'O7', 'B', '2030-10-02T10:00:00+08:00'), // line 9: future
      caseRow('K9', 'O7', 'B', '2026-10-03T10:00:00+08:00', { kind: 'complaint', outcome: 'withdrawn', status: 'closed' }), // line 10: good
    ]);
  });
  afterAll(async () => db.close());

  it('rejects each bad row with its line, column and reason, and loads the good ones', async () => {
    const report = await ingest(db, [dir]);
    const orders = report.files.find((f) => f.kind === 'orders')!;
    expect(orders.accepted).toBe(2);
    expect(orders.rejects.map((r) => [r.line, r.column])).toEqual([
      [3, 'paid_at'],
      [4, 'shop_id'],
      [5, 'paid_at'],
      [6, 'order_id'],
      [7, 'amount'],
      [8, 'amount'],
      [9, 'order_id'],
      [11, null],
    ]);
    const reasons = orders.rejects.map((r) => r.reason);
    expect(orders.rejects.map((r) => r.id)).toEqual(['O2', 'O3', 'O4', 'O1', 'O5', 'O6', undefined, 'O8']);
    expect(reasons[0]).toBe("paid_at: not an ISO 8601 date and time: 'yesterday'");
    expect(reasons[1]).toBe('shop_id: unknown shop NOPE');
    expect(reasons[2]).toMatch(/paid_at: '2027-01-01T00:00:00\+08:00' is in the future/);
    expect(reasons[3]).toBe('order_id: O1 appears again (first on line 2)');
    expect(reasons[6]).toBe('order_id: is empty');
    expect(reasons[7]).toMatch(/has 3 fields; expected 4/);
    const cases = report.files.find((f) => f.kind === 'interventions')!;
    expect(cases.accepted).toBe(2);
    expect(cases.rejects.map((r) => [r.line, r.column])).toEqual([
      [3, 'order_id'],
      [4, 'kind'],
      [5, 'status'],
      [6, 'outcome'],
      [7, 'excluded'],
      [8, 'shop_id'],
      [9, 'opened_at'],
    ]);
    expect(cases.rejects[0].reason).toBe('order_id: order O1 belongs to shop A, not B');
    expect(cases.rejects[1].reason).toBe("kind: 'refund' is not one of intervention, complaint");
    expect(report.exitCode).toBe(3);
    expect([report.accepted, report.rejected]).toEqual([2 + 2 + 2 + 2, 15]);
    // The rejects are kept in the ingest log with the batch's counts.
    const logged = await db.read((conn) => queryRows(conn, 'SELECT count(*) AS n FROM ingest_rejects WHERE batch_id = $b', { b: report.batchId }));
    expect(logged[0].n).toBe(15);
    const batch = await db.read((conn) => queryRows(conn, 'SELECT accepted, rejected, outcome FROM ingest_batches WHERE batch_id = $b', { b: report.batchId }));
    expect(batch[0]).toEqual({ accepted: 8, rejected: 15, outcome: 'loaded_with_rejects' });
    const stored = await db.read((conn) => queryRows(conn, 'SELECT order_id, amount::VARCHAR AS amount FROM orders ORDER BY order_id'));
    expect(stored).toEqual([
      { order_id: 'O1', amount: '19.90' },
      { order_id: 'O7', amount: '5.50' },
    ]);
  });

  it('refuses a file with a wrong header, an unknown name, no UTF-8 or no rows, and still loads the others', async () => {
    const d = tempDir();
    writeCsv(d, 'orders.csv', ['order_id', 'shop', 'paid_at', 'amount'], [['X1', 'A', '2026-10-01T10:00:00+08:00', '1']]);
    writeCsv(d, 'refunds.csv', ['a'], [['1']]);
    fs.writeFileSync(
      path.join(d, 'orders-gbk.csv'),
      Buffer.concat([Buffer.from('order_id,shop_id,paid_at,amount\nX2,A,2026-10-01T10:00:00+08:00,1\nX3,'), Buffer.from([0xc4, 0xe3]), Buffer.from(',x,1\n')]),
    );
    fs.writeFileSync(path.join(d, 'orders-empty.csv'), '');
    writeCsv(d, 'shops-more.csv', HEADERS.shops, [['C', '丙店', 'C1']]);
    const report = await ingest(db, [d]);
    const byName = Object.fromEntries(report.files.map((f) => [path.basename(f.file), f]));
    expect(byName['orders.csv'].error).toMatch(/header 'order_id,shop,paid_at,amount' on line 1; expected 'order_id,shop_id,paid_at,amount'/);
    expect(byName['refunds.csv'].error).toMatch(/cannot tell its table/);
    expect(byName['orders-gbk.csv'].error).toMatch(/not valid UTF-8/);
    expect(byName['orders-gbk.csv'].accepted).toBe(0); // X2 was good, but the file is refused whole
    expect(byName['orders-empty.csv'].error).toMatch(/is empty/);
    expect(byName['shops-more.csv'].accepted).toBe(1);
    expect(report.exitCode).toBe(3);
  });

  it('reads a BOM, CRLF line ends and quoted fields with commas and newlines', async () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'shops.csv'), '\ufeffshop_id,shop_name,category_id\r\nQ1,"好店, 旗舰店",C1\r\nQ2,"两行\r\n店名",C1\r\nQ3,,C1\r\n');
    const report = await ingest(db, [d]);
    const f = report.files[0];
    expect(f.accepted).toBe(2);
    // Q3's line counts the quoted newline of Q2 before it.
    expect(f.rejects).toEqual([{ line: 5, column: 'shop_name', reason: 'shop_name: is empty', id: 'Q3' }]);
    const names = await db.read((conn) => queryRows(conn, "SELECT shop_name FROM shops WHERE shop_id IN ('Q1','Q2') ORDER BY shop_id"));
    expect(names.map((r) => r.shop_name)).toEqual(['好店, 旗舰店', '两行\r\n店名']);
  });
});

describe('one batch, one transaction', () => {
  it('a batch that fails midway leaves the database exactly as before', async () => {
    const { db, dir } = await openTempDb();
    baseFiles(dir);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [['O1', 'A', '2026-10-01T10:00:00+08:00', '1']]);
    await ingest(db, [dir]);
    const before = await snapshot(db);
    const d2 = tempDir();
    writeCsv(d2, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-10-05T10:00:00+08:00', '2'],
      ['O2', 'B', '2026-10-06T10:00:00+08:00', '3'],
    ]);
    writeCsv(d2, 'interventions.csv', HEADERS.interventions, [caseRow('K1', 'O2', 'B', '2026-10-06T11:00:00+08:00')]);
    await expect(
      ingest(db, [d2], {
        beforeCommit: async () => {
          throw new Error('crash before commit');
        },
      }),
    ).rejects.toThrow('crash before commit');
    expect(await snapshot(db)).toEqual(before);
    const batches = await db.read((conn) => queryRows(conn, 'SELECT count(*) AS n FROM ingest_batches'));
    expect(batches[0].n).toBe(1);
    await db.close();
  });

  it('Parquet files load through the same checks, columns matched by name', async () => {
    const { db, dir } = await openTempDb();
    baseFiles(dir);
    await ingest(db, [dir]);
    const pq = path.join(dir, 'orders.parquet').replaceAll("'", "''");
    await db.read((conn) =>
      conn.run(`COPY (SELECT * FROM (VALUES
         ('P1', TIMESTAMPTZ '2026-10-01 02:00:00+00', 'A', 10.5::DECIMAL(18,2)),
         ('P2', TIMESTAMPTZ '2026-10-01 03:00:00+00', 'NOPE', 1.0::DECIMAL(18,2))) t(order_id, paid_at, shop_id, amount))
       TO '${pq}' (FORMAT parquet)`),
    );
    const report = await ingest(db, [path.join(dir, 'orders.parquet')]);
    expect(report.files[0].accepted).toBe(1);
    expect(report.files[0].rejects).toEqual([{ line: 2, column: 'shop_id', reason: 'shop_id: unknown shop NOPE', id: 'P2' }]);
    const rows = await db.read((conn) => queryRows(conn, "SELECT order_id, strftime(paid_at, '%Y-%m-%dT%H:%M:%S') AS t FROM orders"));
    expect(rows).toEqual([{ order_id: 'P1', t: '2026-10-01T02:00:00' }]);
    await db.close();
  });
});

describe('npm run ingest', () => {
  it('prints every rejected line and exits 3; 0 when all are good; 1 when nothing loads', async () => {
    const dir = tempDir();
    baseFiles(dir);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-10-01T10:00:00+08:00', '1'],
      ['O2', 'A', 'bad', '1'],
    ]);
    const dbPath = path.join(dir, 'cli.duckdb');
    const cli = (...args: string[]) =>
      run('npx', ['tsx', 'server/cli/ingest.ts', '--db', dbPath, ...args]).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
    const first = await cli(dir);
    expect(first.code).toBe(3);
    expect(first.out).toContain(`${path.join(dir, 'orders.csv')}:3: line 3 (O2): paid_at: not an ISO 8601 date and time: 'bad'`);
    expect(first.out).toMatch(/orders\.csv \(orders\): 1 accepted, 1 rejected/);
    const clean = await cli(path.join(dir, 'shops.csv'));
    expect(clean.code).toBe(0);
    const bad = tempDir();
    writeCsv(bad, 'orders.csv', HEADERS.orders, [['O9', 'A', 'bad', '1']]);
    expect((await cli(bad)).code).toBe(1);
  });
});
