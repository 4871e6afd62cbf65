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

export async function policyVersions(
  conn: DuckDBConnection,
): Promise<{ version: string; createdAt: string; createdBy: string; active: boolean; effectiveFrom: string | null; policy: Policy }[]> {
  const rows = await queryRows<{ version: string; body: string; created_at: string; created_by: string; active: boolean; effective_from: string | null }>(
    conn,
    `SELECT version, body::VARCHAR AS body, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at, created_by, active,
       strftime(effective_from, '%Y-%m-%d') AS effective_from
     FROM policy_versions ORDER BY created_at`,
  );
  return rows.map((r) => ({
    version: r.version,
    createdAt: r.created_at,
    createdBy: r.created_by,
    active: r.active,
    effectiveFrom: r.effective_from,
    policy: parsePolicy(JSON.parse(r.body), 'policy_versions'),
  }));
}

export interface ActivationPlan {
  /** The first day the candidate would apply to; null: from the data's first day (there is no data yet). */
  effectiveFrom: string | null;
  /** Why the candidate cannot be activated as it is (it can still be simulated), or null. */
  refusal: string | null;
}

/**
 * The day a candidate takes effect, by the one rule that activation and simulation share: the day
 * asked for, or else the data's last day, or, before any data, the data's first day (null). A day
 * must lie within the data and after the day the current version took effect. Window, zone, count
 * basis and mean method change what is counted, so once there is data they cannot change from a day
 * on: such a candidate is refused (a simulation still shows it, over the whole history).
 */
export async function planActivation(conn: DuckDBConnection, candidate: Policy, requested: string | null | undefined): Promise<ActivationPlan> {
  const range = await queryOne<{ first: string; last: string }>(
    conn,
    "SELECT strftime(first_day, '%Y-%m-%d') AS first, strftime(last_day, '%Y-%m-%d') AS last FROM data_range LIMIT 1",
  );
  const effectiveFrom = requested ?? range?.last ?? null;
  if (range && effectiveFrom !== null && effectiveFrom < range.first) throw badRequest(`effectiveFrom: ${effectiveFrom} is before the data (${range.first})`);
  const latest = await queryOne<{ version: string; from: string }>(
    conn,
    'SELECT version, strftime(effective_from, \'%Y-%m-%d\') AS "from" FROM policy_versions WHERE effective_from IS NOT NULL ORDER BY effective_from DESC LIMIT 1',
  );
  if (latest && effectiveFrom === null) throw badRequest(`effectiveFrom: required, since version ${latest.version} takes effect on ${latest.from}`);
  if (latest && effectiveFrom !== null && effectiveFrom <= latest.from) {
    throw badRequest(`effectiveFrom: ${effectiveFrom} must be after ${latest.from}, when version ${latest.version} took effect`);
  }
  const active = await activePolicy(conn);
  const structural = STRUCTURAL_KEYS.filter((key) => candidate[key] !== active[key]);
  const refusal =
    range && structural.length > 0
      ? `policy.${structural[0]}: ${structural.join(', ')} cannot change from a day on (they change what is counted); simulate it, or re-baseline the data`
      : null;
  return { effectiveFrom: range && structural.length > 0 ? null : effectiveFrom, refusal };
}

/**
 * Makes a candidate the active version from the day planActivation gives, and returns what changed.
 * Days before that keep the version in force then, so a restriction keeps the version that made it;
 * the caller recomputes the levels from that day. A version activated before any data applies from
 * the data's first day and replaces the versions before it (they cover no day).
 */
export async function activatePolicy(
  conn: DuckDBConnection,
  candidate: Policy,
  actor: string,
  requested: string | null | undefined,
): Promise<{ version: string; effectiveFrom: string | null; changed: string[] }> {
  const active = await activePolicy(conn);
  if (await queryOne(conn, 'SELECT 1 AS one FROM policy_versions WHERE version = $v', { v: candidate.version })) {
    throw new HttpError(409, 'conflict', `policy version ${candidate.version} exists already; give the candidate a new version`);
  }
  const plan = await planActivation(conn, candidate, requested);
  if (plan.refusal) throw badRequest(plan.refusal);
  const effectiveFrom = plan.effectiveFrom;
  await ensureActivePolicy(conn);
  await conn.run('UPDATE policy_versions SET active = false WHERE active');
  await conn.run('INSERT INTO policy_versions VALUES ($version, $body::JSON, now(), $actor, true, $from::DATE)', {
    version: candidate.version,
    body: JSON.stringify(candidate),
    actor,
    from: effectiveFrom,
  });
  const changed = (Object.keys(candidate) as (keyof Policy)[]).filter((k) => k !== 'version' && JSON.stringify(candidate[k]) !== JSON.stringify(active[k]));
  return { version: candidate.version, effectiveFrom, changed };
}
