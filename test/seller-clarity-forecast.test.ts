// Issue 11, the forecast's plain answers (hand-worked, on the pure forecastShop): when restrictions return
// after an early lift or under an exemption, what accepting an appeal today would leave, and never a
// placeholder number for the headroom.
//
// Shop: 10 orders a day (300 in the window), 30 intervention orders whose last case is on the date
// 2026-11-20 (they stay in the window through 12-19); category 30,000 orders and 300 intervention orders
// (mean 1 %), so the shop's rate is 10 %, ratio 10: flagged on every projected day to 12-19.
// History: flagged 11-11 … 11-20 (10 days): run 7 on 11-17 → restricted, episode 11-17; severe at run 14.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../server/policy/policy.js';
import { forecastShop, type ForecastInput } from '../server/read/forecast.js';
import { addDays } from './helpers.js';

const D = '2026-11-20';

function input(overrides: Partial<ForecastInput> = {}): ForecastInput {
  const history = Array.from({ length: 10 }, (_, i) => ({
    day: addDays('2026-11-11', i),
    flagged: true,
    orders: 300,
    interventions: 30,
    rate: 0.1,
    categoryMean: 0.01,
    ratio: 10,
  }));
  return {
    date: D,
    firstDay: '2026-09-01',
    policy: DEFAULT_POLICY,
    history,
    dailyOrders: new Map(Array.from({ length: 30 }, (_, i) => [addDays(D, -i), 10])),
    lastCaseDays: Array.from({ length: 30 }, () => D),
    shop: { orders: 300, interventions: 30 },
    category: { orders: 30_000, interventions: 300 },
    ...overrides,
  };
}

describe('forecast: when restrictions return', () => {
  it('after an early lift on 11-18: a new run from 11-19 reaches 7 on 11-25 (restricted) and 14 on 12-02 (severe)', () => {
    const f = forecastShop(input({ lifts: [{ day: '2026-11-18', episodeStart: '2026-11-17', level: 'restricted' }] }));
    expect(f.points[0].level).toBe('warning'); // 11-21, run 3
    expect(f.liftOn).toBeNull(); // nothing in force to lift
    expect(f.returns).toEqual({ restrictedOn: '2026-11-25', severeOn: '2026-12-02' });
    expect(f.returnsIfLifted).toBeNull();
  });

  it('follows the policy in force each day: v2 from 11-23 restricts at 5 (11-23) and goes severe at 8 (11-26)', () => {
    const v2: Policy = {
      ...DEFAULT_POLICY,
      version: 'test-v2',
      levels: [
        { ...DEFAULT_POLICY.levels[0], afterFlaggedDays: 5 },
        { ...DEFAULT_POLICY.levels[1], afterFlaggedDays: 8 },
      ],
    };
    const f = forecastShop(
      input({ policy: (day) => (day >= '2026-11-23' ? v2 : DEFAULT_POLICY), lifts: [{ day: '2026-11-18', episodeStart: '2026-11-17', level: 'restricted' }] }),
    );
    expect(f.returns).toEqual({ restrictedOn: '2026-11-23', severeOn: '2026-11-26' });
  });

  it('under an exemption of the restricted episode to 11-30: severe (not seen by the reviewer) applies on 11-24, the exempted ones return on 12-01', () => {
    const f = forecastShop(input({ exemption: { until: '2026-11-30', episodeStart: '2026-11-17', level: 'restricted' } }));
    expect(f.returns).toEqual({ restrictedOn: '2026-12-01', severeOn: '2026-11-24' });
  });

  it('an exemption of another episode exempts nothing: restrictions apply today, so nothing "returns"', () => {
    const f = forecastShop(input({ exemption: { until: '2026-11-30', episodeStart: '2026-10-01', level: 'restricted' } }));
    expect(f.returns).toBeNull();
  });

  it('no lift and no exemption: no returns; accepting an appeal today would bring restrictions back on 11-27 and severe on 12-04', () => {
    const f = forecastShop(input());
    expect(f.returns).toBeNull();
    // Lifted on 11-20: run 0; flagged 11-21 … → 7 on 11-27, 14 on 12-04.
    expect(f.returnsIfLifted).toEqual({ restrictedOn: '2026-11-27', severeOn: '2026-12-04' });
  });
});

describe('forecast: the headroom is a number or a plain state, never a placeholder', () => {
  it('a shop below the order floor cannot be flagged however many cases: headroom null and unbounded (not 1048575)', () => {
    const f = forecastShop(
      input({
        history: [],
        dailyOrders: new Map([[D, 20]]),
        lastCaseDays: [],
        shop: { orders: 20, interventions: 0 },
        category: { orders: 30_000, interventions: 300 },
        firstDay: D,
      }),
    );
    expect(f.headroom7d).toBeNull();
    expect(f.headroomUnbounded).toBe(true);
  });

  it('a shop that is its whole category: its cases raise the mean with its rate (ratio stays 1): unbounded', () => {
    const f = forecastShop(
      input({ history: [], lastCaseDays: [], shop: { orders: 300, interventions: 0 }, category: { orders: 300, interventions: 0 }, firstDay: '2026-09-01' }),
    );
    expect(f.headroom7d).toBeNull();
    expect(f.headroomUnbounded).toBe(true);
  });

  it('a flagged shop has no headroom (null, not unbounded)', () => {
    const f = forecastShop(input());
    expect(f.headroom7d).toBeNull();
    expect(f.headroomUnbounded).toBe(false);
    expect(f.flaggedToday).toBe(true);
  });
});
