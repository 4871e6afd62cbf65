// The bench's data: the demo generator's CSV files, Parquet copies of them made by DuckDB, and the
// files of one more day for the append measurement.
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryRows, type Database } from '../../server/db/database.js';
import { generateDemo, type DemoSummary } from '../../server/generate/demo.js';
import { Random } from '../../server/generate/random.js';
import { progress } from './report.js';

const DAY_MS = 86_400_000;

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export async function generate(
  out: string,
  shops: number,
  days: number,
  seed: number,
  end: string,
  ordersPerShopDay?: number,
): Promise<{ summary: DemoSummary; ms: number; bytes: number }> {
  const started = performance.now();
  const show = progress('generating orders');
  const summary = await generateDemo({
    shops,
    days,
    seed,
    end,
    out,
    ...(ordersPerShopDay !== undefined ? { ordersPerShopDay } : {}),
    onProgress: (done, total) => show(done, total),
  });
  const bytes = summary.files.reduce((n, f) => n + fs.statSync(f).size, 0);
  return { summary, ms: performance.now() - started, bytes };
}

/**
 * Splits orders.csv into parts of at most `maxRows` rows, at day boundaries (the generator writes
 * the orders day by day, ids O{yyyymmdd}{seq}), as daily exports would come. Needed past 16.7 M
 * rows: ingest keeps a JS Map of the ids of one file, and a Map holds at most 2^24 entries.
 */
export async function splitOrders(csvDir: string, totalRows: number, maxRows: number): Promise<string[]> {
  const source = path.join(csvDir, 'orders.csv');
  if (totalRows <= maxRows) return [source];
  const parts = Math.ceil(totalRows / maxRows);
  const perPart = Math.ceil(totalRows / parts);
  const files: string[] = [];
  let out: fs.WriteStream | null = null;
  let header = '';
  let rows = 0;
  let day = '';
  const open = () => {
    const file = path.join(csvDir, `orders-part${String(files.length + 1).padStart(2, '0')}.csv`);
    files.push(file);
    out = fs.createWriteStream(file);
    out.write(`${header}\n`);
    rows = 0;
  };
  const show = progress('splitting orders.csv');
  let done = 0;
  let rest = '';
  for await (const chunk of fs.createReadStream(source, { encoding: 'utf8', highWaterMark: 1 << 22 })) {
    const lines = (rest + (chunk as string)).split('\n');
    rest = lines.pop()!;
    let batch: string[] = [];
    for (const line of lines) {
      if (!header) {
        header = line;
        continue;
      }
      const lineDay = line.slice(1, 9);
      if (out === null || (rows >= perPart && lineDay !== day && files.length < parts)) {
        if (out !== null) {
          const w: fs.WriteStream = out;
          if (!w.write(batch.join(''))) await once(w, 'drain');
          batch = [];
          w.end();
          await finished(w);
        }
        open();
      }
      day = lineDay;
      batch.push(`${line}\n`);
      rows++;
      done++;
    }
    const w: fs.WriteStream = out!;
    if (batch.length > 0 && !w.write(batch.join(''))) await once(w, 'drain');
    show(done, totalRows);
  }
  if (rest !== '') (out as fs.WriteStream | null)?.write(`${rest}\n`);
  const last: fs.WriteStream = out!;
  last.end();
  await finished(last);
  fs.rmSync(source);
  return files;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Parquet copies of the CSV files, written by DuckDB on an instance of its own. Columns stay VARCHAR
 * (as the CSV's text) so the Parquet ingest goes through the same field checks.
 */
export async function parquetCopies(csvDir: string, out: string): Promise<{ files: string[]; ms: number; bytes: number }> {
  const started = performance.now();
  fs.mkdirSync(out, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const files: string[] = [];
  try {
    const names = fs
      .readdirSync(csvDir)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => f.slice(0, -4))
      .sort();
    for (const name of names) {
      const src = path.join(csvDir, `${name}.csv`);
      const dst = path.join(out, `${name}.parquet`);
      await conn.run(
        `COPY (SELECT * FROM read_csv(${sqlString(src)}, all_varchar = true, header = true, delim = ',', quote = '"', escape = '"'))
         TO ${sqlString(dst)} (FORMAT parquet)`,
      );
      files.push(dst);
      process.stderr.write(`  parquet: ${name}.parquet written\n`);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  return { files, ms: performance.now() - started, bytes };
}

export interface DayFiles {
  day: string;
  dir: string;
  orders: number;
  cases: number;
  /** Cases opened on the day for orders paid on earlier days. */
  lateCases: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const clock = (sec: number) => `${pad2(Math.floor(sec / 3600))}:${pad2(Math.floor((sec % 3600) / 60))}:${pad2(sec % 60)}`;

/**
 * One more day of data after `last`: each shop sells as many orders as on its last day (so the
 * volume is the data's own), paid on the new day; a share of them gets intervention or complaint
 * cases opened later the same day, at the data's own shares. With `lateShare` > 0, that share of the
 * day's cases is instead opened on orders paid in the 10 days before (as real disputes mostly are).
 * Ids start with N, which the generator never uses, so nothing collides.
 */
export async function nextDay(db: Database, dir: string, day: string, seed: number, lateShare: number): Promise<DayFiles> {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Random(seed, 77, Date.parse(day) / DAY_MS);
  const { volumes, shares, recent } = await db.read(async (conn) => {
    const volumes = await queryRows<{ shop_id: string; orders: number }>(
      conn,
      'SELECT shop_id, orders FROM daily_orders WHERE day = (SELECT max(day) FROM daily_orders) ORDER BY shop_id',
    );
    const shares = (
      await queryRows<{ intervention: number; complaint: number }>(
        conn,
        `SELECT count(DISTINCT order_id) FILTER (WHERE kind = 'intervention') / (SELECT count(*) FROM orders) AS intervention,
                count(DISTINCT order_id) FILTER (WHERE kind = 'complaint') / (SELECT count(*) FROM orders) AS complaint
         FROM cases`,
      )
    )[0];
    const dayOrders = volumes.reduce((n, v) => n + v.orders, 0);
    const late = Math.round(dayOrders * (shares.intervention + shares.complaint) * lateShare);
    const recent =
      late === 0
        ? []
        : await queryRows<{ order_id: string; shop_id: string }>(
            conn,
            `SELECT order_id, shop_id FROM orders WHERE paid_at >= $since::TIMESTAMPTZ
             ORDER BY hash(order_id || $salt) LIMIT $n`,
            { since: `${addDays(day, -10)}T00:00:00+08:00`, salt: String(seed), n: late },
          );
    return { volumes, shares, recent };
  });

  const ymd = day.replaceAll('-', '');
  const orderLines = ['order_id,shop_id,paid_at,amount'];
  const caseLines = ['case_id,order_id,shop_id,opened_at,kind,reason,status,outcome,excluded,exclusion_reason'];
  const sameDayShare = 1 - lateShare;
  let caseSeq = 0;
  const addCase = (orderId: string, shopId: string, openedSec: number, kind: string) => {
    caseSeq++;
    const reason = kind === 'intervention' ? 'not_received' : 'quality';
    caseLines.push(`N${ymd}C${String(caseSeq).padStart(7, '0')},${orderId},${shopId},${day}T${clock(openedSec)}+08:00,${kind},${reason},open,,false,`);
  };
  let seq = 0;
  for (const { shop_id: shopId, orders } of volumes) {
    for (let i = 0; i < orders; i++) {
      seq++;
      const orderId = `N${ymd}${String(seq).padStart(8, '0')}`;
      const paidSec = rng.int(86_400 - 60); // at least a minute left in the day for a case
      orderLines.push(`${orderId},${shopId},${day}T${clock(paidSec)}+08:00,${(10 + rng.int(20_000) / 100).toFixed(2)}`);
      const u = rng.next();
      const kind = u < shares.intervention * sameDayShare ? 'intervention' : u < (shares.intervention + shares.complaint) * sameDayShare ? 'complaint' : null;
      if (kind) addCase(orderId, shopId, paidSec + 1 + rng.int(86_400 - paidSec - 1), kind);
    }
  }
  const interventionPart = shares.intervention / Math.max(1e-12, shares.intervention + shares.complaint);
  for (const r of recent) addCase(r.order_id, r.shop_id, rng.int(86_400), rng.next() < interventionPart ? 'intervention' : 'complaint');
  fs.writeFileSync(path.join(dir, `orders-${day}.csv`), orderLines.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, `interventions-${day}.csv`), caseLines.join('\n') + '\n');
  return { day, dir, orders: seq, cases: caseSeq, lateCases: recent.length };
}
