// The policy: every number of DESIGN §3 as data, validated at load. Nothing in the metric SQL or the
// level evaluator hard-codes a threshold; it all comes from a Policy.
import { DEFAULT_POLICY_FILE, PolicySchema, type Level, type Policy } from '../contracts/policy.js';

export { LEVELS, PolicySchema, RESTRICTION_CODES, type Level, type Policy } from '../contracts/policy.js';

export function parsePolicy(input: unknown, source: string): Policy {
  const result = PolicySchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${source}: invalid policy: ${problems}`);
  }
  return result.data;
}

export const DEFAULT_POLICY: Policy = parsePolicy(DEFAULT_POLICY_FILE, 'server/contracts/default-policy.json');

/** The restrictions in force at a level: each level adds its own to those of the levels below it. */
export function restrictionsAt(policy: Policy, level: Level): string[] {
  const codes: string[] = [];
  for (const step of policy.levels) {
    codes.push(...step.restrictions);
    if (step.level === level) return codes;
  }
  return [];
}
