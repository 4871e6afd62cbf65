// Where the time of a refresh or an ingest goes, without copying their code: the connection they are
// given is wrapped so that every statement is timed and named. What is not SQL (reading files,
// validating fields, the level walk in JS, appenders) is the remainder.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../../server/db/database.js';
import * as metricSql from '../../server/pipeline/sql.js';

export interface StepTime {
  step: string;
  calls: number;
  ms: number;
}

/** The named statements of server/metrics/sql.ts are reported by their names; others by their first words. */
const NAMED = new Map<string, string>(
  Object.entries(metricSql)
    .filter(([, v]) => typeof v === 'string')
    .map(([name, text]) => [text as string, name]),
);

function stepName(sql: string): string {
  const named = NAMED.get(sql);
  if (named) return named;
  const flat = sql.replace(/\s+/g, ' ').trim();
  // Statements that differ only in a table name or bound values share a step.
  return flat.length > 72 ? `${flat.slice(0, 72)}…` : flat;
}

export class StepTimer {
  private readonly steps = new Map<string, StepTime>();

  add(step: string, ms: number): void {
    const s = this.steps.get(step) ?? { step, calls: 0, ms: 0 };
    s.calls++;
    s.ms += ms;
    this.steps.set(step, s);
  }

  /** Steps by time spent, largest first. */
  list(): StepTime[] {
    return [...this.steps.values()].sort((a, b) => b.ms - a.ms);
  }

  total(): number {
    return this.list().reduce((sum, s) => sum + s.ms, 0);
  }

  /** The connection, with run/runAndReadAll/createAppender timed. */
  wrap(conn: DuckDBConnection): DuckDBConnection {
    const timed = new Set(['run', 'runAndReadAll', 'runAndRead', 'createAppender']);
    return new Proxy(conn, {
      get: (target, prop, _receiver) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (!timed.has(String(prop))) return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            const name = prop === 'createAppender' ? `appender ${String(args[0])}` : stepName(String(args[0]));
            this.add(name, performance.now() - started);
          }
        };
      },
    });
  }

  /** The database, with the connections it hands out to read() and write() wrapped. */
  wrapDatabase(db: Database): Database {
    return new Proxy(db, {
      get: (target, prop) => {
        if (prop === 'write' || prop === 'read') {
          return <T>(fn: (conn: DuckDBConnection) => Promise<T>) => target[prop]((conn) => fn(this.wrap(conn)));
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}
