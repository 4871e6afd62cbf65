// Cluster mode against a real local ClickHouse cluster (3 shards, Debian's clickhouse-server, started by
// the test): the daily shop counts computed on the shards and handed over give every shop-day, every
// category-day and every restriction episode equal to the embedded engine on the same rows; re-sent
// rows change no number; a shard that is down fails the handover naming it and changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ShardDownError, type RawCase, type RawOrder } from '../server/cluster/clickhouse.js';
import { handOver } from '../server/cluster/handover.js';
import { clusterEnv, findServerBinary, startCluster, stopCluster, type ClusterState } from '../server/cluster/local.js';
import { queryRows, type Database } from '../server/db/database.js';
import { generateDemo } from '../server/generate/demo.js';
import { HEADERS, ingest, openTempDb, tempDir, writeCsv } from './helpers.js';

let state: ClusterState;
let cluster: Cluster;
let clusterDir: string;
let embedded: Database;
let viaCluster: Database;
let demo: string;

async function rawOrders(db: Database, where = 'true'): Promise<RawOrder[]> {
  return db.read((conn) =>
    queryRows<RawOrder>(
      conn,
      `SELECT order_id, shop_id, epoch_us(paid_at)::DOUBLE AS paid_at_us, (amount * 100)::BIGINT::DOUBLE AS amount_fen FROM orders WHERE ${where} ORDER BY order_id`,
    ),
  );
}

async function rawCases(db: Database, where = 'true'): Promise<RawCase[]> {
  return db.read((conn) =>
    queryRows<RawCase>(
      conn,
      `SELECT case_id, order_id, shop_id, epoch_us(opened_at)::DOUBLE AS opened_at_us, kind, coalesce(reason, '') AS reason, status,
         coalesce(outcome, '') AS outcome, excluded::INTEGER AS excluded, coalesce(exclusion_reason, '') AS exclusion_reason
       FROM cases WHERE ${where} ORDER BY case_id`,
    ),
  );
}

/** Every materialized number, as text: equal texts mean equal metrics. */
async function metrics(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const queries: Record<string, string> = {
    shop_day: 'SELECT * FROM shop_day ORDER BY shop_id, day',
    category_day: 'SELECT * FROM category_day ORDER BY category_id, day',
    restriction_episodes: 'SELECT * FROM restriction_episodes ORDER BY shop_id, start_day, level',
    data_range: 'SELECT first_day, last_day, window_days FROM data_range',
  };
  for (const [name, sql] of Object.entries(queries)) out[name] = JSON.stringify(await db.read((conn) => queryRows(conn, sql)));
  return out;
}

/** The first rows that differ between two JSON arrays of rows (and a note when the lengths differ). */
function firstDifferences(got: string, want: string): string[] {
  const a = JSON.parse(got) as unknown[];
  const b = JSON.parse(want) as unknown[];
  const out: string[] = a.length === b.length ? [] : [`${a.length} rows, want ${b.length}`];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 3; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) out.push(`row ${i}: ${JSON.stringify(a[i])} want ${JSON.stringify(b[i])}`);
  }
  return out;
}

beforeAll(async () => {
  const binary = findServerBinary();
  if ('missing' in binary) throw new Error(`cluster tests need ClickHouse: ${binary.missing}`);
  clusterDir = tempDir('iw-cluster-');
  // A port range of its own, so that a developer's running cluster (18123…) is not disturbed.
  state = await startCluster(clusterDir, { shards: 3, basePort: 21000 + Math.floor(Math.random() * 400) * 2 });
  const env = clusterEnv(state);
  cluster = new Cluster({ url: env.CLICKHOUSE_URL, cluster: state.name, database: state.database, shards: env.CLICKHOUSE_SHARDS.split(',') });
  await cluster.ensureSchema();

  // The rows: a generated demo (near-midnight timestamps, several cases per order, exclusions), then a
  // later batch that flips exclusions, re-sends orders and brings late cases.
  demo = tempDir('iw-cluster-demo-');
  await generateDemo({ shops: 150, days: 70, seed: 11, end: '2026-11-20', out: demo });
  ({ db: embedded } = await openTempDb());
  ({ db: viaCluster } = await openTempDb());
  expect((await ingest(embedded, [demo])).exitCode).toBe(0);
  const catalogue = tempDir('iw-cluster-catalogue-');
  for (const name of ['categories.csv', 'shops.csv']) fs.copyFileSync(path.join(demo, name), path.join(catalogue, name));
  expect((await ingest(viaCluster, [catalogue])).exitCode).toBe(0);
  await cluster.insertOrders(await rawOrders(embedded));
  await cluster.insertCases(await rawCases(embedded));
}, 240_000);

afterAll(async () => {
  await cluster?.close();
  if (clusterDir) await stopCluster(clusterDir);
  await embedded?.close();
  await viaCluster?.close();
});

describe('cluster mode (3 shards) = embedded', () => {
  it('spreads the rows over the shards by shop, every shop on one shard', async () => {
    const perShard: number[] = [];
    const shopsSeen = new Map<string, number>();
    for (const [index, shard] of state.shards.entries()) {
      const res = await fetch(`http://127.0.0.1:${shard.httpPort}/?query=${encodeURIComponent('SELECT DISTINCT shop_id FROM iw.orders_local FORMAT TSV')}`);
      const shops = (await res.text()).split('\n').filter(Boolean);
      perShard.push(shops.length);
      for (const shop of shops) {
        expect(shopsSeen.has(shop), `shop ${shop} on shards ${shopsSeen.get(shop)} and ${index}`).toBe(false);
        shopsSeen.set(shop, index);
      }
    }
    expect(perShard.every((n) => n > 0)).toBe(true);
    const [{ n }] = await embedded.read((conn) => queryRows<{ n: number }>(conn, 'SELECT count(DISTINCT shop_id)::INTEGER AS n FROM orders'));
    expect(shopsSeen.size).toBe(n);
  });

  it('gives every shop-day, category-day and restriction episode of the embedded engine', async () => {
    const report = await handOver(viaCluster, cluster);
    expect(report.rows).toBeGreaterThan(1000);
    // Its numbers come from the cluster alone: it holds no raw order or case.
    const [raw] = await viaCluster.read((conn) =>
      queryRows<{ orders: number; cases: number }>(
        conn,
        'SELECT (SELECT count(*) FROM orders)::INTEGER AS orders, (SELECT count(*) FROM cases)::INTEGER AS cases',
      ),
    );
    expect(raw).toEqual({ orders: 0, cases: 0 });
    const want = await metrics(embedded);
    const got = await metrics(viaCluster);
    expect(got.data_range).toBe(want.data_range);
    expect(firstDifferences(got.shop_day, want.shop_day)).toEqual([]);
    expect(firstDifferences(got.category_day, want.category_day)).toEqual([]);
    expect(got.restriction_episodes).toBe(want.restriction_episodes);
    // The data set has restrictions to compare.
    expect(JSON.parse(want.restriction_episodes).length).toBeGreaterThan(0);
  }, 120_000);

  it('a later batch (exclusions flipped, orders re-sent, late cases) hands over only the days it touches, and stays equal', async () => {
    // Flip the exclusion of 40 cases, re-send 200 orders unchanged, add 15 late cases on existing orders.
    const flipped = (await rawCases(embedded)).slice(0, 40);
    const lateOrders = (await rawOrders(embedded)).slice(-15);
    const dir = tempDir('iw-cluster-batch2-');
    const iso = (us: number) => new Date(us / 1000).toISOString();
    writeCsv(dir, 'interventions.csv', HEADERS.interventions, [
      ...flipped.map((c) => [
        c.case_id,
        c.order_id,
        c.shop_id,
        iso(c.opened_at_us),
        c.kind,
        c.reason,
        c.status,
        c.outcome,
        c.excluded ? 'false' : 'true',
        c.excluded ? '' : 'review',
      ]),
      ...lateOrders.map((o, i) => [`late-${i}`, o.order_id, o.shop_id, '2026-11-20T15:59:59Z', 'intervention', 'quality', 'open', '', 'false', '']),
    ]);
    const resent = (await rawOrders(embedded)).slice(0, 200);
    writeCsv(
      dir,
      'orders.csv',
      HEADERS.orders,
      resent.map((o) => [o.order_id, o.shop_id, iso(o.paid_at_us), (o.amount_fen / 100).toFixed(2)]),
    );
    const before = await embedded.read((conn) => queryRows<{ last: string }>(conn, "SELECT strftime(last_day, '%Y-%m-%d') AS last FROM data_range"));
    expect((await ingest(embedded, [dir])).rejected).toBe(0);
    // The same rows to the cluster (re-sent rows carry a higher version).
    const ids = [...flipped.map((c) => c.case_id), ...lateOrders.map((_, i) => `late-${i}`)];
    await cluster.insertCases(await rawCases(embedded, `case_id IN (${ids.map((id) => `'${id}'`).join(',')})`));
    await cluster.insertOrders(await rawOrders(embedded, `order_id IN (${resent.map((o) => `'${o.order_id}'`).join(',')})`));
    // The earliest day the batch touched, in the platform zone: the flipped cases' and re-sent orders' days.
    const [{ from }] = await embedded.read((conn) =>
      queryRows<{ from: string }>(
        conn,
        `SELECT strftime(least(
           (SELECT min(CAST(timezone('Asia/Shanghai', opened_at) AS DATE)) FROM cases WHERE case_id IN (${ids.map((id) => `'${id}'`).join(',')})),
           (SELECT min(CAST(timezone('Asia/Shanghai', paid_at) AS DATE)) FROM orders WHERE order_id IN (${resent.map((o) => `'${o.order_id}'`).join(',')}))), '%Y-%m-%d') AS "from"`,
      ),
    );
    expect(from <= before[0].last).toBe(true);
    const report = await handOver(viaCluster, cluster, from);
    expect(report.refresh?.from).toBe(from);
    expect(await metrics(viaCluster)).toEqual(await metrics(embedded));
  }, 120_000);

  it('a shard that is down fails the handover naming it and changes nothing; after it returns, equal again', async () => {
    const before = await metrics(viaCluster);
    await stopCluster(clusterDir, 1);
    let error: unknown;
    try {
      await handOver(viaCluster, cluster);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShardDownError);
    expect((error as Error).message).toContain(`ClickHouse shard 2 of 3 (http://127.0.0.1:${state.shards[1].httpPort}) is down`);
    expect(await metrics(viaCluster)).toEqual(before);
    await startCluster(clusterDir);
    await handOver(viaCluster, cluster);
    expect(await metrics(viaCluster)).toEqual(await metrics(embedded));
  }, 120_000);
});
