// Test helpers: fixture files written from rows, a temp database, and reads of the materialized metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database, queryRows } from '../server/db/database.js';
import { ingestFiles, type IngestOptions, type IngestReport } from '../server/ingest/ingest.js';

export const HEADERS = {
  categories: ['category_id', 'category_name', 'parent_id'],
  shops: ['shop_id', 'shop_name', 'category_id'],
  orders: ['order_id', 'shop_id', 'paid_at', 'amount'],
  interventions: ['case_id', 'order_id', 'shop_id', 'opened_at', 'kind', 'reason', 'status', 'outcome', 'excluded', 'exclusion_reason'],
} as const;

export function tempDir(prefix = 'iw-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Writes a CSV with the given header and rows; returns its path. */
export function writeCsv(dir: string, name: string, header: readonly string[], rows: (string | number)[][]): string {
  const file = path.join(dir, name);
  const lines = [header.join(','), ...rows.map((r) => r.map((v) => csvField(String(v))).join(','))];
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The small worlds' catalogue: one category (C1 女装), its shops (`A` is named `A店`), and optionally goods [goods id, shop id, name]. */
export function writeCatalogue(dir: string, shops: string[], goods: [string, string, string][] = []): void {
  writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
  writeCsv(
    dir,
    'shops.csv',
    HEADERS.shops,
    shops.map((shop) => [shop, `${shop}店`, 'C1']),
  );
  if (goods.length > 0) writeCsv(dir, 'goods.csv', ['goods_id', 'shop_id', 'goods_name'], goods);
}

/** Adds n days to a YYYY-MM-DD date. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Days from a to b inclusive. */
export function daysBetween(a: string, b: string): string[] {
  const out: string[] = [];
  for (let d = a; d <= b; d = addDays(d, 1)) out.push(d);
  return out;
}

/** An intervention-file row with defaults: an intervention, open, not excluded. */
export function caseRow(
  caseId: string,
  orderId: string,
  shopId: string,
  openedAt: string,
  over: Partial<{ kind: string; reason: string; status: string; outcome: string; excluded: string; exclusionReason: string }> = {},
): string[] {
  return [
    caseId,
    orderId,
    shopId,
    openedAt,
    over.kind ?? 'intervention',
    over.reason ?? 'quality',
    over.status ?? 'open',
    over.outcome ?? '',
    over.excluded ?? 'false',
    over.exclusionReason ?? '',
  ];
}

export const NOW = new Date('2026-11-26T00:00:00Z');

export async function openTempDb(options: { memory?: boolean } = {}): Promise<{ db: Database; dir: string; dbPath: string }> {
  const dir = tempDir();
  const dbPath = options.memory ? ':memory:' : path.join(dir, 'test.duckdb');
  const db = await Database.open(dbPath, { poolSize: 3 });
  return { db, dir, dbPath };
}

export async function ingest(db: Database, files: string[], options: IngestOptions = {}): Promise<IngestReport> {
  return ingestFiles(db, files, { now: NOW, ...options });
}

export interface ShopDayRow {
  shop_id: string;
  day: string;
  orders: number;
  interventions: number;
  complaints: number;
  rate: number | null;
  category_mean: number | null;
  ratio: number | null;
  judged: boolean;
  complete: boolean;
  flagged: boolean;
  consecutive_flagged: number;
  level: string;
}

export async function shopDay(db: Database, shopId: string, day: string): Promise<ShopDayRow> {
  const rows = await db.read((conn) =>
    queryRows<ShopDayRow>(
      conn,
      `SELECT shop_id, strftime(day, '%Y-%m-%d') AS day, orders, interventions, complaints, rate, category_mean, ratio,
              judged, complete, flagged, consecutive_flagged, level
       FROM shop_day WHERE shop_id = $shopId AND day = $day::DATE`,
      { shopId, day },
    ),
  );
  if (rows.length !== 1) throw new Error(`expected one shop_day row for ${shopId} on ${day}, found ${rows.length}`);
  return rows[0];
}

export async function shopDays(db: Database, shopId: string): Promise<ShopDayRow[]> {
  return db.read((conn) =>
    queryRows<ShopDayRow>(
      conn,
      `SELECT shop_id, strftime(day, '%Y-%m-%d') AS day, orders, interventions, complaints, rate, category_mean, ratio,
              judged, complete, flagged, consecutive_flagged, level
       FROM shop_day WHERE shop_id = $shopId ORDER BY day`,
      { shopId },
    ),
  );
}

/** Every raw and materialized row, as text: equal snapshots mean nothing changed. */
export async function snapshot(db: Database): Promise<Record<string, string>> {
  const queries: Record<string, string> = {
    categories: 'SELECT * FROM categories',
    shops: 'SELECT * FROM shops',
    orders: 'SELECT * FROM orders',
    cases: 'SELECT * FROM cases',
    shop_day: 'SELECT * FROM shop_day',
    category_day: 'SELECT * FROM category_day',
    restriction_episodes: 'SELECT * FROM restriction_episodes',
    data_range: 'SELECT first_day, last_day, window_days, policy_version FROM data_range',
  };
  const out: Record<string, string> = {};
  for (const [name, sql] of Object.entries(queries)) {
    const rows = await db.read((conn) => queryRows(conn, `${sql} ORDER BY ALL`));
    out[name] = JSON.stringify(rows);
  }
  return out;
}

/** Order rows: perDay orders of a shop on each day from..to, paid at the given local time (+08:00). */
export function dailyOrders(shopId: string, from: string, to: string, perDay: number, time = '12:00:00', skip: string[] = []): string[][] {
  const rows: string[][] = [];
  for (const day of daysBetween(from, to)) {
    if (skip.includes(day)) continue;
    for (let i = 1; i <= perDay; i++) rows.push([`${shopId}-${day}-${i}`, shopId, `${day}T${time}+08:00`, '19.90']);
  }
  return rows;
}

/** A small fast seeded PRNG (mulberry32), so every random test case can be replayed from its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
