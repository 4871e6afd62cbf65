// The scale curve: the full rebuild (and its lower bound) at several shop counts, and the growth
// exponent of each. Every point is made from the bench's own database (already ingested and checked):
// a copy with the first N shops and their orders and cases, or, past the shops it has, with the shops
// repeated under new ids (S00001~2, …) and their orders and cases with them. So each point has the
// same shape of data (shop sizes, rates, troubled shops) at a different number of shops, and no point
// needs another ingest.
import fs from 'node:fs';
import path from 'node:path';
import { Database, queryOne } from '../../server/db/database.js';
import { refreshMetrics } from '../../server/pipeline/refresh.js';

export interface CurvePoint {
  shops: number;
  orders: number;
  cases: number;
  shopDays: number;
  /** Best of the runs, ms. */
  lowerBoundMs: number;
  rebuildMs: number;
  overLowerBound: number;
  /** The same by CPU time of the process (steadier on a shared machine). */
  lowerBoundCpuMs: number;
  rebuildCpuMs: number;
  /** Making this point's database (copy, subset or repeat, checkpoint). */
  prepareMs: number;
}

export interface Curve {
  points: CurvePoint[];
  /** Least-squares slope of log(time) over log(shops): 1 is linear. */
  rebuildExponent: number | null;
  lowerBoundExponent: number | null;
  rebuildCpuExponent: number | null;
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The slope of log y over log x (least squares); null with fewer than two distinct x. */
export function growthExponent(points: { x: number; y: number }[]): number | null {
  const pts = points.filter((p) => p.x > 0 && p.y > 0).map((p) => ({ x: Math.log(p.x), y: Math.log(p.y) }));
  if (new Set(pts.map((p) => p.x)).size < 2) return null;
  const mx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const my = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  const sxy = pts.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = pts.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

/** Shapes the copy at `dbPath` to exactly `target` shops (first ones kept, or all repeated under new ids). */
export async function shapeShops(db: Database, target: number): Promise<void> {
  await db.write(async (conn) => {
    const have = (await queryOne<{ n: number }>(conn, 'SELECT count(*) AS n FROM shops'))?.n ?? 0;
    if (target > have) {
      const copies = Math.ceil(target / have);
      for (let c = 2; c <= copies; c++) {
        const suffix = { suffix: `~${c}` };
        await conn.run("INSERT INTO shops SELECT shop_id || $suffix, shop_name || $suffix, category_id FROM shops WHERE NOT contains(shop_id, '~')", suffix);
        await conn.run(
          "INSERT INTO orders (order_id, shop_id, paid_at, amount) SELECT order_id || $suffix, shop_id || $suffix, paid_at, amount FROM orders WHERE NOT contains(shop_id, '~')",
          suffix,
        );
        await conn.run(
          `INSERT INTO cases SELECT case_id || $suffix, order_id || $suffix, shop_id || $suffix, opened_at, kind, reason, status, outcome, excluded,
             exclusion_reason FROM cases WHERE NOT contains(shop_id, '~')`,
          suffix,
        );
      }
    }
    // Keep the first `target` shops: the originals in id order, then the first copies.
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE curve_drop AS SELECT shop_id FROM
         (SELECT shop_id, row_number() OVER (ORDER BY contains(shop_id, '~'), length(shop_id), shop_id) AS n FROM shops) WHERE n > $target`,
      { target },
    );
    await conn.run('DELETE FROM cases WHERE shop_id IN (SELECT shop_id FROM curve_drop)');
    await conn.run('DELETE FROM orders WHERE shop_id IN (SELECT shop_id FROM curve_drop)');
    await conn.run('DELETE FROM shops WHERE shop_id IN (SELECT shop_id FROM curve_drop)');
    await conn.run('DROP TABLE curve_drop');
  });
  await db.read((conn) => conn.run('CHECKPOINT'));
}

/**
 * Measures each point: `source` is the bench's database file (closed). `lowerBound` and `rebuild` time
 * one run each on an open database; the best of `runs` is kept.
 */
export async function scaleCurve(
  source: string,
  work: string,
  targets: number[],
  runs: number,
  lowerBound: (db: Database) => Promise<{ ms: number; cpuMs: number }>,
  log: (message: string) => void,
): Promise<Curve> {
  const points: CurvePoint[] = [];
  for (const target of targets) {
    const file = path.join(work, `curve-${target}.duckdb`);
    for (const suffix of ['', '.wal']) fs.rmSync(file + suffix, { force: true });
    const started = performance.now();
    fs.copyFileSync(source, file);
    if (fs.existsSync(source + '.wal')) fs.copyFileSync(source + '.wal', file + '.wal');
    const db = await Database.open(file, { poolSize: 2 });
    try {
      await shapeShops(db, target);
      const prepareMs = performance.now() - started;
      const counts = (await db.read((conn) =>
        queryOne<{ shops: number; orders: number; cases: number }>(
          conn,
          'SELECT (SELECT count(*) FROM shops) AS shops, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM cases) AS cases',
        ),
      ))!;
      const lower: number[] = [];
      const rebuild: number[] = [];
      const lowerCpu: number[] = [];
      const rebuildCpu: number[] = [];
      let shopDays = 0;
      for (let i = 0; i < runs; i++) {
        const lb = await lowerBound(db);
        lower.push(lb.ms);
        lowerCpu.push(lb.cpuMs);
        const cpuStarted = cpuNow();
        const summary = await db.write((conn) => refreshMetrics(conn, { from: null }));
        rebuildCpu.push(cpuNow() - cpuStarted);
        rebuild.push(summary.ms);
        shopDays = summary.shopDays;
      }
      const point: CurvePoint = {
        shops: counts.shops,
        orders: counts.orders,
        cases: counts.cases,
        shopDays,
        lowerBoundMs: Math.min(...lower),
        rebuildMs: Math.min(...rebuild),
        overLowerBound: Math.min(...rebuild) / Math.min(...lower),
        lowerBoundCpuMs: Math.min(...lowerCpu),
        rebuildCpuMs: Math.min(...rebuildCpu),
        prepareMs,
      };
      points.push(point);
      log(
        `  ${point.shops} shops (${point.orders} orders): lower bound ${Math.round(point.lowerBoundMs)} ms, rebuild ${Math.round(point.rebuildMs)} ms = ${point.overLowerBound.toFixed(2)}×; CPU ${Math.round(point.rebuildCpuMs)} ÷ ${Math.round(point.lowerBoundCpuMs)} ms (made in ${Math.round(prepareMs)} ms)`,
      );
    } finally {
      await db.close();
      for (const suffix of ['', '.wal']) fs.rmSync(file + suffix, { force: true });
    }
  }
  return {
    points,
    rebuildExponent: growthExponent(points.map((p) => ({ x: p.shops, y: p.rebuildMs }))),
    lowerBoundExponent: growthExponent(points.map((p) => ({ x: p.shops, y: p.lowerBoundMs }))),
    rebuildCpuExponent: growthExponent(points.map((p) => ({ x: p.shops, y: p.rebuildCpuMs }))),
  };
}
