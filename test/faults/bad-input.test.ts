// Bad input (issue 6): a corpus of broken files, each in a batch beside a clean file. Every broken
// file gets a clear report — refused as a whole with the reason, or its bad rows rejected with line
// and reason — and no good row is lost, neither of the broken file nor of the other files.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.js';
import { queryRows } from '../../server/db/database.js';
import { ingestFiles, type FileReport, type IngestReport } from '../../server/ingest/ingest.js';
import { HEADERS, NOW, openTempDb, tempDir, writeCsv } from '../helpers.js';

const ORDER_HEADER = HEADERS.orders.join(',');
const SHOP_HEADER = HEADERS.shops.join(',');
const PAID = '2026-10-01T10:00:00+08:00';

let db: Database;
let root: string;

beforeAll(async () => {
  ({ db, dir: root } = await openTempDb());
  const dir = path.join(root, 'base');
  fs.mkdirSync(dir);
  writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
  writeCsv(dir, 'shops.csv', HEADERS.shops, [
    ['A', '甲店', 'C1'],
    ['B', '乙店', 'C1'],
  ]);
  const report = await ingestFiles(db, [dir], { now: NOW });
  expect(report.exitCode).toBe(0);
});
afterAll(async () => {
  await db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Batch {
  report: IngestReport;
  file: (name: string) => FileReport;
}

/**
 * Ingests the given files as one batch together with a clean companion file of two orders
 * (`<tag>-ok-1`, `<tag>-ok-2`), and checks the companion loaded whatever happened to the others.
 */
async function batch(tag: string, files: Record<string, string | Uint8Array>): Promise<Batch> {
  const dir = tempDir(`iw-bad-${tag}-`);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  writeCsv(dir, `orders-companion-${tag}.csv`, HEADERS.orders, [
    [`${tag}-ok-1`, 'A', PAID, '10.00'],
    [`${tag}-ok-2`, 'B', PAID, '20.00'],
  ]);
  const report = await ingestFiles(db, [dir], { now: NOW });
  const file = (name: string) => {
    const found = report.files.find((f) => path.basename(f.file) === name);
    if (!found) throw new Error(`no report for ${name}: ${report.files.map((f) => f.file).join(', ')}`);
    return found;
  };
  expect(file(`orders-companion-${tag}.csv`)).toMatchObject({ accepted: 2, rejected: 0 });
  expect(file(`orders-companion-${tag}.csv`).error).toBeUndefined();
  expect(await orderIds(`${tag}-ok-%`)).toEqual([`${tag}-ok-1`, `${tag}-ok-2`]);
  fs.rmSync(dir, { recursive: true, force: true });
  return { report, file };
}

async function orderIds(like: string): Promise<string[]> {
  const rows = await db.read((conn) =>
    queryRows<{ order_id: string }>(conn, 'SELECT order_id FROM orders WHERE order_id LIKE $like ORDER BY order_id', { like }),
  );
  return rows.map((r) => r.order_id);
}

async function order(orderId: string): Promise<{ shop_id: string; amount: number; paid_at: string } | undefined> {
  const rows = await db.read((conn) =>
    queryRows<{ shop_id: string; amount: number; paid_at: string }>(
      conn,
      `SELECT shop_id, amount::DOUBLE AS amount, strftime(paid_at, '%Y-%m-%dT%H:%M:%SZ') AS paid_at FROM orders WHERE order_id = $orderId`,
      { orderId },
    ),
  );
  return rows[0];
}

async function shopName(shopId: string): Promise<string | undefined> {
  const rows = await db.read((conn) => queryRows<{ shop_name: string }>(conn, 'SELECT shop_name FROM shops WHERE shop_id = $shopId', { shopId }));
  return rows[0]?.shop_name;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array)));
function utf16le(text: string, bom: boolean): Buffer {
  const body = Buffer.from(text, 'utf16le');
  return bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body;
}
/** Order lines `id,shop,paid,amount` for ids prefix-1 … prefix-n. */
function orderLines(prefix: string, n: number, eol = '\n'): string {
  let out = '';
  for (let i = 1; i <= n; i++) out += `${prefix}-${i},${i % 2 ? 'A' : 'B'},${PAID},${(i % 90) + 1}.50${eol}`;
  return out;
}

describe('wrong encodings', () => {
  it('refuses a GBK file as not UTF-8 and loads nothing of it', async () => {
    // "甲店" in GBK is BC D7 B5 EA: not valid UTF-8.
    const gbk = concat(utf8(`${SHOP_HEADER}\nG1,`), [0xbc, 0xd7, 0xb5, 0xea], utf8(',C1\nG2,plain,C1\n'));
    const { file, report } = await batch('gbk', { 'shops-gbk.csv': gbk });
    expect(file('shops-gbk.csv').error).toMatch(/not valid UTF-8/);
    expect(file('shops-gbk.csv').accepted).toBe(0);
    expect(await shopName('G1')).toBeUndefined();
    expect(await shopName('G2')).toBeUndefined(); // refused as a whole: no half-read file
    expect(report.exitCode).toBe(3);
  });

  it('refuses UTF-16 files, with a BOM and without, loading nothing of them', async () => {
    const text = `${ORDER_HEADER}\nU16-1,A,${PAID},1.00\n`;
    const { file } = await batch('utf16', { 'orders-utf16bom.csv': utf16le(text, true), 'orders-utf16.csv': utf16le(text, false) });
    expect(file('orders-utf16bom.csv').error).toMatch(/UTF-8/);
    // Without a BOM the bytes are valid UTF-8 (ASCII with NULs between): the header does not match.
    expect(file('orders-utf16.csv').error).toMatch(/header|UTF-8/);
    expect(file('orders-utf16.csv').error).toContain(ORDER_HEADER);
    expect(await orderIds('U16%')).toEqual([]);
  });

  it('refuses a file with Latin-1 bytes (non-UTF-8) and says so', async () => {
    const latin1 = concat(utf8(`${SHOP_HEADER}\nL1,Caf`), [0xe9], utf8(',C1\n'));
    const { file } = await batch('latin1', { 'shops-latin1.csv': latin1 });
    expect(file('shops-latin1.csv').error).toMatch(/not valid UTF-8/);
    expect(await shopName('L1')).toBeUndefined();
  });

  it('refuses a large file whose bad byte comes after many rows were read, and keeps none of them half-loaded', async () => {
    // 40 000 good rows (≈ 2 MB, past the reader's chunk and the stage's flush) before the bad byte.
    const big = concat(utf8(ORDER_HEADER + '\n' + orderLines('DEEP', 40_000)), utf8('DEEP-X,A,'), [0xff], utf8(`,1.00\n`));
    const { file } = await batch('deep', { 'orders-deep.csv': big });
    expect(file('orders-deep.csv').error).toMatch(/not valid UTF-8/);
    expect(file('orders-deep.csv').accepted).toBe(0);
    expect(await orderIds('DEEP-%')).toEqual([]);
  });

  it('reads a UTF-8 file with a BOM: the header matches and every row loads', async () => {
    const bom = concat([0xef, 0xbb, 0xbf], utf8(`${ORDER_HEADER}\nBOM-1,A,${PAID},1.00\nBOM-2,B,${PAID},2.00\n`));
    const { file } = await batch('bom', { 'orders-bom.csv': bom });
    expect(file('orders-bom.csv')).toMatchObject({ accepted: 2, rejected: 0 });
    expect(file('orders-bom.csv').error).toBeUndefined();
    expect(await orderIds('BOM-%')).toEqual(['BOM-1', 'BOM-2']);
  });
});

describe('line structure', () => {
  it('keeps a quoted newline inside a field and reports later lines by their true number', async () => {
    const text = `${SHOP_HEADER}\nQN1,"多行\n店名",C1\nQN2,坏类目,NOPE\nQN3,"x,""y""",C1\n`;
    const { file } = await batch('qnl', { 'shops-qnl.csv': text });
    expect(file('shops-qnl.csv')).toMatchObject({ accepted: 2, rejected: 1 });
    expect(file('shops-qnl.csv').rejects).toEqual([
      expect.objectContaining({ line: 4, column: 'category_id', reason: expect.stringMatching(/unknown category NOPE/) }),
    ]);
    expect(await shopName('QN1')).toBe('多行\n店名');
    expect(await shopName('QN3')).toBe('x,"y"');
  });

  it('reads CRLF files, quoted CRLF included, with correct line numbers', async () => {
    const text = `${ORDER_HEADER}\r\nCR-1,A,${PAID},1.00\r\nCR-2,A,${PAID},abc\r\nCR-3,"B",${PAID},3.00\r\nCR-4,NOPE,${PAID},4.00\r\n`;
    const shops = `${SHOP_HEADER}\r\nCRS1,"两行\r\n名字",C1\r\nCRS2,x,NOPE\r\n`;
    const { file } = await batch('crlf', { 'orders-crlf.csv': text, 'shops-crlf.csv': shops });
    expect(file('orders-crlf.csv')).toMatchObject({ accepted: 2, rejected: 2 });
    expect(file('orders-crlf.csv').rejects.map((r) => [r.line, r.column])).toEqual([
      [3, 'amount'],
      [5, 'shop_id'],
    ]);
    expect(await orderIds('CR-%')).toEqual(['CR-1', 'CR-3']);
    expect((await order('CR-3'))?.amount).toBe(3);
    expect(file('shops-crlf.csv').rejects.map((r) => r.line)).toEqual([4]);
    expect(await shopName('CRS1')).toMatch(/^两行\r?\n名字$/);
  });

  it('rejects the cut last row of a truncated file and loads the rows before it', async () => {
    const cutMidRow = `${ORDER_HEADER}\n${orderLines('TR', 3)}TR-4,A,2026-10-0`; // no final newline
    const cutInQuote = `${SHOP_HEADER}\nTQ1,好店,C1\nTQ2,"半截的名`;
    const { file } = await batch('trunc', { 'orders-truncated.csv': cutMidRow, 'shops-truncated.csv': cutInQuote });
    expect(file('orders-truncated.csv')).toMatchObject({ accepted: 3, rejected: 1 });
    expect(file('orders-truncated.csv').rejects[0]).toMatchObject({ line: 5 });
    expect(file('orders-truncated.csv').rejects[0].reason).toMatch(/paid_at|fields/);
    expect(await orderIds('TR-%')).toEqual(['TR-1', 'TR-2', 'TR-3']);
    const shops = file('shops-truncated.csv');
    expect(await shopName('TQ1')).toBe('好店');
    expect(await shopName('TQ2')).toBeUndefined();
    // The unterminated quote is reported as a reject of the line it opens on, not silently dropped.
    expect(shops.error).toBeUndefined();
    expect(shops).toMatchObject({ accepted: 1, rejected: 1 });
    expect(shops.rejects).toEqual([expect.objectContaining({ line: 3, reason: expect.stringMatching(/not valid CSV.*quote/i) })]);
  });

  it('rejects a row with a stray quote inside an unquoted field and loads the next row', async () => {
    const text = `${SHOP_HEADER}\nSQ1,a"b,C1\nSQ2,好,C1\n`;
    const { file } = await batch('quote', { 'shops-quote.csv': text });
    expect(file('shops-quote.csv')).toMatchObject({ accepted: 1, rejected: 1 });
    expect(file('shops-quote.csv').rejects).toEqual([expect.objectContaining({ line: 2, reason: expect.stringMatching(/not valid CSV/) })]);
    expect(await shopName('SQ1')).toBeUndefined();
    expect(await shopName('SQ2')).toBe('好');
  });

  it('rejects rows with too few or too many fields, by line', async () => {
    const text = `${ORDER_HEADER}\nFC-1,A,${PAID}\nFC-2,A,${PAID},1.00,extra\nFC-3,A,${PAID},3.00\n`;
    const { file } = await batch('fields', { 'orders-fields.csv': text });
    expect(file('orders-fields.csv').rejects).toEqual([
      expect.objectContaining({ line: 2, column: null, reason: expect.stringMatching(/has 3 fields; expected 4/) }),
      expect.objectContaining({ line: 3, column: null, reason: expect.stringMatching(/has 5 fields; expected 4/) }),
    ]);
    expect(await orderIds('FC-%')).toEqual(['FC-3']);
  });
});

describe('sizes', () => {
  it('rejects a row with a 900 KB field as too long and loads the rows around it', async () => {
    const big = 'x'.repeat(900 * 1024);
    const text = `${SHOP_HEADER}\nBG1,前,C1\nBG2,${big},C1\nBG3,后,C1\nBG4,"${big}",C1\nBG5,末,C1\n`;
    const { file } = await batch('big', { 'shops-big.csv': text });
    const report = file('shops-big.csv');
    expect(report.error).toBeUndefined();
    expect(report.rejects.map((r) => [r.line, r.column])).toEqual([
      [3, 'shop_name'],
      [5, 'shop_name'],
    ]);
    for (const r of report.rejects) expect(r.reason).toMatch(/longer than 1000 characters/);
    expect(await shopName('BG1')).toBe('前');
    expect(await shopName('BG3')).toBe('后');
    expect(await shopName('BG5')).toBe('末');
    expect(await shopName('BG2')).toBeUndefined();
  });

  // A record far over a field's limit is one rejected row; the rows around it still load.
  it('rejects a row with a 1 MB field and loads the rows around it', async () => {
    const huge = 'x'.repeat(1024 * 1024);
    const text = `${SHOP_HEADER}\nHG1,前,C1\nHG2,${huge},C1\nHG3,后,C1\nHG4,"${huge}",C1\nHG5,末,C1\n`;
    const { file } = await batch('huge', { 'shops-huge.csv': text });
    const report = file('shops-huge.csv');
    expect(report.error).toBeUndefined();
    expect(report.rejects.map((r) => r.line)).toEqual([3, 5]);
    for (const r of report.rejects) expect(r.reason.length).toBeLessThan(500); // the reason does not echo the megabyte
    expect(await shopName('HG1')).toBe('前');
    expect(await shopName('HG3')).toBe('后');
    expect(await shopName('HG5')).toBe('末');
    expect(await shopName('HG2')).toBeUndefined();
    expect(await shopName('HG4')).toBeUndefined();
  });

  it('refuses an empty file with a reason, and loads a header-only file as zero rows without complaint', async () => {
    const { file } = await batch('empty', { 'orders-empty.csv': '', 'orders-headeronly.csv': `${ORDER_HEADER}\n` });
    expect(file('orders-empty.csv').error).toMatch(/empty/);
    expect(file('orders-headeronly.csv')).toMatchObject({ accepted: 0, rejected: 0, rejects: [] });
    expect(file('orders-headeronly.csv').error).toBeUndefined();
  });
});

describe('wrong headers are refused, never guessed', () => {
  const rows = (prefix: string) => `${prefix}-1,A,${PAID},1.00\n${prefix}-2,B,${PAID},2.00\n`;
  it.each([
    ['renamed', 'order_no,shop_id,paid_at,amount\n' + rows('HR')],
    ['reordered', `shop_id,order_id,paid_at,amount\nA,HO-1,${PAID},1.00\nB,HO-2,${PAID},2.00\n`],
    ['missing', `order_id,shop_id,paid_at\nHM-1,A,${PAID}\nHM-2,B,${PAID}\n`],
    ['extra', `order_id,shop_id,paid_at,amount,note\nHE-1,A,${PAID},1.00,x\nHE-2,B,${PAID},2.00,y\n`],
    ['uppercase', 'ORDER_ID,SHOP_ID,PAID_AT,AMOUNT\n' + rows('HU')],
    ['absent', rows('HA')],
  ])('refuses a %s header and loads none of the file', async (tag, text) => {
    const name = `orders-header-${tag}.csv`;
    const { file } = await batch(`hdr${tag}`, { [name]: text });
    expect(file(name).error).toMatch(/header/);
    expect(file(name).error).toContain(`expected '${ORDER_HEADER}'`);
    expect(file(name).accepted).toBe(0);
    const prefix = { renamed: 'HR', reordered: 'HO', missing: 'HM', extra: 'HE', uppercase: 'HU', absent: 'HA' }[tag]!;
    expect(await orderIds(`${prefix}-%`)).toEqual([]);
    // Nor were the columns read shifted (a shop id taken as an order id).
    expect(await order('A')).toBeUndefined();
  });

  it('refuses a Parquet file with a wrong column and loads a correct one in the same batch', async () => {
    const dir = tempDir('iw-parquet-');
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    const wrong = path.join(dir, 'orders-wrong.parquet');
    const right = path.join(dir, 'orders-right.parquet');
    await conn.run(`COPY (SELECT 'PQW-1' AS order_id, 'A' AS shop_id, TIMESTAMPTZ '${PAID}' AS paid_time, 1.5 AS amount) TO '${wrong}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT 'PQR-1' AS order_id, 'B' AS shop_id, TIMESTAMPTZ '${PAID}' AS paid_at, 2.5 AS amount) TO '${right}' (FORMAT parquet)`);
    conn.closeSync();
    instance.closeSync();
    const { file } = await batch('parquet', { 'orders-wrong.parquet': fs.readFileSync(wrong), 'orders-right.parquet': fs.readFileSync(right) });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(file('orders-wrong.parquet').error).toMatch(/missing paid_at/);
    expect(file('orders-wrong.parquet').error).toMatch(/unexpected paid_time/);
    expect(await orderIds('PQW-%')).toEqual([]);
    expect(file('orders-right.parquet')).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await order('PQR-1')).toEqual({ shop_id: 'B', amount: 2.5, paid_at: '2026-10-01T02:00:00Z' });
  });

  it('refuses a Parquet file that is not Parquet', async () => {
    const { file } = await batch('notparquet', { 'orders-fake.parquet': `${ORDER_HEADER}\nNP-1,A,${PAID},1.00\n` });
    expect(file('orders-fake.parquet').error).toMatch(/not a readable Parquet/);
    expect(await orderIds('NP-%')).toEqual([]);
  });

  it('refuses a file whose name does not tell its table', async () => {
    const { file } = await batch('noname', { 'sales.csv': `${ORDER_HEADER}\nNN-1,A,${PAID},1.00\n` });
    expect(file('sales.csv').error).toMatch(/cannot tell its table/);
    expect(await orderIds('NN-%')).toEqual([]);
  });
});

describe('bad values', () => {
  it('rejects a duplicate id inside one file, naming the first line, and keeps the first row', async () => {
    const text = `${ORDER_HEADER}\nDU-1,A,${PAID},1.00\nDU-2,A,${PAID},2.00\nDU-1,B,${PAID},9.00\n`;
    const { file } = await batch('dup', { 'orders-dup.csv': text });
    expect(file('orders-dup.csv').rejects).toEqual([
      expect.objectContaining({ line: 4, column: 'order_id', reason: expect.stringMatching(/DU-1 appears again \(first on line 2\)/) }),
    ]);
    expect(await order('DU-1')).toMatchObject({ shop_id: 'A', amount: 1 });
    expect(await orderIds('DU-%')).toEqual(['DU-1', 'DU-2']);
  });

  it('rejects timestamps in the future of the ingest time and loads the rest', async () => {
    const soon = new Date(NOW.getTime() + 60_000).toISOString();
    const justBefore = new Date(NOW.getTime() - 60_000).toISOString();
    const text = `${ORDER_HEADER}\nFU-1,A,${soon},1.00\nFU-2,A,2099-01-01 00:00:00,1.00\nFU-3,A,${justBefore},1.00\n`;
    const { file } = await batch('future', { 'orders-future.csv': text });
    expect(file('orders-future.csv').rejects.map((r) => [r.line, r.column])).toEqual([
      [2, 'paid_at'],
      [3, 'paid_at'],
    ]);
    for (const r of file('orders-future.csv').rejects) expect(r.reason).toMatch(/in the future/);
    expect(await orderIds('FU-%')).toEqual(['FU-3']);
  });

  it('rejects a NUL byte in an id and keeps the other rows', async () => {
    const text = `${ORDER_HEADER}\nNUL-1,A,${PAID},1.00\nNUL\u0000-2,A,${PAID},2.00\nNUL-3,B,${PAID},3.00\n`;
    const { file } = await batch('nulid', { 'orders-nul.csv': text });
    expect(file('orders-nul.csv').rejects).toEqual([
      expect.objectContaining({ line: 3, column: 'order_id', reason: expect.stringMatching(/control characters/) }),
    ]);
    expect(await orderIds('NUL%')).toEqual(['NUL-1', 'NUL-3']);
  });

  it('does not let a NUL byte in a text field fail the batch: the row is rejected or stored, the others load', async () => {
    const text = `${SHOP_HEADER}\nNT1,好\u0000店,C1\nNT2,正常,C1\n`;
    const { file, report } = await batch('nultext', { 'shops-nul.csv': text });
    expect(report.exitCode).not.toBe(1);
    expect(await shopName('NT2')).toBe('正常');
    const nt1 = await shopName('NT1');
    if (nt1 === undefined) expect(file('shops-nul.csv').rejects).toEqual([expect.objectContaining({ line: 2 })]);
    else expect(nt1).toBe('好\u0000店');
  });
});

describe('a whole batch of broken files', () => {
  it('loads every good row of every file in one batch and reports every broken one', async () => {
    const files: Record<string, string | Uint8Array> = {
      'orders-w1-good.csv': `${ORDER_HEADER}\n${orderLines('W1', 50)}`,
      'orders-w2-mixed.csv': `${ORDER_HEADER}\n${orderLines('W2', 20)}W2-bad,A,never,1\nW2-21,A,${PAID},5.00\n`,
      'orders-w3-gbk.csv': concat(utf8(`${ORDER_HEADER}\nW3-1,`), [0xbc, 0xd7], utf8(`,${PAID},1\n`)),
      'orders-w4-header.csv': `order_id,shop,paid_at,amount\n${orderLines('W4', 5)}`,
      'orders-w5-empty.csv': '',
      'orders-w6-crlf.csv': `${ORDER_HEADER}\r\n${orderLines('W6', 10, '\r\n')}`,
    };
    const { report, file } = await batch('whole', files);
    expect(report.exitCode).toBe(3);
    expect(file('orders-w1-good.csv').accepted).toBe(50);
    expect(file('orders-w2-mixed.csv')).toMatchObject({ accepted: 21, rejected: 1 });
    expect(file('orders-w2-mixed.csv').rejects[0]).toMatchObject({ line: 22, column: 'paid_at' });
    expect(file('orders-w3-gbk.csv').error).toMatch(/UTF-8/);
    expect(file('orders-w4-header.csv').error).toMatch(/header/);
    expect(file('orders-w5-empty.csv').error).toMatch(/empty/);
    expect(file('orders-w6-crlf.csv').accepted).toBe(10);
    expect((await orderIds('W1-%')).length).toBe(50);
    expect((await orderIds('W2-%')).length).toBe(21);
    expect(await orderIds('W3-%')).toEqual([]);
    expect(await orderIds('W4-%')).toEqual([]);
    expect((await orderIds('W6-%')).length).toBe(10);
    expect(report.accepted).toBe(50 + 21 + 10 + 2);
    // The batch log holds the same report.
    const logged = await db.read((conn) =>
      queryRows<{ n: number }>(conn, 'SELECT count(*) AS n FROM ingest_files WHERE batch_id = $id AND error IS NOT NULL', { id: report.batchId }),
    );
    expect(logged[0].n).toBe(3);
  });
});
