// One DuckDB instance per process, a small pool of connections, and one writer at a time.
// Readers each take their own connection, so a request never shares a connection with another;
// DuckDB's MVCC gives every reader a snapshot from wholly before or wholly after a write.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { migrate } from './migrations.js';
import { createDerivedViews } from './views.js';

export type Params = Record<string, DuckDBValue> | DuckDBValue[];
export type Row = Record<string, unknown>;

/** Converts DuckDB's JS values to what JSON and the API want: numbers, ISO date strings. */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalize);
  return value;
}

export async function queryRows<T = Row>(conn: DuckDBConnection, sql: string, params?: Params): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql, params);
  const rows = reader.getRowObjectsJS() as Row[];
  for (const row of rows) for (const key of Object.keys(row)) row[key] = normalize(row[key]);
  return rows as T[];
}

const preparedByConnection = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();

/** Like queryRows, but the statement is prepared once per connection (for the hot read paths). */
export async function queryPrepared<T = Row>(conn: DuckDBConnection, sql: string, params: Record<string, DuckDBValue>): Promise<T[]> {
  let statements = preparedByConnection.get(conn);
  if (!statements) preparedByConnection.set(conn, (statements = new Map<string, DuckDBPreparedStatement>()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = await conn.prepare(sql)));
  statement.bind(params);
  const rows = (await statement.runAndReadAll()).getRowObjectsJS() as Row[];
  for (const row of rows) for (const key of Object.keys(row)) row[key] = normalize(row[key]);
  return rows as T[];
}

export async function queryOne<T = Row>(conn: DuckDBConnection, sql: string, params?: Params): Promise<T | undefined> {
  return (await queryRows<T>(conn, sql, params))[0];
}

export async function execute(conn: DuckDBConnection, sql: string, params?: Params): Promise<void> {
  await conn.run(sql, params);
}

/** Runs async work one at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export interface DatabaseOptions {
  poolSize?: number;
  /** DuckDB memory_limit, e.g. '2GB'. */
  memoryLimit?: string;
  threads?: number;
}

export class Database {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiters: ((conn: DuckDBConnection) => void)[] = [];
  /** Waiting for a connection ahead of `waiters`, in arrival order. */
  private readonly firstWaiters: ((conn: DuckDBConnection) => void)[] = [];
  private readonly writer = new Mutex();
  private readonly commitListeners: (() => void)[] = [];
  private readonly beforeCommitListeners: ((conn: DuckDBConnection) => Promise<void>)[] = [];
  /** readAside calls in flight (close waits for them). */
  private readonly aside = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Counts committed writes: anything cached from the database is good for one generation. */
  generation = 0;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connections: DuckDBConnection[],
  ) {
    this.idle.push(...connections);
  }

  static async open(dbPath: string, options: DatabaseOptions = {}): Promise<Database> {
    if (dbPath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
    const settings: Record<string, string> = {};
    if (options.memoryLimit) settings.memory_limit = options.memoryLimit;
    if (options.threads) settings.threads = String(options.threads);
    const instance = await DuckDBInstance.create(dbPath, settings);
    const poolSize = options.poolSize ?? 4;
    const connections: DuckDBConnection[] = [];
    for (let i = 0; i < poolSize; i++) {
      const conn = await instance.connect();
      // Instants are stored as TIMESTAMPTZ; casts to text use UTC so no reader depends on the host's zone.
      await conn.run("SET TimeZone = 'UTC'");
      connections.push(conn);
    }
    const db = new Database(dbPath, instance, connections);
    await db.write(async (conn) => {
      await migrate(conn);
      await createDerivedViews(conn);
    });
    return db;
  }

  /** A connection from the pool; `first`: before the waiting readers (the writer, the read model's rebuild). */
  private acquire(first = false): Promise<DuckDBConnection> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    return new Promise((resolve) => (first ? this.firstWaiters : this.waiters).push(resolve));
  }

  private release(conn: DuckDBConnection): void {
    const waiter = this.firstWaiters.shift() ?? this.waiters.shift();
    if (waiter) waiter(conn);
    else this.idle.push(conn);
  }

  /**
   * Runs fn on a connection of its own inside one transaction, so every query of it reads the same
   * snapshot (wholly before or wholly after any write); at most poolSize run at once. `first`: this read
   * takes the next free connection before the reads already waiting (for work every request waits on, such
   * as rebuilding the in-memory read model after a write; keep it rare and short).
   */
  async read<T>(fn: (conn: DuckDBConnection) => Promise<T>, options: { first?: boolean } = {}): Promise<T> {
    return this.withConnection(options.first ?? false, async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        return await fn(conn);
      } finally {
        // Reads change nothing; ending the transaction either way releases the snapshot.
        await conn.run('ROLLBACK').catch(() => undefined);
      }
    });
  }

  /**
   * Like read, but on a connection outside the pool, opened for fn and closed after. For reads a writer
   * needs while it holds its own connection (the ingest reading a Parquet file): they work at any pool
   * size, DB_POOL_SIZE=1 included, and their errors cannot abort the writer's transaction.
   */
  async readAside<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('database is closed');
    const work = (async () => {
      const conn = await this.instance.connect();
      try {
        await conn.run("SET TimeZone = 'UTC'");
        await conn.run('BEGIN TRANSACTION');
        try {
          return await fn(conn);
        } finally {
          await conn.run('ROLLBACK').catch(() => undefined);
        }
      } finally {
        conn.closeSync();
      }
    })();
    const done = () => this.aside.delete(work);
    this.aside.add(work);
    work.then(done, done);
    return work;
  }

  private async withConnection<T>(first: boolean, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire(first);
    try {
      return await fn(conn);
    } finally {
      this.release(conn);
    }
  }

  /** Runs fn in one transaction, one writer at a time: all of it commits, or none of it. */
  async write<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    // The writer takes the next free connection before the waiting readers: a write (and the fresh data it
    // brings) does not queue behind a burst of reads, and it is one at a time, so readers are never starved.
    return this.writer.run(() =>
      this.withConnection(true, async (conn) => {
        await conn.run('BEGIN TRANSACTION');
        try {
          const result = await fn(conn);
          // Work that must commit with every write (e.g. alerts derived from what it stored): a failure rolls it all back.
          for (const listener of this.beforeCommitListeners) await listener(conn);
          await conn.run('COMMIT');
          this.generation++;
          for (const listener of this.commitListeners) listener();
          return result;
        } catch (error) {
          await conn.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    );
  }

  /**
   * Called inside every write, with the writer's connection, after the write function succeeded and
   * before COMMIT, in registration order: what a listener writes commits with the write, or not at all
   * (a listener that throws rolls the whole write back). Used by server/alerts to store the events a
   * refresh causes in the refresh's own transaction. Keep listeners fast: they hold the writer.
   */
  beforeCommit(listener: (conn: DuckDBConnection) => Promise<void>): void {
    this.beforeCommitListeners.push(listener);
  }

  /** Called after every committed write (e.g. to rebuild a cache). */
  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Waits for the writer, checkpoints the file and closes every connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writer.run(async () => {
        // Take every connection first: reads in flight finish before anything is closed (closing a
        // connection under a running query can block the process).
        const held: DuckDBConnection[] = [];
        for (let i = 0; i < this.connections.length; i++) held.push(await this.acquire());
        if (this.path !== ':memory:') await held[0].run('CHECKPOINT').catch(() => undefined);
        this.closed = true;
      });
      await Promise.allSettled([...this.aside]);
      for (const conn of this.connections) conn.closeSync();
      this.instance.closeSync();
    })();
    return this.closing;
  }
}
