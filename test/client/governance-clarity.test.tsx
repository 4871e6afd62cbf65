// @vitest-environment jsdom
// Issue 11 "Nobody is misled", the governance side: activation set beside its simulation (and loud when they
// differ), the policy version of each restriction, the audit log as sentences with a policy diff, the level
// changes in the timeline, the queue's notes (exempted, about to lift, not judged today), and shop search.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { compareActivation, PolicySimulator } from '../../client/features/governance/PolicySimulator';
import { AuditDetails, AuditLog, policyDiff } from '../../client/features/governance/AuditLog';
import { LevelTimeline, levelChanges } from '../../client/features/governance/LevelTimeline';
import { RowNote } from '../../client/features/governance/FlaggedQueue';
import { DecisionForm } from '../../client/features/governance/DecisionForm';
import { ShopSearch } from '../../client/features/governance/ShopSearch';
import { RestrictionVersions } from '../../client/features/governance/RestrictionVersions';
import { PeersChart } from '../../client/features/seller/PeersChart';
import { Audience } from '../../client/lib/components/Audience';
import { DEFAULT_POLICY } from '../../client/lib/policy';
import type { Activation, AuditEntry, History, Simulation } from '../../client/lib/queries';
import { renderWithClient, shopMetrics, stubFetch } from './helpers';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const SIMULATION: Simulation = {
  date: '2026-11-25',
  effectiveFrom: '2026-11-25',
  activatable: true,
  refusal: null,
  activeVersion: DEFAULT_POLICY.version,
  candidateVersion: 'x',
  categories: [
    { categoryId: '1001', categoryName: '女装', active: { warning: 4, restricted: 2, severe: 1 }, candidate: { warning: 9, restricted: 2, severe: 1 } },
    { categoryId: '1002', categoryName: '男装', active: { warning: 0, restricted: 0, severe: 0 }, candidate: { warning: 0, restricted: 0, severe: 0 } },
  ],
  changes: [{ shopId: 'S9', shopName: 'Nine', categoryId: '1001', from: 'none', to: 'warning', ratio: 4.2 }],
  ms: 12,
};

function activation(over: Partial<NonNullable<Activation['outcome']>> = {}): Activation {
  return {
    version: 'v2',
    effectiveFrom: '2026-11-25',
    changed: ['flagRatio'],
    previousVersion: DEFAULT_POLICY.version,
    outcome: {
      date: '2026-11-25',
      categories: [{ categoryId: '1001', categoryName: '女装', levels: { warning: 9, restricted: 2, severe: 1 } }],
      changes: [{ shopId: 'S9', shopName: 'Nine', categoryId: '1001', from: 'none', to: 'warning' }],
      ...over,
    },
  };
}

describe('1. activation beside its simulation', () => {
  it('agrees when the counts per level per category and the moved shops are the same (empty categories aside)', () => {
    const cmp = compareActivation(SIMULATION, activation());
    expect(cmp).toMatchObject({ reported: true, agree: true, onlyPredicted: [], onlyActual: [] });
    expect(cmp.categories.map((c) => c.categoryId)).toEqual(['1001']);
    expect(cmp.moved.map((c) => c.shopId)).toEqual(['S9']);
  });

  it('finds every difference: a count, a shop that did not move, a shop that moved unpredicted, an unreported outcome', () => {
    const cmp = compareActivation(
      SIMULATION,
      activation({
        categories: [{ categoryId: '1001', categoryName: '女装', levels: { warning: 8, restricted: 2, severe: 1 } }],
        changes: [{ shopId: 'S7', shopName: 'Seven', categoryId: '1001', from: 'warning', to: 'none' }],
      }),
    );
    expect(cmp.agree).toBe(false);
    expect(cmp.categories.find((c) => c.categoryId === '1001')!.agree).toBe(false);
    expect(cmp.onlyPredicted.map((c) => c.shopId)).toEqual(['S9']);
    expect(cmp.onlyActual.map((c) => c.shopId)).toEqual(['S7']);
    expect(compareActivation(SIMULATION, { version: 'v2', effectiveFrom: null, changed: [] })).toMatchObject({ reported: false, agree: false });
  });

  async function activate(answer: (body: { policy: { version: string }; date?: string }) => Activation, lang: 'en' | 'zh') {
    let active = DEFAULT_POLICY;
    const posts: { path: string; body: Record<string, unknown> }[] = [];
    const { fetchMock } = stubFetch((path) => {
      if (path === '/api/policy') return { body: { active, versions: [] } };
      const body = JSON.parse(fetchMock.mock.calls.at(-1)![1]!.body as string);
      posts.push({ path, body });
      if (path === '/api/policy/activate') {
        active = { ...DEFAULT_POLICY, version: body.policy.version };
        return { status: 201, body: answer(body) };
      }
      return { body: SIMULATION };
    });
    renderWithClient(<PolicySimulator date="2026-11-25" canActivate />, lang);
    await screen.findByTestId('simulation-table');
    fireEvent.change(screen.getByLabelText(lang === 'en' ? 'New version name' : '新版本名称'), { target: { value: 'v2' } });
    await waitFor(() => expect(screen.getByTestId<HTMLButtonElement>('activate-policy').disabled).toBe(false));
    fireEvent.click(screen.getByTestId('activate-policy'));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getAllByRole('button').at(-1)!);
    const report = await screen.findByTestId('activation-report');
    return { report, posts };
  }

  it('after activation shows what it did next to the prediction, and keeps it on screen (English)', async () => {
    const { report, posts } = await activate(() => activation(), 'en');
    expect(posts.find((p) => p.path === '/api/policy/activate')!.body).toMatchObject({ date: '2026-11-25', effectiveFrom: '2026-11-25' });
    expect(within(report).getByTestId('activation-done').textContent).toContain('Version v2 is active from Nov 25, 2026.');
    expect(within(report).getByTestId('activation-agrees').textContent).toBe(
      'Activation did what the simulation predicted on Nov 25, 2026: 1 shop moved, and every count per level and category agrees.',
    );
    expect(within(report).queryByRole('alert')).toBeNull();
    const row = within(report).getByTestId('activation-table').querySelector('tr[data-category-id="1001"]')!;
    expect(row.querySelector('td[data-level="warning"]')!.getAttribute('data-value')).toBe('9');
    expect(within(report).getByTestId('activation-moved').textContent).toContain('S9');
    // The form remounts on the new active version; the report stays until dismissed.
    await waitFor(() => expect(screen.getByText(/active policy v2/)).not.toBeNull());
    expect(screen.getByTestId('activation-report')).toBe(report);
    fireEvent.click(within(report).getByRole('button', { name: 'Close this report' }));
    expect(screen.queryByTestId('activation-report')).toBeNull();
  });

  it('says so loudly when activation did not do what was predicted (Chinese)', async () => {
    const { report } = await activate(
      () => activation({ categories: [{ categoryId: '1001', categoryName: '女装', levels: { warning: 8, restricted: 2, severe: 1 } }], changes: [] }),
      'zh',
    );
    const alert = within(report).getByRole('alert');
    expect(alert.textContent).toBe('启用结果与模拟预测不一致（2026年11月25日）：共 2 处差异，已在下方标出。查明原因之前请勿依赖这些级别。');
    expect(within(report).getByTestId('activation-unexpected').textContent).toContain('预测会变但未发生');
    expect(report.querySelector('tr[data-agree="false"]')).not.toBeNull();
  });
});

describe('3. the policy version of each restriction', () => {
  const restrictions = [
    { code: 'remove_resource_slots' as const, since: '2026-10-06', policyVersion: '2026.11-default', exemptUntil: '2026-12-31' },
    { code: 'remove_ads' as const, since: '2026-10-13', policyVersion: '2026.12-strict' },
  ];

  it('names the version beside each restriction, in both languages', () => {
    renderWithClient(<RestrictionVersions restrictions={restrictions} date="2026-11-25" testId="rv" />);
    const items = within(screen.getByTestId('rv')).getAllByRole('listitem');
    expect(items[0].textContent).toBe('slots removed since Oct 6, 2026, made under policy 2026.11-default exempted until Dec 31, 2026');
    expect(items[1].textContent).toBe('ads removed since Oct 13, 2026, made under policy 2026.12-strict');
    cleanup();
    renderWithClient(<RestrictionVersions restrictions={restrictions} date="2026-11-25" testId="rv" />, 'zh');
    expect(within(screen.getByTestId('rv')).getAllByRole('listitem')[1].textContent).toContain('依据规则 2026.12-strict');
  });

  it('names them in the decision confirmation', async () => {
    stubFetch(() => ({ status: 201, body: {} }));
    renderWithClient(<DecisionForm shopId="S1" shopName="One" date="2026-11-25" restrictions={restrictions} />);
    fireEvent.change(screen.getByLabelText('Reason'), { target: { value: 'rate is real' } });
    fireEvent.click(screen.getByRole('button', { name: 'Record decision…' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByTestId('confirm-restrictions').textContent).toContain('made under policy 2026.12-strict');
  });
});

const EXEMPT: AuditEntry = {
  id: 7,
  at: '2026-11-25T08:00:00Z',
  actor: 'alice@example.com',
  role: 'reviewer',
  action: 'decision.exempt',
  shopId: 'S00742',
  details: {
    decisionId: 3,
    reason: 'regional flood',
    until: '2026-12-31',
    stateDate: '2026-11-25',
    episodeStart: '2026-11-11',
    episodeLevel: 'restricted',
    numbers: {
      orders: 1234,
      interventions: 40,
      rate: 0.0324,
      categoryMean: 0.005,
      ratio: 6.48,
      level: 'restricted',
      consecutiveFlaggedDays: 9,
      policyVersion: '2026.11-default',
    },
  },
};
const ACTIVATED: AuditEntry = {
  id: 8,
  at: '2026-11-26T08:00:00Z',
  actor: 'admin:wang',
  role: 'admin',
  action: 'policy.activated',
  shopId: null,
  details: {
    version: '2026.12-strict',
    effectiveFrom: '2026-11-20',
    changed: ['flagRatio', 'lift'],
    policy: { ...DEFAULT_POLICY, version: '2026.12-strict', flagRatio: 4, lift: { afterUnflaggedDays: 10 } },
    previous: DEFAULT_POLICY,
  },
};

describe('6. the audit log as sentences', () => {
  it('a decision: who did what to which shop, with the numbers of that moment formatted (English)', () => {
    renderWithClient(<AuditDetails entry={EXEMPT} />);
    const text = screen.getByTestId('audit-sentences').textContent;
    expect(text).toContain('alice@example.com exempted S00742 from its restrictions until Dec 31, 2026.');
    expect(text).toContain('The restriction episode that began on Nov 11, 2026 (level Restricted).');
    expect(text).toContain('1,234 orders, 40 intervention orders, rate 3.24%, category mean 0.50%, ratio 6.4×');
    expect(text).toContain('Reason: regional flood');
    expect(text).not.toMatch(/[{}"]/);
  });

  it('a decision in Chinese', () => {
    renderWithClient(<AuditDetails entry={EXEMPT} />, 'zh');
    const text = screen.getByTestId('audit-sentences').textContent;
    expect(text).toContain('alice@example.com 豁免了 S00742 的限制，至 2026年12月31日。');
    expect(text).toContain('理由： regional flood');
  });

  it('a claim: of a shop nobody had, without an empty "it had"; of a shop someone had, naming them', () => {
    const claim = (from: { state: string; assignee: string | null }): AuditEntry => ({
      id: 9,
      at: '2026-11-25T09:00:00Z',
      actor: 'bob@example.com',
      role: 'reviewer',
      action: 'review.claim',
      shopId: 'S00742',
      details: { enteredOn: '2026-11-10', stateDate: '2026-11-25', from, to: { state: 'in_review', assignee: 'bob@example.com' } },
    });
    renderWithClient(<AuditDetails entry={claim({ state: 'new', assignee: null })} />);
    expect(screen.getByTestId('audit-sentences').textContent).toBe('bob@example.com claimed S00742 in the queue.Queue entry since Nov 10, 2026.');
    cleanup();
    renderWithClient(<AuditDetails entry={claim({ state: 'in_review', assignee: 'alice@example.com' })} />);
    expect(screen.getByTestId('audit-sentences').textContent).toContain('bob@example.com claimed S00742 in the queue (it had: alice@example.com).');
    cleanup();
    renderWithClient(<AuditDetails entry={claim({ state: 'new', assignee: null })} />, 'zh');
    expect(screen.getByTestId('audit-sentences').textContent).toContain('bob@example.com 在队列中认领了 S00742。');
  });

  it('a policy change as a diff of the settings that changed, in both languages', () => {
    expect(policyDiff(DEFAULT_POLICY, ACTIVATED.details.policy as typeof DEFAULT_POLICY).map(([f]) => f)).toEqual(['flagRatio', 'liftAfter']);
    renderWithClient(<AuditDetails entry={ACTIVATED} />);
    expect(screen.getByTestId('audit-sentences').textContent).toContain(
      `admin:wang activated policy version 2026.12-strict from Nov 20, 2026, replacing ${DEFAULT_POLICY.version}.`,
    );
    const rows = within(screen.getByTestId('policy-diff')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['Flag ratio (× category mean)5×4×', 'Lift after (unflagged days)7 days10 days']);
    cleanup();
    renderWithClient(<AuditDetails entry={ACTIVATED} />, 'zh');
    const zhRows = within(screen.getByTestId('policy-diff')).getAllByRole('row').slice(1);
    expect(zhRows.map((r) => r.textContent)).toEqual(['超标倍数（× 类目均值）5×4×', '连续未超标几天后解除7 天10 天']);
  });

  it('the action filter offers the actions by name', async () => {
    stubFetch(() => ({ body: { total: 0, items: [] } }));
    renderWithClient(<AuditLog />);
    const select = screen.getByTestId<HTMLSelectElement>('audit-filter-action');
    const labels = [...select.options].map((o) => o.textContent);
    expect(labels).toContain('Policy activated');
    expect(labels).toContain('Decision: exempted');
    expect(labels[0]).toBe('Any action');
    expect(labels.join(' ')).not.toContain('decision.exempt');
  });
});

describe('6. automatic level changes in the timeline', () => {
  const history: History = {
    shopId: 'S1',
    periods: [
      { level: 'none', from: '2026-09-01', to: '2026-09-29' },
      { level: 'warning', from: '2026-09-30', to: '2026-10-05' },
      { level: 'restricted', from: '2026-10-06', to: '2026-10-20' },
      { level: 'none', from: '2026-10-21', to: '2026-11-25' },
    ],
    episodes: [
      {
        level: 'restricted',
        codes: ['remove_resource_slots', 'ban_resource_slots'],
        start: '2026-10-06',
        end: '2026-10-21',
        orders: 60,
        interventions: 3,
        rate: 0.05,
        categoryMean: 0.004,
        ratio: 12.5,
        flaggedDays: 7,
        policyVersion: '2026.11-default',
      },
    ],
    decisions: [
      { id: 1, shopId: 'S1', action: 'confirm', reason: 'rate is real', until: null, episodeStart: '2026-10-06', actor: 'alice', at: '2026-10-07T08:00:00Z' },
    ],
  };

  it('lists the days the level changed', async () => {
    expect(levelChanges(history.periods).map((c) => `${c.date} ${c.from}>${c.to}`)).toEqual([
      '2026-09-30 none>warning',
      '2026-10-06 warning>restricted',
      '2026-10-21 restricted>none',
    ]);
    stubFetch(() => ({ body: history }));
    renderWithClient(<LevelTimeline shopId="S1" />);
    const list = await screen.findByTestId('level-changes');
    expect(within(list).getAllByRole('listitem')[1].textContent).toBe('Oct 6, 2026: Warning → Restricted (automatic)');
    // The episodes table and the decisions name the version that made the restriction.
    expect(screen.getByTestId('episode-policy-version').textContent).toBe('2026.11-default');
    expect(screen.getByTestId('decision-list').textContent).toContain('restriction made under policy 2026.11-default');
  });
});

describe('8. the queue says why a row is there and what comes next', () => {
  it('an exempted shop, one about to lift, one below the floors (English)', () => {
    const exempted = shopMetrics('S1', {
      level: 'restricted',
      restrictions: [{ code: 'remove_resource_slots', since: '2026-11-18', exemptUntil: '2026-12-31' }],
    });
    const { unmount } = renderWithClient(<RowNote metrics={exempted} policy={DEFAULT_POLICY} />);
    expect(screen.getByTestId('row-note').textContent).toBe('Exempted until Dec 31, 2026');
    unmount();
    const lifting = shopMetrics('S2', { level: 'restricted', flagged: false, consecutiveFlaggedDays: 0, unflaggedDays: 5 });
    renderWithClient(<RowNote metrics={lifting} policy={DEFAULT_POLICY} />);
    expect(screen.getByTestId('row-note').textContent).toBe('Lifts in 2 days if it stays under the threshold');
    cleanup();
    const below = shopMetrics('S3', { level: 'restricted', judged: false, flagged: false, orders: 25, interventions: 2, unflaggedDays: 6 });
    renderWithClient(<RowNote metrics={below} policy={DEFAULT_POLICY} />);
    const notes = [...screen.getByTestId('row-note').children].map((n) => n.textContent);
    expect(notes).toEqual([
      'Not judged today (5 orders short of 30; 1 intervention orders short of 3); listed because the level stays until 7 unflagged days in a row.',
      'Lifts tomorrow if it stays under the threshold',
    ]);
  });

  it('in Chinese', () => {
    const below = shopMetrics('S3', { level: 'severe', judged: false, flagged: false, orders: 25, interventions: 5, unflaggedDays: 3 });
    renderWithClient(<RowNote metrics={below} policy={DEFAULT_POLICY} />, 'zh');
    const notes = [...screen.getByTestId('row-note').children].map((n) => n.textContent);
    expect(notes).toEqual(['今日不参与判定（订单数比 30 少 5）；仍在列表中，因为级别要到连续 7 天未超标才解除。', '若保持在阈值以下，4 天后解除']);
  });
});

describe('10. shop search', () => {
  const results = (q: string) => ({
    q,
    items:
      q.toLowerCase() === 'zz'
        ? []
        : [
            { shopId: 'S00742', shopName: '优品女装店', categoryId: '1001', categoryName: '女装', level: 'restricted', match: 'id_prefix' },
            { shopId: 'S00743', shopName: '好物家居', categoryId: '1002', categoryName: '家居', level: 'none', match: 'id_prefix' },
          ],
  });

  it('suggests shops as you type and opens the chosen one (English)', async () => {
    const { calls } = stubFetch((_path, url) => ({ body: results(url.searchParams.get('q')!) }));
    renderWithClient(<ShopSearch />);
    fireEvent.change(screen.getByTestId('open-shop-input'), { target: { value: 's0074' } });
    const list = await screen.findByTestId('shop-suggestions');
    expect(calls.at(-1)!.pathname).toBe('/api/shops');
    expect(calls.at(-1)!.searchParams.get('q')).toBe('s0074');
    expect(within(list).getAllByRole('button')[0].textContent).toContain('S00742 优品女装店');
    fireEvent.click(within(list).getAllByRole('button')[0]);
    expect(new URLSearchParams(window.location.search).get('shop')).toBe('S00742');
  });

  it('one clear message for a miss, in both languages', async () => {
    stubFetch((_path, url) => ({ body: results(url.searchParams.get('q')!) }));
    renderWithClient(<ShopSearch />);
    fireEvent.change(screen.getByTestId('open-shop-input'), { target: { value: 'zz' } });
    expect((await screen.findByTestId('shop-search-miss')).textContent).toBe('No shop matches “zz”. Check the id (any case) or type part of the name.');
    cleanup();
    renderWithClient(<ShopSearch />, 'zh');
    fireEvent.change(screen.getByTestId('open-shop-input'), { target: { value: 'zz' } });
    expect((await screen.findByTestId('shop-search-miss')).textContent).toBe('没有与“zz”匹配的店铺。请核对店铺 ID（不区分大小写）或输入名称的一部分。');
  });
});

describe('9. peers worded for a reviewer', () => {
  // 4 judged shops, the shop among them, 3 below it: "higher than 75% of the 4" (never "100% of 4").
  const peers = {
    shopId: 'S1',
    categoryId: '1001',
    date: '2026-11-25',
    judgedShops: 4,
    categoryMean: 0.02,
    median: 0.02,
    p90: 0.05,
    buckets: [{ from: 0, to: 0.06, shops: 4 }],
    shopRate: 0.06,
    percentile: 0.75,
  };

  it('says "this shop" to a reviewer and "your" to a seller, in both languages', async () => {
    stubFetch(() => ({ body: peers }));
    renderWithClient(
      <Audience value="reviewer">
        <PeersChart shopId="S1" date="2026-11-25" />
      </Audience>,
    );
    expect((await screen.findByTestId('peers-percentile')).textContent).toBe(
      'This shop’s rate is higher than 75% of the 4 judged shops of its category (itself included when judged).',
    );
    cleanup();
    renderWithClient(
      <Audience value="reviewer">
        <PeersChart shopId="S1" date="2026-11-25" />
      </Audience>,
      'zh',
    );
    expect((await screen.findByTestId('peers-percentile')).textContent).toBe('该店的介入率高于本类目 4 家参与判定店铺中的 75%（该店参与判定时也计入其中）。');
    cleanup();
    renderWithClient(<PeersChart shopId="S1" date="2026-11-25" />);
    expect((await screen.findByTestId('peers-percentile')).textContent).toBe('Your rate is higher than 75% of the 4 judged shops.');
  });
});
