// Cluster mode's connection to ClickHouse (the official @clickhouse/client over HTTP): the schema of the
// raw tables on every shard, writes of raw orders and cases through Distributed tables sharded by shop,
// and the daily shop counts computed on the shards by one distributed query.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

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
  /** Empty: no goods. */
  goods_id?: string;
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

/**
 * A batch's state in `batches_local` (on every shard): only rows of a batch whose latest state is
 * committed or prepared are counted. An ingest writes its rows, marks the batch prepared, counts, commits
 * the embedded store, then marks it committed; a prepared batch the embedded store never committed (a
 * failure in between) is revoked by the next ingest or handover (`settle`), so its rows never count.
 */
export const BATCH_REVOKED = 0;
export const BATCH_COMMITTED = 1;
export const BATCH_PREPARED = 2;

export const ORDER_COLUMNS = ['order_id', 'shop_id', 'paid_at_us', 'amount_fen', 'goods_id', 'version'] as const;
export const CASE_COLUMNS = [
  'case_id',
  'order_id',
  'shop_id',
  'opened_at_us',
  'kind',
  'reason',
  'status',
  'outcome',
  'excluded',
  'exclusion_reason',
  'version',
] as const;

export class Cluster {
  private readonly entry: ClickHouseClient;
  /** Versions (and marker sequence numbers): strictly increasing, microseconds since the epoch or above. */
  private lastVersion = 0;
  private schemaReady = false;

  constructor(readonly config: ClusterConfig) {
    // Long distributed queries keep the connection alive with progress headers.
    this.entry = createClient({
      url: config.url,
      request_timeout: 300_000,
      // The client's own warnings (a refused connection…) would reach the terminal; every failure is reported by us, naming the shard.
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
    });
  }

  private shardClient(url: string): ClickHouseClient {
    return createClient({ url, request_timeout: 30_000, log: { level: ClickHouseLogLevel.OFF } });
  }

  private async onEachShard(fn: (client: ClickHouseClient, index: number) => Promise<void>): Promise<void> {
    for (const [index, url] of this.config.shards.entries()) {
      const client = this.shardClient(url);
      try {
        await fn(client, index);
      } finally {
        await client.close();
      }
    }
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

  /**
   * What a failed cluster call becomes: the error naming a shard that is down when one is (the usual
   * cause: a shard that died during an insert or a query), else the call's own error, said to be ClickHouse's.
   */
  private async explain(error: unknown, what: string): Promise<Error> {
    try {
      await this.checkShards();
    } catch (down) {
      if (down instanceof ShardDownError) return new ShardDownError(`${down.message} (during ${what})`);
    }
    if (error instanceof ShardDownError) return error;
    return new Error(`ClickHouse ${what} failed: ${(error as Error).message.split('\n')[0]}`);
  }

  /**
   * The database, the local raw tables, the batch markers and the Distributed tables over them, on every
   * shard. Raw tables are plain MergeTree: a re-sent row is a new row with a higher version, read by
   * argMax(…, version) per id over the counted batches; a merge never drops a counted row in favour of a
   * newer row of a batch that is not counted (a ReplacingMergeTree would).
   */
  async ensureSchema(): Promise<void> {
    const db = this.db;
    const statements = [
      `CREATE DATABASE IF NOT EXISTS ${db}`,
      `CREATE TABLE IF NOT EXISTS ${db}.orders_local (order_id String, shop_id String, paid_at_us Int64, amount_fen Int64, goods_id String, version UInt64)
       ENGINE = MergeTree ORDER BY (shop_id, order_id, version)`,
      `CREATE TABLE IF NOT EXISTS ${db}.cases_local (case_id String, order_id String, shop_id String, opened_at_us Int64, kind String,
         reason String, status String, outcome String, excluded UInt8, exclusion_reason String, version UInt64)
       ENGINE = MergeTree ORDER BY (shop_id, case_id, version)`,
      `CREATE TABLE IF NOT EXISTS ${db}.batches_local (version UInt64, state UInt8, seq UInt64)
       ENGINE = ReplacingMergeTree(seq) ORDER BY version`,
      `CREATE TABLE IF NOT EXISTS ${db}.orders AS ${db}.orders_local ENGINE = Distributed(${this.config.cluster}, ${db}, orders_local, cityHash64(shop_id))`,
      `CREATE TABLE IF NOT EXISTS ${db}.cases AS ${db}.cases_local ENGINE = Distributed(${this.config.cluster}, ${db}, cases_local, cityHash64(shop_id))`,
    ];
    try {
      await this.onEachShard(async (client, index) => {
        for (const query of statements) await client.command({ query });
        // A cluster created by the first version of cluster mode (ReplacingMergeTree raw tables without batch markers).
        const result = await client.query({
          query: `SELECT engine FROM system.tables WHERE database = '${db}' AND name IN ('orders_local', 'cases_local') AND engine <> 'MergeTree'`,
          format: 'JSONEachRow',
        });
        if ((await result.json()).length > 0)
          throw new Error(
            `shard ${index + 1}: the database ${db} holds raw tables of an older layout; drop it on every shard (DROP DATABASE ${db}) or remove the local cluster's folder, then ingest again`,
          );
      });
    } catch (error) {
      throw error instanceof Error && /older layout/.test(error.message) ? error : await this.explain(error, 'creating the schema');
    }
    this.schemaReady = true;
  }

  /** ensureSchema once per process (every statement is IF NOT EXISTS). */
  async ready(): Promise<void> {
    if (!this.schemaReady) await this.ensureSchema();
  }

  /** A version above every one used before (this process's, `floor`). */
  nextVersion(floor = 0): number {
    this.lastVersion = Math.max(this.lastVersion + 1, Date.now() * 1000, floor + 1);
    return this.lastVersion;
  }

  /** Writes a batch's state on every shard (each shard counts only its own local rows, so each keeps every marker). */
  async markBatch(version: number, state: number): Promise<void> {
    const seq = this.nextVersion();
    try {
      await this.onEachShard(async (client) => {
        await client.insert({ table: `${this.db}.batches_local`, values: [{ version, state, seq }], format: 'JSONEachRow' });
      });
    } catch (error) {
      throw await this.explain(error, `marking batch ${version}`);
    }
  }

  /** Per shard: the latest state of every batch, and the highest version any row or marker carries. */
  async batchStates(): Promise<{ states: Map<number, number>[]; maxVersion: number }> {
    const states: Map<number, number>[] = [];
    let maxVersion = 0;
    try {
      await this.onEachShard(async (client) => {
        const result = await client.query({
          query: `SELECT toString(version) AS version, argMax(state, seq) AS state FROM ${this.db}.batches_local GROUP BY version`,
          format: 'JSONEachRow',
        });
        const rows = await result.json<{ version: string; state: number }>();
        states.push(new Map(rows.map((r) => [Number(r.version), Number(r.state)])));
        const max = await client.query({
          // greatest() of two: ClickHouse 18.16 takes no more. Marker sequence numbers too: a later marker must sort after them.
          query: `SELECT toString(greatest(greatest((SELECT max(version) FROM ${this.db}.orders_local), (SELECT max(version) FROM ${this.db}.cases_local)),
                    (SELECT max(greatest(version, seq)) FROM ${this.db}.batches_local))) AS v`,
          format: 'JSONEachRow',
        });
        const [{ v }] = await max.json<{ v: string }>();
        maxVersion = Math.max(maxVersion, Number(v));
      });
    } catch (error) {
      throw await this.explain(error, 'reading the batch markers');
    }
    return { states, maxVersion };
  }

  /**
   * Settles the batches against the embedded store, the authority on what counts: a prepared batch becomes
   * committed when the embedded store committed it, revoked otherwise (an ingest that failed after its rows
   * reached the cluster). `strict` (an embedded store that keeps a list of its cluster batches): a committed
   * batch it does not list is revoked too (rows of another store, or written outside the ingest). Returns the
   * highest version in use.
   */
  async settle(committedInEmbedded: (version: number) => boolean, strict: boolean): Promise<{ maxVersion: number; revoked: number[]; promoted: number[] }> {
    const { states, maxVersion } = await this.batchStates();
    // Markers written from here on sort after every marker already there (whatever process wrote it).
    this.lastVersion = Math.max(this.lastVersion, maxVersion);
    const revoked = new Set<number>();
    const promoted = new Set<number>();
    for (const shard of states) {
      for (const [version, state] of shard) {
        if (state === BATCH_PREPARED) (committedInEmbedded(version) ? promoted : revoked).add(version);
        else if (state === BATCH_COMMITTED && strict && !committedInEmbedded(version)) revoked.add(version);
      }
    }
    // On every shard (a marker a shard missed is written there too; a later seq wins).
    for (const version of revoked) await this.markBatch(version, BATCH_REVOKED);
    for (const version of promoted) await this.markBatch(version, BATCH_COMMITTED);
    return { maxVersion, revoked: [...revoked], promoted: [...promoted] };
  }

  /** Versions the embedded store says are committed but a shard does not count (a shard that lost its data). */
  async missingCommitted(committed: number[]): Promise<{ shard: number; version: number } | null> {
    const { states } = await this.batchStates();
    for (const [index, shard] of states.entries()) {
      for (const version of committed) {
        const state = shard.get(version);
        if (state !== BATCH_COMMITTED && state !== BATCH_PREPARED) return { shard: index + 1, version };
      }
    }
    return null;
  }

  /**
   * Writes raw rows through the Distributed tables (synchronously: when this returns, every shard has them).
   * With a version: rows of that batch (counted once it is marked); without: a batch of its own, marked
   * committed at once (tools and tests).
   */
  async insertOrders(rows: RawOrder[], version?: number): Promise<number> {
    const v = version ?? this.nextVersion();
    if (rows.length > 0)
      await this.insertValues(
        'orders',
        rows.map((r) => ({ ...r, goods_id: r.goods_id ?? '', version: v })),
      );
    if (version === undefined) await this.markBatch(v, BATCH_COMMITTED);
    return v;
  }

  async insertCases(rows: RawCase[], version?: number): Promise<number> {
    const v = version ?? this.nextVersion();
    if (rows.length > 0)
      await this.insertValues(
        'cases',
        rows.map((r) => ({ ...r, version: v })),
      );
    if (version === undefined) await this.markBatch(v, BATCH_COMMITTED);
    return v;
  }

  private async insertValues(table: 'orders' | 'cases', values: Record<string, unknown>[]): Promise<void> {
    try {
      await this.entry.insert({ table: `${this.db}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: { insert_distributed_sync: 1 } });
    } catch (error) {
      throw await this.explain(error, `inserting ${table}`);
    }
  }

  /** Streams a CSV file (RFC 4180, no header, the columns given) into a Distributed table, synchronously. */
  async insertCsv(table: 'orders' | 'cases', file: string, columns: readonly string[]): Promise<void> {
    try {
      await this.entry.insert({
        table: `${this.db}.${table}`,
        values: fs.createReadStream(file),
        format: 'CSV',
        columns: [...columns] as [string, ...string[]],
        clickhouse_settings: { insert_distributed_sync: 1 },
      });
    } catch (error) {
      throw await this.explain(error, `inserting ${table}`);
    }
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
    // v2: counts only rows of committed (or prepared) batches.
    const view = `daily_counts_v2_w${policy.windowDays}_${zoneKey}`;
    const body = fs
      .readFileSync(COUNTS_SQL_FILE, 'utf8')
      .replace(/^\s*--.*$/gm, '')
      .replaceAll(':window_days', String(policy.windowDays))
      .replaceAll(':time_zone', `'${policy.timeZone}'`)
      .replaceAll(':database', this.db);
    try {
      await this.onEachShard(async (client) => {
        await client.command({ query: `CREATE VIEW IF NOT EXISTS ${this.db}.${view}_local AS ${body}` });
        await client.command({
          query: `CREATE TABLE IF NOT EXISTS ${this.db}.${view} AS ${this.db}.${view}_local ENGINE = Distributed(${this.config.cluster}, ${this.db}, ${view}_local)`,
        });
      });
    } catch (error) {
      throw await this.explain(error, 'creating the daily-count views');
    }
    const where = from === null ? '' : `WHERE day >= toDate('${from}')`;
    let rows: Record<string, string | number>[];
    try {
      const result = await this.entry.query({
        query: `SELECT shop_id, toString(day) AS local_day, orders, interventions_in, interventions_out, complaints_in, complaints_out
                FROM ${this.db}.${view} ${where}`,
        format: 'JSONEachRow',
      });
      rows = await result.json<Record<string, string | number>>();
    } catch (error) {
      throw await this.explain(error, 'the daily-count query');
    }
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

  /** The version the entry node reports (SELECT version()). */
  async serverVersion(): Promise<string> {
    const result = await this.entry.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
    return (await result.json<{ v: string }>())[0].v;
  }

  async close(): Promise<void> {
    await this.entry.close();
  }
}
