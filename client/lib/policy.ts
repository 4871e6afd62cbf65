// The policy numbers the screens explain (floors, ratio, run lengths, lift rule). The active policy comes
// from GET /api/policy; until it answers (or when a seller may not read it) the shipped default stands in.
import defaultPolicyJson from '../../server/contracts/default-policy.json';
import { usePolicy, type Policy } from './queries';

export const DEFAULT_POLICY = defaultPolicyJson as unknown as Policy;

export function useActivePolicy(): Policy {
  const policy = usePolicy();
  return policy.data?.active ?? DEFAULT_POLICY;
}

export function runLength(policy: Policy, level: 'restricted' | 'severe'): number {
  return policy.levels.find((step) => step.level === level)?.afterFlaggedDays ?? (level === 'restricted' ? 7 : 14);
}
