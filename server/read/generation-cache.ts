// Small read-side values that change only with a committed write (the data range, the policy schedule,
// the reviewers' early lifts and exemptions), kept for one committed generation (Database.generation) so
// that the per-shop reads do not query them on every request.
//
// Why an answer never mixes two snapshots. Database.read runs a request in one transaction: one snapshot,
// taken when the transaction begins or first reads. Database.write increments `generation` right after its
// COMMIT, so for a short while the database already holds a write that `generation` does not count yet;
// `generation` alone does not name a snapshot. What does: a request reads `generation` (g) BEFORE it asks
// for its transaction, and again AFTER its queries have run. When both are g, its snapshot is the state of
// generation g exactly:
//  - every write counted in g had committed before the first read of g (the increment follows the COMMIT),
//    so before the snapshot;
//  - no later write had committed before the snapshot: the COMMIT of write g + 1 and the queries of the
//    request complete on DuckDB's worker threads and are handed back to this thread in the order they
//    completed (libuv's done queue), and the increment runs in the microtasks of the COMMIT's hand-back.
//    A request whose snapshot followed that COMMIT runs a query that completes after it, so by the time
//    that query's result reaches JavaScript the increment has happened and the second read sees g + 1.
//    (Every write goes through Database.write: it is the one place that counts them.)
// So a value is stored under g only when read in a transaction that saw g before and after, and a request
// uses a stored value only under the same condition: when the generation moved during a request that used
// one, the request runs again in the same transaction with values read from its own snapshot (rare: a
// write committed during the request). Either way every figure of an answer comes from one snapshot.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../db/database.js';

export class GenerationCache<T> {
  private entry: { generation: number; value: T } | null = null;

  constructor(
    private readonly db: Pick<Database, 'generation' | 'read'>,
    /** Reads the value from the transaction's snapshot. */
    private readonly load: (conn: DuckDBConnection) => Promise<T>,
  ) {}

  /**
   * Runs fn in one read transaction (Database.read) with the value of that transaction's snapshot: the one
   * kept for the current generation when it is still current after fn, else one read in the transaction.
   * fn may run twice (only reads): its first answer is dropped when a write committed during it.
   */
  read<R>(fn: (conn: DuckDBConnection, value: T) => Promise<R>): Promise<R> {
    const before = this.db.generation;
    return this.db.read(async (conn) => {
      const kept = this.entry;
      if (kept && kept.generation === before) {
        // An error (a 404, a 400 from the data range) is an answer too: it stands only under the same check.
        let outcome: { ok: true; result: R } | { ok: false; error: unknown };
        try {
          outcome = { ok: true, result: await fn(conn, kept.value) };
        } catch (error) {
          outcome = { ok: false, error };
        }
        if (this.db.generation === before) {
          if (outcome.ok) return outcome.result;
          throw outcome.error;
        }
      }
      const value = await this.load(conn);
      const result = await fn(conn, value);
      // Stored only when no write committed between the first read of the generation and now (see above).
      if (this.db.generation === before && (this.entry === null || this.entry.generation <= before)) this.entry = { generation: before, value };
      return result;
    });
  }

  /** The value kept and the generation it belongs to (tests). */
  peek(): { generation: number; value: T } | null {
    return this.entry;
  }
}
