// The level evaluator on hand-made flag series: runs, escalation, lifting, a new run while restricted.
import { describe, expect, it } from 'vitest';
import { evaluateShop, type DayInput } from '../server/policy/evaluate.js';
import { DEFAULT_POLICY, parsePolicy, restrictionsAt } from '../server/policy/policy.js';
import { addDays } from './helpers.js';

/** A series from a pattern: 'F' flagged, '.' not; day 0 is 2026-10-01. */
function series(pattern: string): DayInput[] {
  return [...pattern].map((c, i) => ({
    day: addDays('2026-10-01', i),
    flagged: c === 'F',
    orders: 100,
    interventions: c === 'F' ? 10 : 1,
    rate: c === 'F' ? 0.1 : 0.01,
    categoryMean: 0.01,
    ratio: c === 'F' ? 10 : 1,
  }));
}

const levels = (pattern: string) => evaluateShop(series(pattern), DEFAULT_POLICY).levels;

describe('level evaluator (default policy)', () => {
  it('a run of 6 flagged days is a warning only', () => {
    expect(levels('FFFFFF.')).toEqual(['warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'none']);
    expect(evaluateShop(series('FFFFFF'), DEFAULT_POLICY).episodes).toEqual([]);
  });

  it('the 7th flagged day in a row restricts, with the numbers of that day', () => {
    const { levels: l, episodes } = evaluateShop(series('FFFFFFF'), DEFAULT_POLICY);
    expect(l).toEqual(['warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'restricted']);
    expect(episodes).toEqual([
      {
        level: 'restricted',
        codes: ['remove_resource_slots', 'ban_resource_slots'],
        startDay: '2026-10-07',
        endDay: null,
        orders: 100,
        interventions: 10,
        rate: 0.1,
        categoryMean: 0.01,
        ratio: 10,
        flaggedDays: 7,
        policyVersion: DEFAULT_POLICY.version,
      },
    ]);
  });

  it('the 14th flagged day in a row makes it severe and adds the ads and listing restrictions', () => {
    const { levels: l, episodes } = evaluateShop(series('F'.repeat(14)), DEFAULT_POLICY);
    expect(l[12]).toBe('restricted');
    expect(l[13]).toBe('severe');
    expect(episodes.map((e) => [e.level, e.startDay, e.codes])).toEqual([
      ['restricted', '2026-10-07', ['remove_resource_slots', 'ban_resource_slots']],
      ['severe', '2026-10-14', ['remove_ads', 'ban_new_listings']],
    ]);
    expect(restrictionsAt(DEFAULT_POLICY, 'severe')).toEqual(['remove_resource_slots', 'ban_resource_slots', 'remove_ads', 'ban_new_listings']);
  });

  it('a broken run starts again from 1', () => {
    // 6 flagged, 1 clean, 6 flagged: never 7 in a row.
    expect(levels('FFFFFF.FFFFFF')).not.toContain('restricted');
  });

  it('lifts all restrictions on the 7th unflagged day in a row, not before', () => {
    const { levels: l, episodes } = evaluateShop(series('F'.repeat(14) + '.'.repeat(7)), DEFAULT_POLICY);
    expect(l.slice(14, 20)).toEqual(Array(6).fill('severe'));
    expect(l[20]).toBe('none');
    // Both levels of the episode lift on the same day (day 20 = 10-21).
    expect(episodes.map((e) => e.endDay)).toEqual(['2026-10-21', '2026-10-21']);
  });

  it('a flagged day inside the clean stretch restarts the 7 clean days', () => {
    const l = levels('F'.repeat(7) + '......F' + '......');
    // Restricted at day 6; clean days 7–12 (6), flagged day 13, clean days 14–19 (6): still restricted.
    expect(l[19]).toBe('restricted');
    const l2 = levels('F'.repeat(7) + '......F' + '.......');
    expect(l2[20]).toBe('none');
  });

  it('a new run while restricted keeps the level and counts from 1 towards severe', () => {
    // Restricted on day 6 (run of 10), 3 clean days, then a new run: severe on its 14th day, not earlier.
    const pattern = 'F'.repeat(10) + '...' + 'F'.repeat(14);
    const { levels: l, episodes } = evaluateShop(series(pattern), DEFAULT_POLICY);
    expect(l.slice(10, 13)).toEqual(['restricted', 'restricted', 'restricted']);
    // New run starts on day 13: days 13 … 25 are its 1st … 13th: restricted; day 26 its 14th: severe.
    expect(l[25]).toBe('restricted');
    expect(l[26]).toBe('severe');
    expect(episodes.map((e) => [e.level, e.startDay, e.endDay])).toEqual([
      ['restricted', '2026-10-07', null],
      ['severe', '2026-10-27', null],
    ]);
  });

  it('after a lift a new run needs 7 days again', () => {
    const l = levels('F'.repeat(7) + '.'.repeat(7) + 'F'.repeat(7));
    expect(l[13]).toBe('none');
    expect(l.slice(14, 20)).toEqual(Array(6).fill('warning'));
    expect(l[20]).toBe('restricted');
  });

  it('takes every number from the policy', () => {
    const strict = parsePolicy(
      {
        ...DEFAULT_POLICY,
        version: 'strict',
        levels: [
          { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 2 },
          { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 3 },
        ],
        lift: { afterUnflaggedDays: 1 },
      },
      'test',
    );
    const { levels: l, episodes } = evaluateShop(series('FFF.'), strict);
    expect(l).toEqual(['warning', 'restricted', 'severe', 'none']);
    expect(episodes[0].policyVersion).toBe('strict');
  });
});

describe('policy file', () => {
  it('the shipped default holds the numbers of DESIGN §3', () => {
    expect(DEFAULT_POLICY).toMatchObject({
      timeZone: 'Asia/Shanghai',
      windowDays: 30,
      countBasis: 'case_opened',
      categoryMean: 'pooled',
      floors: { minOrders: 30, minInterventions: 3 },
      flagRatio: 5,
      lift: { afterUnflaggedDays: 7 },
    });
    expect(DEFAULT_POLICY.levels.map((l) => [l.level, l.afterFlaggedDays])).toEqual([
      ['restricted', 7],
      ['severe', 14],
    ]);
  });

  it('rejects a policy with a bad field, naming it', () => {
    expect(() => parsePolicy({ ...DEFAULT_POLICY, flagRatio: -1 }, 'candidate')).toThrow(/candidate: invalid policy: flagRatio/);
    expect(() => parsePolicy({ ...DEFAULT_POLICY, timeZone: 'Mars/Base' }, 'candidate')).toThrow(/timeZone: not an IANA time zone/);
    expect(() => parsePolicy({ ...DEFAULT_POLICY, extra: 1 }, 'candidate')).toThrow(/extra/);
  });
});
