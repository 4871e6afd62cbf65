// Which policy version is in force on which day. A version applies from its effective day on, so
// restrictions reached before an activation keep the version (and the numbers) that made them.
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../db/database.js';
import { DEFAULT_POLICY, parsePolicy, type Policy } from './policy.js';

export interface ScheduledPolicy {
  policy: Policy;
  /** First day it applies to; null = from the start of the data. */
  from: string | null;
}

const START = '0001-01-01';

export class PolicySchedule {
  /** The versions that cover at least one day, by the day they take effect: no two cover the same day. */
  readonly versions: ScheduledPolicy[];
  /**
   * Versions in the order they were created. A version created later that takes effect on or before an
   * earlier one's day supersedes it from there on (a version activated before any data, with no day,
   * applies from the data's first day and replaces the ones before it), so two never cover one day.
   */
  constructor(created: ScheduledPolicy[]) {
    if (created.length === 0) throw new Error('a policy schedule needs at least one version');
    const kept: ScheduledPolicy[] = [];
    for (const version of created) {
      const from = version.from ?? START;
      while (kept.length > 0 && (kept[kept.length - 1].from ?? START) >= from) kept.pop();
      kept.push(version);
    }
    this.versions = kept;
  }
  static single(policy: Policy): PolicySchedule {
    return new PolicySchedule([{ policy, from: null }]);
  }
  /** The newest version: it decides the window, the zone, the count basis and the mean method. */
  get active(): Policy {
    return this.versions[this.versions.length - 1].policy;
  }
  on(day: string): Policy {
    let current = this.versions[0].policy;
    for (const v of this.versions) if (v.from === null || v.from <= day) current = v.policy;
    return current;
  }
  /** Day ranges [from, to) with each version's numbers, for the flag SQL. */
  periods(): { from: string; to: string; policy: Policy }[] {
    return this.versions.map((v, i) => ({
      from: v.from ?? START,
      to: this.versions[i + 1]?.from ?? '9999-12-31',
      policy: v.policy,
    }));
  }
  /** The schedule as it would be after activating a candidate from a day on (null: from the data's first day). */
  withCandidate(candidate: Policy, from: string | null): PolicySchedule {
    return new PolicySchedule([...this.versions, { policy: candidate, from }]);
  }
}

/** Structural settings change what is counted, so every version of a schedule must share them. */
export const STRUCTURAL_KEYS = ['timeZone', 'windowDays', 'countBasis', 'categoryMean'] as const;

export async function loadSchedule(conn: DuckDBConnection): Promise<PolicySchedule> {
  const rows = await queryRows<{ body: string; effective_from: string | null }>(
    conn,
    `SELECT body::VARCHAR AS body, strftime(effective_from, '%Y-%m-%d') AS effective_from
     FROM policy_versions ORDER BY created_at, active`,
  );
  if (rows.length === 0) return PolicySchedule.single(DEFAULT_POLICY);
  return new PolicySchedule(rows.map((r) => ({ policy: storedPolicy(r.body), from: r.effective_from })));
}

/** Stored versions never change: each body is parsed and checked once (a request reads the schedule every time). */
const parsedBodies = new Map<string, Policy>();
function storedPolicy(body: string): Policy {
  let policy = parsedBodies.get(body);
  if (!policy) {
    policy = parsePolicy(JSON.parse(body), 'policy_versions');
    if (parsedBodies.size >= 1000) parsedBodies.clear();
    parsedBodies.set(body, policy);
  }
  return policy;
}
