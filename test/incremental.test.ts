// Property: refreshing only the days a batch touched gives exactly what a full rebuild gives, over
// many random batch sequences — late-arriving cases, case updates (exclusion flips, moved days),
// re-sent rows, new days, an early lift and a policy change from a day on included.
import { describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.js';
import { queryRows } from '../server/db/database.js';
import { refreshMetrics } from '../server/pipeline/refresh.js';
import { DEFAULT_POLICY, type Policy } from '../server/policy/policy.js';
import { activatePolicy } from '../server/policy/store.js';
import fs from 'node:fs';
import path from 'node:path';
import { generateDemo } from '../server/generate/demo.js';
import { HEADERS, addDays, ingest, openTempDb, rng, tempDir, writeCsv } from './helpers.js';

// A policy with low floors and short runs, so small data sets reach every level and lift often.
const TEST_POLICY: Policy = {
  ...DEFAULT_POLICY,
  version: 'prop-1',
  windowDays: 10,
  floors: { minOrders: 4, minInterventions: 1 },
  flagRatio: 1.5,
  levels: [
    { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 2 },
    { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 4 },
  ],
  lift: { afterUnflaggedDays: 2 },
};

const SEQUENCES = 8;

async function state(db: Database): Promise<Record<string, unknown[]>> {
  const q: Record<string, string> = {
    shop_day: 'SELECT * FROM shop_day ORDER BY shop_id, day',
    category_day: 'SELECT * FROM category_day ORDER BY category_id, day',
    episodes: 'SELECT * FROM restriction_episodes ORDER BY ALL',
    daily_orders: 'SELECT * FROM daily_orders ORDER BY ALL',
    range: 'SELECT first_day, last_day, policy_version FROM data_range',
    queue_day: 'SELECT * FROM queue_day ORDER BY shop_id, day',
    // What the shop-days are derived from (server/db/views.ts), and the last day's counts a new day starts from.
    daily_cases: 'SELECT * FROM daily_cases ORDER BY ALL',
    shop_levels: 'SELECT * FROM shop_levels ORDER BY ALL',
    policy_day: 'SELECT * FROM policy_day ORDER BY ALL',
    shop_last: 'SELECT * FROM shop_last ORDER BY ALL',
  };
  const out: Record<string, unknown[]> = {};
  for (const [k, sql] of Object.entries(q)) out[k] = await db.read((conn) => queryRows(conn, sql));
  return out;
}

async function setPolicy(db: Database, policy: Policy): Promise<void> {
  await db.write((conn) =>
    conn.run("INSERT INTO policy_versions VALUES ($v, $b::JSON, now(), 'test', true, NULL)", { v: policy.version, b: JSON.stringify(policy) }),
  );
}

type Order = [string, string, string, string];
type Case = string[];

async function runSequence(seed: number): Promise<{ batches: number; levels: Set<string> }> {
  const r = rng(seed);
  const shops = Array.from({ length: r.int(4, 8) }, (_, i) => `S${i}`);
  const category = (s: string) => (Number(s.slice(1)) % 2 === 0 ? 'C1' : 'C2');
  const first = '2026-09-01';
  const days = r.int(25, 40);
  const orders: Order[] = [];
  const ordersOn = new Map<string, Order[]>();
  let n = 0;
  for (let d = 0; d < days; d++) {
    const day = addDays(first, d);
    for (const s of shops) {
      const k = r.int(0, s === 'S0' ? 6 : 3);
      for (let j = 0; j < k; j++) {
        const hour = r.pick(['00:00:00', '09:30:00', '23:59:59']);
        const o: Order = [`O${++n}`, s, `${day}T${hour}+08:00`, '10.00'];
        orders.push(o);
        ordersOn.set(day, [...(ordersOn.get(day) ?? []), o]);
      }
    }
  }
  const { db: incremental, dir } = await openTempDb({ memory: true });
  const { db: full } = await openTempDb({ memory: true });
  await setPolicy(incremental, TEST_POLICY);
  await setPolicy(full, TEST_POLICY);
  const levels = new Set<string>();
  const cases = new Map<string, Case>();
  let caseN = 0;
  let day = 0;
  let batch = 0;
  let lifted = false;
  let changedPolicy = false;
  try {
    writeCsv(dir, 'categories.csv', HEADERS.categories, [
      ['C1', '女装', ''],
      ['C2', '图书', ''],
    ]);
    writeCsv(
      dir,
      'shops.csv',
      HEADERS.shops,
      shops.map((s) => [s, `${s}店`, category(s)]),
    );
    while (day < days) {
      batch++;
      const files: string[] = batch === 1 ? [`${dir}/categories.csv`, `${dir}/shops.csv`] : [];
      const upto = Math.min(days, day + r.int(1, batch === 1 ? 15 : 6));
      const newOrders = orders.filter((o) => o[2] >= addDays(first, day) && o[2] < addDays(first, upto));
      // Re-send a few old orders now and then: nothing may change.
      if (batch > 1 && r.next() < 0.3) newOrders.push(...orders.filter((o) => o[2] < addDays(first, day)).slice(0, 3));
      if (newOrders.length) files.push(writeCsv(dir, `orders-${batch}.csv`, HEADERS.orders, newOrders));
      const batchCases: Case[] = [];
      // New cases on orders paid so far, opened up to the batch's last day (late arrivals included).
      const known = orders.filter((o) => o[2] < addDays(first, upto));
      for (let i = 0; i < r.int(0, 8); i++) {
        const o = r.pick(known);
        const paidDay = o[2].slice(0, 10);
        const maxDay = addDays(first, upto - 1);
        let opened = addDays(paidDay, r.int(0, 12));
        if (opened > maxDay) opened = maxDay;
        const c = [
          `K${++caseN}`,
          o[0],
          o[1],
          `${opened}T${r.pick(['08:00:00', '23:59:00'])}+08:00`,
          r.next() < 0.8 ? 'intervention' : 'complaint',
          'quality',
          'open',
          '',
          r.next() < 0.1 ? 'true' : 'false',
          '',
        ];
        cases.set(c[0], c);
        batchCases.push(c);
      }
      // Updates: flip an exclusion, or move a case to another day.
      for (const id of [...cases.keys()].filter(() => r.next() < 0.15)) {
        const c = [...cases.get(id)!];
        const draw = r.next();
        const sameShop = orders.filter((o) => o[1] === c[2] && o[0] !== c[1]);
        if (draw < 0.4) c[8] = c[8] === 'true' ? 'false' : 'true';
        else if (draw < 0.55 && sameShop.length > 0)
          c[1] = sameShop[r.int(0, sameShop.length - 1)][0]; // re-sent on another order of its shop
        else {
          const paidDay = orders.find((o) => o[0] === c[1])![2].slice(0, 10);
          const moved = addDays(paidDay, r.int(0, 5));
          c[3] = `${moved < addDays(first, upto) ? moved : paidDay}T12:00:00+08:00`;
        }
        cases.set(id, c);
        batchCases.push(c);
      }
      const unique = [...new Map(batchCases.map((c) => [c[0], c])).values()];
      if (unique.length) files.push(writeCsv(dir, `interventions-${batch}.csv`, HEADERS.interventions, unique));
      day = upto;
      if (files.length === 0) continue;
      const a = await ingest(incremental, files);
      await ingest(full, files);
      expect(a.rejected, `seed ${seed} batch ${batch}: ${JSON.stringify(a.files.flatMap((f) => f.rejects)).slice(0, 300)}`).toBe(0);
      // case_orders is exactly the stored orders that have a case, after every batch.
      const ordersOf = (sql: string) =>
        incremental.read((conn) =>
          queryRows(conn, `SELECT order_id, shop_id, paid_at::VARCHAR AS paid_at, amount::VARCHAR AS amount, goods_id FROM ${sql} ORDER BY order_id`),
        );
      expect(await ordersOf('case_orders'), `seed ${seed} batch ${batch}: case_orders`).toEqual(
        await ordersOf('orders WHERE order_id IN (SELECT order_id FROM cases)'),
      );
      // The reference: everything recomputed from the first day.
      await full.write((conn) => refreshMetrics(conn, { from: null }));
      // An early lift on a restricted shop, decided on the last day.
      if (!lifted && r.next() < 0.5) {
        const restricted = await incremental.read((conn) =>
          queryRows<{ shop_id: string; day: string }>(
            conn,
            "SELECT shop_id, strftime(day, '%Y-%m-%d') AS day FROM shop_day WHERE level IN ('restricted', 'severe') AND day = (SELECT last_day FROM data_range) LIMIT 1",
          ),
        );
        if (restricted.length) {
          lifted = true;
          for (const db of [incremental, full]) {
            await db.write((conn) =>
              conn.run("INSERT INTO decisions VALUES (999, $s, 'lift_early', 'test', $d::DATE, NULL, NULL, 'tester', 'reviewer', now(), NULL)", {
                s: restricted[0].shop_id,
                d: restricted[0].day,
              }),
            );
          }
          await incremental.write((conn) => refreshMetrics(conn, { from: restricted[0].day }));
          await full.write((conn) => refreshMetrics(conn, { from: null }));
        }
      }
      // A stricter policy from a day on.
      if (!changedPolicy && batch >= 2 && r.next() < 0.3) {
        changedPolicy = true;
        const last = (await incremental.read((conn) => queryRows<{ d: string }>(conn, "SELECT strftime(last_day, '%Y-%m-%d') AS d FROM data_range")))[0].d;
        const from = addDays(last, -r.int(0, 5));
        const next = {
          ...TEST_POLICY,
          version: 'prop-2',
          flagRatio: 1.2,
          levels: [{ ...TEST_POLICY.levels[0], afterFlaggedDays: 3 }, TEST_POLICY.levels[1]] as Policy['levels'],
        };
        for (const db of [incremental, full]) await db.write((conn) => activatePolicy(conn, next, 'tester', from));
        await incremental.write((conn) => refreshMetrics(conn, { from }));
        await full.write((conn) => refreshMetrics(conn, { from: null }));
      }
      const got = await state(incremental);
      const want = await state(full);
      for (const key of Object.keys(want)) expect(got[key], `seed ${seed}, batch ${batch}, ${key}`).toEqual(want[key]);
      for (const row of got.shop_day as { level: string }[]) levels.add(row.level);
    }
  } finally {
    await incremental.close();
    await full.close();
  }
  return { batches: batch, levels };
}

describe('incremental refresh = full rebuild', () => {
  it(`on ${SEQUENCES} random batch sequences`, async () => {
    const levels = new Set<string>();
    let batches = 0;
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const result = await runSequence(seed);
      batches += result.batches;
      for (const l of result.levels) levels.add(l);
    }
    // The sequences exercise every level and many batches.
    expect([...levels].sort()).toEqual(['none', 'restricted', 'severe', 'warning']);
    expect(batches).toBeGreaterThan(SEQUENCES * 3);
  }, 240_000);

  it('when the earliest order is re-sent later, the days before the new first day leave every table', async () => {
    const { db, dir } = await openTempDb();
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [['A', '甲店', 'C1']]);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-09-01T10:00:00+08:00', '1'],
      ['O2', 'A', '2026-09-05T10:00:00+08:00', '1'],
      ['O3', 'A', '2026-09-06T10:00:00+08:00', '1'],
    ]);
    await ingest(db, [dir]);
    const days = (table: string) =>
      db.read((conn) => queryRows<{ first: string; n: number }>(conn, `SELECT strftime(min(day), '%Y-%m-%d') AS first, count(*)::INTEGER AS n FROM ${table}`));
    expect(await days('category_day')).toEqual([{ first: '2026-09-01', n: 6 }]);
    // O1 re-sent on 09-04: the data now starts on 09-04, and 09-01 … 09-03 are gone from every table.
    const d2 = tempDir();
    const moved = await ingest(db, [writeCsv(d2, 'orders.csv', HEADERS.orders, [['O1', 'A', '2026-09-04T10:00:00+08:00', '1']])]);
    expect(moved.refresh?.from).toBe('2026-09-04');
    for (const table of ['shop_day', 'category_day', 'daily_orders']) expect(await days(table), table).toEqual([{ first: '2026-09-04', n: 3 }]);
    await db.close();
  });

  it('a one-day batch recomputes from that day only', async () => {
    const { db, dir } = await openTempDb();
    writeCsv(dir, 'categories.csv', HEADERS.categories, [['C1', '女装', '']]);
    writeCsv(dir, 'shops.csv', HEADERS.shops, [['A', '甲店', 'C1']]);
    writeCsv(dir, 'orders.csv', HEADERS.orders, [
      ['O1', 'A', '2026-09-01T10:00:00+08:00', '1'],
      ['O2', 'A', '2026-09-20T10:00:00+08:00', '1'],
    ]);
    const first = await ingest(db, [dir]);
    expect(first.refresh?.from).toBe('2026-09-01');
    const d2 = tempDir();
    const next = await ingest(db, [writeCsv(d2, 'orders.csv', HEADERS.orders, [['O3', 'A', '2026-09-21T10:00:00+08:00', '1']])]);
    expect(next.refresh?.from).toBe('2026-09-21');
    expect(next.refresh?.shopDays).toBe(1);
    // A late order on an earlier day recomputes from its day.
    const late = await ingest(db, [writeCsv(d2, 'orders-late.csv', HEADERS.orders, [['O4', 'A', '2026-09-10T10:00:00+08:00', '1']])]);
    expect([late.refresh?.from, late.refresh?.shopDays]).toEqual(['2026-09-10', 12]);
    // A new shop changes every day.
    const shop = await ingest(db, [writeCsv(d2, 'shops.csv', HEADERS.shops, [['B', '乙店', 'C1']])]);
    expect(shop.refresh?.from).toBe('2026-09-01');
    await db.close();
  });

  it('a new day after the last one starts from the stored last day’s counts, and equals a full rebuild', async () => {
    // The demo's files, loaded up to five days before the end, then a day at a time: that day's orders and the cases
    // opened on it (the day in the platform's zone, Asia/Shanghai, UTC+8 all year; a time without an offset is in it).
    const out = tempDir('iw-newday-');
    await generateDemo({ shops: 80, days: 45, seed: 21, end: '2026-11-20', out });
    const lines = (file: string) => fs.readFileSync(path.join(out, file), 'utf8').trimEnd().split('\n');
    const [orderHeader, ...orderRows] = lines('orders.csv');
    const [caseHeader, ...caseRows] = lines('interventions.csv');
    const dayOf = (row: string, column: number) => {
      const text = row.split(',')[column].replace(' ', 'T');
      const instant = Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(text) ? text : `${text}+08:00`);
      return new Date(instant + 8 * 3_600_000).toISOString().slice(0, 10);
    };
    const split = (rows: string[], column: number, test: (day: string) => boolean) => rows.filter((r) => test(dayOf(r, column)));
    const dir = tempDir('iw-newday-batches-');
    const write = (name: string, header: string, rows: string[]) => {
      fs.writeFileSync(path.join(dir, name), [header, ...rows].join('\n') + '\n');
      return path.join(dir, name);
    };
    const start = '2026-11-16';
    const base = [
      path.join(out, 'categories.csv'),
      path.join(out, 'shops.csv'),
      path.join(out, 'goods.csv'),
      write(
        'orders.csv',
        orderHeader,
        split(orderRows, 2, (d) => d < start),
      ),
      write(
        'interventions.csv',
        caseHeader,
        split(caseRows, 3, (d) => d < start),
      ),
    ];
    const { db: incremental } = await openTempDb({ memory: true });
    const { db: full } = await openTempDb({ memory: true });
    try {
      for (const db of [incremental, full]) expect((await ingest(db, base)).rejected).toBe(0);
      let newDays = 0;
      for (let day = start; day <= '2026-11-20'; day = addDays(day, 1)) {
        const files = [
          write(
            `orders-${day}.csv`,
            orderHeader,
            split(orderRows, 2, (d) => d === day),
          ),
          write(
            `interventions-${day}.csv`,
            caseHeader,
            split(caseRows, 3, (d) => d === day),
          ),
        ];
        const a = await ingest(incremental, files);
        expect([a.rejected, a.refresh?.from, a.refresh?.newDay]).toEqual([0, day, true]);
        newDays++;
        await ingest(full, files);
        await full.write((conn) => refreshMetrics(conn, { from: null }));
        const [got, want] = [await state(incremental), await state(full)];
        for (const key of Object.keys(want)) expect(got[key], `${day}, ${key}`).toEqual(want[key]);
      }
      expect(newDays).toBe(5);
      // Some shop is at a level on the last day, so the comparison covers the walk from a new day.
      expect((await state(incremental)).queue_day.length).toBeGreaterThan(0);
    } finally {
      await incremental.close();
      await full.close();
    }
  });
});
