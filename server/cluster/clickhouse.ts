// Cluster mode's connection to ClickHouse (the official @clickhouse/client over HTTP): the schema of the
// raw tables on every shard, writes of raw orders and cases through Distributed tables sharded by shop,
// and the daily shop counts computed on the shards by one distributed query.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

export interface ClusterConfig {
  /** The node queries go to (any node of the cluster). */
  url: string;
  /** The cluster's name in the servers' remote_servers. */
  cluster: string;
  database: string;
  /** Every shard's HTTP address: the schema is created on each, and a refresh checks each is up. */
  shards: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Cluster mode is on when CLICKHOUSE_URL is set; the rest has defaults. Null: embedded mode. */
export function clusterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterConfig | null {
  const url = env.CLICKHOUSE_URL?.trim();
  if (!url) return null;
  const check = (name: string, value: string) => {
    if (!NAME.test(value)) throw new Error(`${name}=${value}: expected a name of letters, digits and _`);
    return value;
  };
  const shards = (env.CLICKHOUSE_SHARDS?.trim() || url).split(',').map((s) => s.trim());
  for (const s of [url, ...shards]) {
    try {
      new URL(s);
    } catch {
      throw new Error(`CLICKHOUSE_URL / CLICKHOUSE_SHARDS: '${s}' is not a URL (e.g. http://127.0.0.1:8123)`);
    }
  }
  return {
    url,
    cluster: check('CLICKHOUSE_CLUSTER', env.CLICKHOUSE_CLUSTER?.trim() || 'iw'),
    database: check('CLICKHOUSE_DATABASE', env.CLICKHOUSE_DATABASE?.trim() || 'iw'),
    shards,
  };
}

export class ShardDownError extends Error {}

const COUNTS_SQL_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'daily-shop-counts.clickhouse.sql');

export interface RawOrder {
  order_id: string;
  shop_id: string;
  /** Microseconds since the epoch. */
  paid_at_us: number;
  amount_fen: number;
}

export interface RawCase {
  case_id: string;
  order_id: string;
  shop_id: string;
  opened_at_us: number;
  kind: string;
  reason: string;
  status: string;
  outcome: string;
  excluded: number;
  exclusion_reason: string;
}

export interface DailyCount {
  shop_id: string;
  day: string;
  orders: number;
  interventions_in: number;
  interventions_out: number;
  complaints_in: number;
  complaints_out: number;
}

export class Cluster {
  private readonly entry: ClickHouseClient;
  /** Versions of re-sent rows: later writes win (argMax by version), also within one millisecond. */
  private lastVersion = 0;

  constructor(readonly config: ClusterConfig) {
    // Long distributed queries keep the connection alive with progress headers.
    this.entry = createClient({
      url: config.url,
      request_timeout: 300_000,
      clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
    });
  }

  private shardClient(url: string): ClickHouseClient {
    return createClient({ url, request_timeout: 30_000 });
  }

  private get db(): string {
    return this.config.database;
  }

  /** Fails with an error naming the first shard that does not answer. */
  async checkShards(): Promise<void> {
    for (const [index, url] of this.config.shards.entries()) {
      const client = this.shardClient(url);
      try {
        const ping = await client.ping();
        if (!ping.success) throw new ShardDownError(`ClickHouse shard ${index + 1} of ${this.config.shards.length} (${url}) is down: ${String(ping.error)}`);
      } finally {
        await client.close();
      }
    }
  }

  /** The database, the local raw tables and the Distributed tables over them, on every shard. */
  async ensureSchema(): Promise<void> {
    const db = this.db;
    const statements = [
      `CREATE DATABASE IF NOT EXISTS ${db}`,
      `CREATE TABLE IF NOT EXISTS ${db}.orders_local (order_id String, shop_id String, paid_at_us Int64, amount_fen Int64, version UInt64)
       ENGINE = ReplacingMergeTree(version) ORDER BY (shop_id, order_id)`,
      `CREATE TABLE IF NOT EXISTS ${db}.cases_local (case_id String, order_id String, shop_id String, opened_at_us Int64, kind String,
         reason String, status String, outcome String, excluded UInt8, exclusion_reason String, version UInt64)
       ENGINE = ReplacingMergeTree(version) ORDER BY (shop_id, case_id)`,
      `CREATE TABLE IF NOT EXISTS ${db}.orders AS ${db}.orders_local ENGINE = Distributed(${this.config.cluster}, ${db}, orders_local, cityHash64(shop_id))`,
      `CREATE TABLE IF NOT EXISTS ${db}.cases AS ${db}.cases_local ENGINE = Distributed(${this.config.cluster}, ${db}, cases_local, cityHash64(shop_id))`,
    ];
    for (const url of this.config.shards) {
      const client = this.shardClient(url);
      try {
        for (const query of statements) await client.command({ query });
      } finally {
        await client.close();
      }
    }
  }

  private nextVersion(): number {
    this.lastVersion = Math.max(this.lastVersion + 1, Date.now() * 1000);
    return this.lastVersion;
  }

  /** Writes raw rows through the Distributed tables (synchronously: when this returns, every shard has them). */
  async insertOrders(rows: RawOrder[]): Promise<void> {
    if (rows.length === 0) return;
    const version = this.nextVersion();
    await this.entry.insert({
      table: `${this.db}.orders`,
      values: rows.map((r) => ({ ...r, version })),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_distributed_sync: 1 },
    });
  }

  async insertCases(rows: RawCase[]): Promise<void> {
    if (rows.length === 0) return;
    const version = this.nextVersion();
    await this.entry.insert({
      table: `${this.db}.cases`,
      values: rows.map((r) => ({ ...r, version })),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_distributed_sync: 1 },
    });
  }

  /**
   * The daily shop counts of every shop and local day from `from` on (null: every day), computed on the
   * shards: a view per window and zone on each shard, and one query through a Distributed table over it.
   */
  async dailyCounts(policy: { windowDays: number; timeZone: string }, from: string | null): Promise<DailyCount[]> {
    if (!Number.isInteger(policy.windowDays) || policy.windowDays < 1) throw new Error(`windowDays ${policy.windowDays} is not a positive whole number`);
    if (!/^[A-Za-z_+\-/0-9]+$/.test(policy.timeZone)) throw new Error(`timeZone ${policy.timeZone} is not an IANA zone name`);
    if (from !== null && !/^\d{4}-\d{2}-\d{2}$/.test(from)) throw new Error(`from ${from} is not YYYY-MM-DD`);
    await this.checkShards();
    const zoneKey = policy.timeZone.replace(/[^A-Za-z0-9]/g, '_');
    const view = `daily_counts_w${policy.windowDays}_${zoneKey}`;
    const body = fs
      .readFileSync(COUNTS_SQL_FILE, 'utf8')
      .replace(/^\s*--.*$/gm, '')
      .replaceAll(':window_days', String(policy.windowDays))
      .replaceAll(':time_zone', `'${policy.timeZone}'`)
      .replaceAll(':database', this.db);
    for (const url of this.config.shards) {
      const client = this.shardClient(url);
      try {
        await client.command({ query: `CREATE VIEW IF NOT EXISTS ${this.db}.${view}_local AS ${body}` });
        await client.command({
          query: `CREATE TABLE IF NOT EXISTS ${this.db}.${view} AS ${this.db}.${view}_local ENGINE = Distributed(${this.config.cluster}, ${this.db}, ${view}_local)`,
        });
      } finally {
        await client.close();
      }
    }
    const where = from === null ? '' : `WHERE day >= toDate('${from}')`;
    const result = await this.entry.query({
      query: `SELECT shop_id, toString(day) AS local_day, orders, interventions_in, interventions_out, complaints_in, complaints_out
              FROM ${this.db}.${view} ${where}`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<Record<string, string | number>>();
    // 64-bit integers arrive as strings in JSON: numbers here (a shop's daily counts are far below 2^53).
    return rows.map((r) => ({
      shop_id: String(r.shop_id),
      day: String(r.local_day),
      orders: Number(r.orders),
      interventions_in: Number(r.interventions_in),
      interventions_out: Number(r.interventions_out),
      complaints_in: Number(r.complaints_in),
      complaints_out: Number(r.complaints_out),
    }));
  }

  async close(): Promise<void> {
    await this.entry.close();
  }
}
