// Policy versions live in the database; the active one drives every refresh.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryOne, queryRows } from '../db/database.js';
import { DEFAULT_POLICY, parsePolicy, type Policy } from './policy.js';
import { STRUCTURAL_KEYS } from './schedule.js';
import { HttpError, badRequest } from '../errors.js';

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

export async function policyVersions(conn: DuckDBConnection): Promise<{ version: string; createdAt: string; createdBy: string; active: boolean; effectiveFrom: string | null; policy: Policy }[]> {
  const rows = await queryRows<{ version: string; body: string; created_at: string; created_by: string; active: boolean; effective_from: string | null }>(
    conn,
    `SELECT version, body::VARCHAR AS body, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at, created_by, active,
       strftime(effective_from, '%Y-%m-%d') AS effective_from
     FROM policy_versions ORDER BY created_at`,
  );
  return rows.map((r) => ({ version: r.version, createdAt: r.created_at, createdBy: r.created_by, active: r.active, effectiveFrom: r.effective_from, policy: parsePolicy(JSON.parse(r.body), 'policy_versions') }));
}

/**
 * Makes a candidate the active version from a day on (default: the data's last day) and recomputes
 * the levels. Days before that keep the version in force then, so a restriction keeps the version that
 * made it. Window, zone, count basis and mean method change what is counted, so they cannot change
 * from a day on: such a candidate is refused.
 */
export async function activatePolicy(
  conn: DuckDBConnection,
  candidate: Policy,
  actor: string,
  effectiveFrom: string | null,
): Promise<{ version: string; effectiveFrom: string | null; changed: string[] }> {
  const active = await activePolicy(conn);
  if (await queryOne(conn, 'SELECT 1 AS one FROM policy_versions WHERE version = $v', { v: candidate.version })) {
    throw new HttpError(409, 'conflict', `policy version ${candidate.version} exists already; give the candidate a new version`);
  }
  const structural = STRUCTURAL_KEYS.filter((key) => candidate[key] !== active[key]);
  if (structural.length > 0) {
    throw badRequest(`policy.${structural[0]}: ${structural.join(', ')} cannot change from a day on (they change what is counted); simulate it, or re-baseline the data`);
  }
  const latest = await queryOne<{ from: string | null }>(conn, "SELECT strftime(max(effective_from), '%Y-%m-%d') AS \"from\" FROM policy_versions");
  if (effectiveFrom && latest?.from && effectiveFrom <= latest.from) {
    throw badRequest(`effectiveFrom: ${effectiveFrom} must be after ${latest.from}, when the current version took effect`);
  }
  await ensureActivePolicy(conn);
  await conn.run('UPDATE policy_versions SET active = false WHERE active');
  await conn.run('INSERT INTO policy_versions VALUES ($version, $body::JSON, now(), $actor, true, $from::DATE)', {
    version: candidate.version, body: JSON.stringify(candidate), actor, from: effectiveFrom,
  });
  const changed = (Object.keys(candidate) as (keyof Policy)[]).filter((k) => k !== 'version' && JSON.stringify(candidate[k]) !== JSON.stringify(active[k]));
  return { version: candidate.version, effectiveFrom, changed };
}
