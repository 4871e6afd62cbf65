// Policy versions live in the database; the active one drives every refresh.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import { DEFAULT_POLICY, parsePolicy, type Policy } from './policy.js';

/** The active policy; on a new database the shipped default becomes version one. */
export async function activePolicy(conn: DuckDBConnection): Promise<Policy> {
  const row = await queryOne<{ body: string }>(conn, 'SELECT body::VARCHAR AS body FROM policy_versions WHERE active LIMIT 1');
  if (row) return parsePolicy(JSON.parse(row.body), 'policy_versions');
  return DEFAULT_POLICY;
}

/** Stores the default policy as the active version when none is stored yet (inside a write). */
export async function ensureActivePolicy(conn: DuckDBConnection): Promise<Policy> {
  const row = await queryOne(conn, 'SELECT 1 AS one FROM policy_versions WHERE active LIMIT 1');
  if (!row) {
    await conn.run("INSERT INTO policy_versions VALUES ($version, $body::JSON, now(), 'system', true, NULL)", {
      version: DEFAULT_POLICY.version,
      body: JSON.stringify(DEFAULT_POLICY),
    });
  }
  return activePolicy(conn);
}

export async function policyVersions(conn: DuckDBConnection): Promise<{ version: string; createdAt: string; createdBy: string; active: boolean; policy: Policy }[]> {
  const rows = await queryRows<{ version: string; body: string; created_at: string; created_by: string; active: boolean }>(
    conn,
    'SELECT version, body::VARCHAR AS body, created_at, created_by, active FROM policy_versions ORDER BY created_at',
  );
  return rows.map((r) => ({ version: r.version, createdAt: r.created_at, createdBy: r.created_by, active: r.active, policy: parsePolicy(JSON.parse(r.body), 'policy_versions') }));
}
