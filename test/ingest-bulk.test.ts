// The bulk ingest (issue 15): DuckDB reads and checks whole files in SQL, the row reader only sees the
// rows the SQL doubts. Its report and its stored rows must be the row reader's exactly: timestamps in any
// zone (DST gaps and overlaps), line numbers past quoted newlines, blank lines and CRLF in large files,
// every kind of bad value and broken line.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, queryRows } from '../server/db/database.js';
import { stageSql } from '../server/ingest/bulk.js';
import { ingestFiles, type IngestReport } from '../server/ingest/ingest.js';
import { prepassCsv } from '../server/ingest/prepass.js';
import { TABLES, type FieldContext } from '../server/ingest/tables.js';
import { earliestDayRule } from '../server/ingest/timestamps.js';
import { HEADERS, NOW, tempDir } from './helpers.js';

const OH = HEADERS.orders.join(',');
const SH = HEADERS.shops.join(',');
const IH = HEADERS.interventions.join(',');
const P = '2026-10-01T10:00:00+08:00';

/** A tiny seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('timestamps in SQL are the row reader’s', () => {
  const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Pacific/Chatham', 'Asia/Kolkata', 'UTC'];
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => instance.closeSync());

  /** Every quarter hour (and a few odd minutes) from a day before to a day after each date, as wall times. */
  function wallTimes(days: string[]): string[] {
    const out: string[] = [];
    for (const day of days) {
      const start = Date.parse(`${day}T00:00:00Z`) - 86_400_000;
      for (let t = start; t < start + 3 * 86_400_000; t += 15 * 60_000) {
        const iso = new Date(t).toISOString();
        out.push(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
        out.push(`${iso.slice(0, 10)}T${iso.slice(11, 16)}:07.25`);
      }
    }
    return out;
  }

  for (const zone of zones) {
    it(`${zone}: every value the SQL accepts is the row reader's, DST gaps and overlaps included`, async () => {
      // Transition days in both hemispheres and a few historic ones (Shanghai kept DST 1986–1991).
      const days = ['2026-03-08', '2026-03-29', '2026-04-05', '2026-09-27', '2026-10-04', '2026-10-25', '2026-11-01', '1988-04-10', '1988-09-11', '1991-04-14'];
      const texts = [...wallTimes(days), '2026-10-01T10:00:00+08:00', '2026-10-01 10:00:00Z', '2026-10-01T10:00:00.123456-09:30', '2026-10-01T10:00:00+0545'];
      const conn = await instance.connect();
      await conn.run("SET TimeZone = 'UTC'");
      await conn.run('CREATE OR REPLACE TEMP TABLE src (k BIGINT, line BIGINT, f0 VARCHAR)');
      const appender = await conn.createAppender('src');
      texts.forEach((t, i) => {
        appender.appendBigInt(BigInt(i));
        appender.appendBigInt(BigInt(i + 2));
        appender.appendVarchar(t);
        appender.endRow();
      });
      appender.closeSync();
      const ctx: FieldContext = { timeZone: zone, nowMicros: BigInt(NOW.getTime()) * 1000n, earliest: earliestDayRule('1980-01-01', zone) };
      const column = TABLES.orders.columns[2];
      await conn.run(stageSql({ ...TABLES.orders, columns: [column] }, ctx, 'SELECT k, line, f0 FROM src'));
      const rows = await queryRows<{ k: number; ok: boolean; us: string | null }>(conn, 'SELECT k, ok, epoch_us(paid_at)::VARCHAR AS us FROM stage ORDER BY k');
      conn.closeSync();
      let taken = 0;
      for (const row of rows) {
        if (!row.ok) continue;
        taken++;
        const text = texts[row.k];
        const value = column.read(text, ctx) as { micros: bigint };
        expect(row.us, text).toBe(value.micros.toString());
      }
      // The SQL takes nearly all of them itself (the row reader is for the doubtful few).
      expect(taken).toBeGreaterThan(rows.length * 0.95);
    });
  }
});

/** A batch's report and stored rows, with file names made relative. */
async function outcome(db: Database, report: IngestReport) {
  const stored = await db.read(async (conn) => ({
    orders: await queryRows(conn, 'SELECT order_id, shop_id, epoch_us(paid_at)::VARCHAR AS t, amount::VARCHAR AS a FROM orders ORDER BY order_id'),
    cases: await queryRows(
      conn,
      'SELECT case_id, order_id, shop_id, epoch_us(opened_at)::VARCHAR AS t, kind, reason, status, outcome, excluded, exclusion_reason FROM cases ORDER BY case_id',
    ),
    shops: await queryRows(conn, 'SELECT * FROM shops ORDER BY shop_id'),
    rejects: await queryRows(conn, 'SELECT line, column_name, reason FROM ingest_rejects ORDER BY file, line, reason'),
  }));
  const files = report.files.map((f) => ({ ...f, file: path.basename(f.file) }));
  return { exitCode: report.exitCode, accepted: report.accepted, rejected: report.rejected, files, stored };
}

/** Ingests the same files into two fresh databases, by the bulk path and by the row reader alone. */
async function both(files: Record<string, string | Buffer>, options: { earliestDay?: string } = {}) {
  const dir = tempDir('iw-bulk-');
  const base = path.join(dir, 'base');
  const batch = path.join(dir, 'batch');
  fs.mkdirSync(base);
  fs.mkdirSync(batch);
  fs.writeFileSync(path.join(base, 'categories.csv'), 'category_id,category_name,parent_id\nC1,女装,\n');
  fs.writeFileSync(path.join(base, 'shops.csv'), `${SH}\nA,甲店,C1\nB,乙店,C1\n`);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(batch, name), content);
  const results = [];
  for (const bulk of [true, false]) {
    const db = await Database.open(':memory:', { poolSize: 2 });
    try {
      await ingestFiles(db, [base], { now: NOW, bulk });
      const report = await ingestFiles(db, [batch], { now: NOW, bulk, ...options });
      results.push(await outcome(db, report));
    } finally {
      await db.close();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { bulk: results[0], rows: results[1] };
}

describe('the same report and the same rows as the row reader', () => {
  it('bad values of every kind', async () => {
    const stamps = [
      P,
      '2026-10-01 10:00:00',
      '2026-10-01T10:00',
      '2026-10-01T10:00:00.123456789Z',
      '2026-10-01T10:00:00,5+0800',
      '2026-10-01T10:00:00 +08',
      '2026-10-01t10:00:00Z',
      '2026-10-01T10:00:00z',
      '2026-10-01T10:00:00+19:00',
      '2026-10-01T10:00:00+08:60',
      '2026-10-01T10:00:00+18:00',
      '2026-02-29T10:00:00Z',
      '2024-02-29T10:00:00Z',
      '2026-10-01T24:00:00Z',
      '2026-10-01T23:59:60Z',
      '2026-13-01T10:00:00Z',
      '2026-04-31T10:00:00Z',
      '2026-10-01T10:00:00\u00a0+08:00',
      ' 2026-10-01T10:00:00+08:00 ',
      '\u30002026-10-01T10:00:00+08:00\u3000',
      '\t2026-10-01 10:00:00',
      '1970-01-01 00:00:00',
      '0001-01-01T00:00:00Z',
      '1999-12-31T23:59:59+08:00',
      '1999-12-31T16:00:00Z',
      '1999-12-31 23:59:59.999999',
      '2000-01-01 00:00:00',
      '0099-12-31 10:00:00',
      '2026-11-26T00:00:00Z',
      '2026-11-26T00:00:00.000001Z',
      '2026-11-26 08:00:00.000001',
      '２０２６-10-01T10:00:00Z',
      'x'.repeat(100),
      '',
    ];
    const amounts = [
      '1',
      '1.005',
      '1.004',
      '1.995',
      '0.999',
      '999999999999999',
      '9999999999999999',
      '1.',
      '.5',
      '1e5',
      '',
      ' 3 ',
      '+1',
      '0',
      '-0',
      '１',
      '1.5\u00a0',
      '12.3456',
    ];
    const orders = [OH];
    stamps.forEach((t, i) => orders.push(`T${i},A,"${t}",1.00`));
    amounts.forEach((a, i) => orders.push(`M${i},B,${P},"${a}"`));
    orders.push(
      `${'i'.repeat(128)},A,${P},1`,
      `${'j'.repeat(129)},A,${P},1`,
      `${'长'.repeat(128)},A,${P},1`,
      `${'长'.repeat(129)},A,${P},1`,
      `${'😀'.repeat(65)},A,${P},1`,
    );
    orders.push(
      `"a\tb",A,${P},1`,
      `" \u3000id1 ",A,${P},1`,
      `id1,A,${P},2`,
      `id2," A ",${P},1`,
      `id3,"",${P},1`,
      `"",A,${P},1`,
      `id4,NOPE,${P},1`,
      `T1,A,${P},5`,
    );
    const cases = [IH];
    const kinds = ['intervention', 'complaint', 'Intervention', ' complaint ', 'refund', ''];
    const flags = ['true', 'false', 'TRUE', ' False ', 'yes', '', 'tRuE'];
    const outcomes = ['', 'withdrawn', 'seller_responsible', 'maybe'];
    for (let i = 0; i < 40; i++) {
      const reason = i % 7 === 0 ? '长'.repeat(1001) : i % 11 === 0 ? '😀'.repeat(501) : i % 5 === 0 ? '"r,1"' : 'quality';
      cases.push(
        `K${i},T0,${i % 9 === 0 ? 'B' : 'A'},2026-10-02 1${i % 10}:00:00,${kinds[i % kinds.length]},${reason},${i % 4 ? 'open' : 'closed'},${outcomes[i % 4]},${flags[i % flags.length]},`,
      );
    }
    const { bulk, rows } = await both({ 'orders.csv': orders.join('\n') + '\n', 'interventions.csv': cases.join('\r\n') + '\r\n' });
    expect(bulk).toEqual(rows);
    expect(rows.rejected).toBeGreaterThan(40);
  });

  it('broken lines, wrong field counts, blank lines, quotes, CRLF, BOM, NUL, refusals', async () => {
    const files: Record<string, string | Buffer> = {
      'shops-qnl.csv': `${SH}\nQN1,"多行\n店名",C1\nQN2,坏类目,NOPE\nQN3,"x,""y""",C1\n`,
      'orders-crlf.csv': `${OH}\r\nCR-1,A,${P},1.00\r\nCR-2,A,${P},abc\r\nCR-3,"B",${P},3.00\r\nCR-4,NOPE,${P},4.00\r\n`,
      'shops-crlf.csv': `${SH}\r\nCRS1,"两行\r\n名字",C1\r\nCRS2,x,NOPE\r\n`,
      'orders-truncated.csv': `${OH}\nTR-1,A,${P},1\nTR-2,A,${P},1\nTR-4,A,2026-10-0`,
      'shops-truncated.csv': `${SH}\nTQ1,好店,C1\nTQ2,"半截的名`,
      'shops-quote.csv': `${SH}\nSQ1,a"b,C1\nSQ2,好,C1\n`,
      'orders-fields.csv': `${OH}\nFC-1,A,${P}\nFC-2,A,${P},1.00,extra\n"FC-3",A\nFC-4,A,${P},3.00\n`,
      'orders-blank.csv': `\n${OH}\n\nBL-1,A,${P},1\n\n\nBL-2,B,${P},x\n  \n,,,\nBL-3,A,${P},1\n\n`,
      'orders-quotes.csv': `${OH}\n"QQ-1","A","${P}","1.00"\n"QQ-2",A,"2026-10-01\n10:00:00",1\n"QQ-4" ,A,${P},1\nQQ-6,A,${P},1\n`,
      'orders-cr.csv': `${OH}\rCRO-1,A,${P},1\rCRO-2,A,bad,1\r`,
      'orders-mixed.csv': `${OH}\r\nMX-1,A,${P},1\nMX-2,A,bad,1\r\n`,
      'orders-nul.csv': `${OH}\nNUL-1,A,${P},1.00\nNUL\u0000-2,A,${P},2.00\n`,
      'orders-bom.csv': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${OH}\nBOM-1,A,${P},1.00\nBOM-2,B,bad,2.00\n`)]),
      'shops-big.csv': `${SH}\nBG1,前,C1\nBG2,${'x'.repeat(900 * 1024)},C1\nBG3,"${'y'.repeat(1024 * 1024)}",C1\nBG5,末,C1\n`,
      'orders-empty.csv': '',
      'orders-headeronly.csv': `${OH}\n`,
      'orders-header-spaces.csv': ` order_id , shop_id,paid_at,amount\nHS-1,A,${P},1\n`,
      'orders-header-renamed.csv': `order_no,shop_id,paid_at,amount\nHR-1,A,${P},1\n`,
      'orders-gbk.csv': Buffer.concat([Buffer.from(`${OH}\nX2,A,${P},1\nX3,`), Buffer.from([0xc4, 0xe3]), Buffer.from(',x,1\n')]),
      'orders-dup.csv': `${OH}\nDU-1,A,bad,1.00\nDU-2,A,${P},2.00\nDU-1,B,${P},9.00\nDU-1,A,${P},3\n DU-2 ,A,${P},1\n`,
      'sales.csv': 'x\n1\n',
    };
    const { bulk, rows } = await both(files);
    expect(bulk).toEqual(rows);
  });

  it('random files: quoted newlines, CRLF, blank lines, short rows and bad values in any mix', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const next = random(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
      const eol = seed % 2 ? '\n' : '\r\n';
      const lines = [OH];
      for (let i = 0; i < 400; i++) {
        const id = next() < 0.05 ? `R${Math.floor(next() * 100)}` : `R${seed}-${i}`;
        const shop = pick(['A', 'B', 'A', 'B', 'NOPE', '"A"', ' B']);
        const stamp = pick([P, '2026-10-01 10:00:00', '2026-10-02 23:59:59.5', '"2026-10-01\n10:00:00"', '2027-01-01T00:00:00Z', 'bad', '1999-12-31 23:00:00']);
        const amount = pick(['1.00', '2', '3.456', '-1', 'x', '"1,5"']);
        let line = `${id},${shop},${stamp},${amount}`;
        const r = next();
        if (r < 0.03) line = `${id},${shop},${stamp}`;
        else if (r < 0.05) line = `${line},extra`;
        else if (r < 0.07) line = '';
        else if (r < 0.09) line = `"${id}\nsecond line",${shop},${P},1`;
        lines.push(line);
      }
      const { bulk, rows } = await both({ [`orders-r${seed}.csv`]: lines.join(eol) + eol });
      expect(bulk, `seed ${seed}`).toEqual(rows);
    }
  });
});

describe('line numbers of large files', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh database with one category, and a shops file of n rows, bad ones (unknown category) every `every` rows; returns the lines they start on. */
  async function setup(n: number, every: number, shape: (i: number) => { text: string; lines: number }) {
    const dir = tempDir('iw-bulk-large-');
    dirs.push(dir);
    const db = await Database.open(path.join(dir, 'large.duckdb'), { poolSize: 2 });
    fs.writeFileSync(path.join(dir, 'categories.csv'), 'category_id,category_name,parent_id\nC1,女装,\n');
    await ingestFiles(db, [path.join(dir, 'categories.csv')], { now: NOW });
    const bad: number[] = [];
    const parts = [SH + '\n'];
    let line = 2;
    for (let i = 0; i < n; i++) {
      const row = shape(i);
      const isBad = i % every === every - 1;
      if (isBad) bad.push(line);
      parts.push(`S${i},${row.text},${isBad ? 'NOPE' : 'C1'}\n`);
      line += row.lines;
    }
    const file = path.join(dir, 'shops.csv');
    fs.writeFileSync(file, parts.join(''));
    return { db, file, bad };
  }

  it('a 2-million-line file read in parallel: the rejects near its end name their lines', async () => {
    const { db, file, bad } = await setup(2_000_000, 400_000, () => ({ text: 'n', lines: 1 }));
    try {
      const pre = await prepassCsv(file, HEADERS.shops.slice());
      expect(pre.fast && pre.breakpoints).toEqual([{ k: 0, line: 1 }]);
      const report = await ingestFiles(db, [file], { now: NOW });
      expect(report.files[0].rejects.map((r) => [r.line, r.id])).toEqual(bad.map((line) => [line, `S${line - 2}`]));
      expect(report.files[0].accepted).toBe(2_000_000 - bad.length);
    } finally {
      await db.close();
    }
  }, 240_000);

  it('quoted newlines and blank lines all through a large file: every reject on the line its record starts, as the row reader says', async () => {
    const shape = (i: number) => (i % 7 === 3 ? { text: `"a\nb${i % 3 ? '\n' : ''}c"`, lines: i % 3 ? 3 : 2 } : { text: 'n', lines: 1 });
    const { db, file, bad } = await setup(30_000, 2_999, shape);
    try {
      const plain = await ingestFiles(db, [file], { now: NOW });
      expect(plain.files[0].rejects.map((r) => r.line)).toEqual(bad);
      // Blank lines: skipped by both readers, counted in the line numbers.
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('\nS1', '\n\nS1'));
      const bulk = await ingestFiles(db, [file], { now: NOW });
      const byRows = await ingestFiles(db, [file], { now: NOW, bulk: false });
      expect(bulk.files[0].rejects).toEqual(byRows.files[0].rejects);
      expect(bulk.files[0].rejects.length).toBe(bad.length);
    } finally {
      await db.close();
    }
  }, 240_000);
});
