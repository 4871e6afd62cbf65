// The cases behind the count, soonest to leave the window first: what counts and why, a summary that adds
// up to the headline (distinct intervention orders = the headline number), and filters by kind, by whether
// a case counts and by reason (kept in the address; by default the counted intervention cases).
import { useId, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../lib/format';
import { useLang, useReasonLabel } from '../../lib/i18n';
import { oneOf, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { useCases, type Cases } from '../../lib/queries';
import { CaseDrawer } from './CaseDrawer';

type Case = Cases['cases'][number];
const KINDS = ['all', 'intervention', 'complaint'] as const;
const COUNTED = ['all', 'yes', 'no'] as const;

export interface CaseSummary {
  /** Distinct orders with a counted intervention case: the headline number K. */
  interventionOrders: number;
  interventionCases: number;
  /** Distinct orders with a counted complaint case (the headline's complaints). */
  complaintOrders: number;
  complaintCases: number;
  excluded: number;
  orderMissing: number;
}

/** The counts of the list, as the metric engine counts them (DESIGN §3): orders, not cases. */
export function summarize(cases: readonly Case[]): CaseSummary {
  const interventionOrders = new Set<string>();
  const complaintOrders = new Set<string>();
  const summary: CaseSummary = { interventionOrders: 0, interventionCases: 0, complaintOrders: 0, complaintCases: 0, excluded: 0, orderMissing: 0 };
  for (const c of cases) {
    if (c.counted && c.kind === 'intervention') {
      interventionOrders.add(c.orderId);
      summary.interventionCases++;
    } else if (c.counted) {
      complaintOrders.add(c.orderId);
      summary.complaintCases++;
    } else if (c.excluded) summary.excluded++;
    else summary.orderMissing++;
  }
  return { ...summary, interventionOrders: interventionOrders.size, complaintOrders: complaintOrders.size };
}

/** For each counted case whose order an earlier-listed counted case of the same kind already counts: that case's id. */
function sameOrderAs(cases: readonly Case[]): Map<string, string> {
  const first = new Map<string, string>();
  const out = new Map<string, string>();
  const ordered = cases
    .filter((c) => c.counted)
    .sort((a, b) => (a.countsOn ?? a.openedDay).localeCompare(b.countsOn ?? b.openedDay) || a.caseId.localeCompare(b.caseId));
  for (const c of ordered) {
    const key = `${c.kind}|${c.orderId}`;
    const seen = first.get(key);
    if (seen) out.set(c.caseId, seen);
    else first.set(key, c.caseId);
  }
  return out;
}

/** Whether and where a case counts, and why not. */
function CountedCell({ c, duplicateOf }: { c: Case; duplicateOf: string | undefined }) {
  const { t } = useTranslation();
  const reasonLabel = useReasonLabel();
  if (c.excluded) return <>{t('cases.excludedBecause', { reason: reasonLabel(c.exclusionReason) })}</>;
  if (!c.counted) return <>{t(c.notCountedBecause === 'order_missing' ? 'cases.orderMissing' : 'common.no')}</>;
  const base = c.kind === 'intervention' ? t('casesHelp.cell.inRate') : t('casesHelp.cell.complaint');
  return (
    <>
      {base}
      {duplicateOf && <span className="muted"> · {t('casesHelp.cell.sameOrder', { caseId: duplicateOf })}</span>}
    </>
  );
}

function Explanation({ data }: { data: Cases }) {
  const { t } = useTranslation();
  const lang = useLang();
  const from = formatDate(data.window.from, lang);
  const to = formatDate(data.window.to, lang);
  return (
    <details className="cases-help" data-testid="cases-help" open>
      <summary>{t('casesHelp.title')}</summary>
      <ul>
        <li>{t(data.countBasis === 'order_paid' ? 'casesHelp.windowPaid' : 'casesHelp.window', { from, to })}</li>
        <li>{t('casesHelp.statuses')}</li>
        <li>{t('casesHelp.onceper')}</li>
        <li>{t('casesHelp.complaints')}</li>
        <li>{t('casesHelp.excluded')}</li>
        {data.countBasis === 'order_paid' && <li>{t('casesHelp.orderMissing')}</li>}
        <li>{t('casesHelp.outside', { from })}</li>
      </ul>
    </details>
  );
}

function Summary({ summary, headline }: { summary: CaseSummary; headline: number | undefined }) {
  const { t } = useTranslation();
  const lang = useLang();
  const n = (value: number) => formatNumber(value, lang);
  return (
    <dl className="cases-summary" data-testid="cases-summary" data-intervention-orders={summary.interventionOrders}>
      <div>
        <dt>{t('casesHelp.sum.interventionOrders')}</dt>
        <dd>
          <strong>{n(summary.interventionOrders)}</strong>{' '}
          <span className="muted">{t('casesHelp.sum.fromCases', { count: summary.interventionCases, cases: n(summary.interventionCases) })}</span>
          {headline !== undefined && (
            <span className={headline === summary.interventionOrders ? 'field-ok' : 'field-error'} data-testid="cases-matches-headline">
              {' '}
              {headline === summary.interventionOrders ? t('casesHelp.sum.matches') : t('casesHelp.sum.differs', { headline: n(headline) })}
            </span>
          )}
        </dd>
      </div>
      <div>
        <dt>{t('casesHelp.sum.complaintOrders')}</dt>
        <dd>
          <strong>{n(summary.complaintOrders)}</strong>{' '}
          <span className="muted">{t('casesHelp.sum.fromCases', { count: summary.complaintCases, cases: n(summary.complaintCases) })}</span>
        </dd>
      </div>
      <div>
        <dt>{t('casesHelp.sum.notCounted')}</dt>
        <dd>
          <strong>{n(summary.excluded + summary.orderMissing)}</strong>{' '}
          <span className="muted">{t('casesHelp.sum.notCountedParts', { excluded: n(summary.excluded), missing: n(summary.orderMissing) })}</span>
        </dd>
      </div>
    </dl>
  );
}

function Filters({ reasons }: { reasons: string[] }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const reasonLabel = useReasonLabel();
  const kindId = useId();
  const countedId = useId();
  const reasonId = useId();
  const kind = oneOf(url.get('caseKind'), KINDS, 'intervention');
  const counted = oneOf(url.get('caseCounted'), COUNTED, 'yes');
  const reason = url.get('caseReason') ?? '';
  return (
    <div className="filters cases-filters" role="group" aria-label={t('casesHelp.filter.label')}>
      <div className="field-inline">
        <label htmlFor={kindId}>{t('cases.kind')}</label>
        <select
          id={kindId}
          data-testid="cases-filter-kind"
          value={kind}
          onChange={(e) => url.set({ caseKind: e.target.value === 'intervention' ? null : e.target.value })}
        >
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k === 'all' ? t('casesHelp.filter.all') : t(`cases.kinds.${k}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field-inline">
        <label htmlFor={countedId}>{t('cases.counted')}</label>
        <select
          id={countedId}
          data-testid="cases-filter-counted"
          value={counted}
          onChange={(e) => url.set({ caseCounted: e.target.value === 'yes' ? null : e.target.value })}
        >
          {COUNTED.map((k) => (
            <option key={k} value={k}>
              {t(`casesHelp.filter.counted.${k}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field-inline">
        <label htmlFor={reasonId}>{t('cases.reason')}</label>
        <select id={reasonId} data-testid="cases-filter-reason" value={reason} onChange={(e) => url.set({ caseReason: e.target.value || null })}>
          <option value="">{t('casesHelp.filter.all')}</option>
          {reasons.map((r) => (
            <option key={r} value={r}>
              {reasonLabel(r)}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

function CaseRows({ cases, all, byPaidDay, onOpen }: { cases: Case[]; all: Case[]; byPaidDay: boolean; onOpen: (caseId: string) => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const reasonLabel = useReasonLabel();
  const duplicates = useMemo(() => sameOrderAs(all), [all]);
  const rows = cases.slice().sort((a, b) => a.leavesWindowOn.localeCompare(b.leavesWindowOn) || a.caseId.localeCompare(b.caseId));
  if (rows.length === 0) return <p className="state state-empty">{t('casesHelp.noneMatch')}</p>;
  return (
    <TableScroll label={t('cases.title')}>
      <table className="table" data-testid="cases-table">
        <thead>
          <tr>
            <th scope="col">{t('cases.case')}</th>
            <th scope="col">{t('cases.order')}</th>
            <th scope="col">{t('cases.kind')}</th>
            <th scope="col">{t('cases.reason')}</th>
            <th scope="col">{t('cases.opened')}</th>
            {byPaidDay && <th scope="col">{t('cases.countsOn')}</th>}
            <th scope="col">{t('cases.status')}</th>
            <th scope="col">{t('cases.counted')}</th>
            <th scope="col">{t('cases.leaves')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.caseId} className={c.counted ? undefined : 'row-muted'} data-case-id={c.caseId} data-kind={c.kind} data-counted={String(c.counted)}>
              <td className="mono">
                {/* Opens the case drawer: the order, the timeline and why it counts or not. */}
                <button
                  type="button"
                  className="case-link mono"
                  style={{ background: 'none', border: 0, padding: 0, font: 'inherit', color: 'var(--accent)', textDecoration: 'underline', cursor: 'pointer' }}
                  aria-label={t('evidence.open', { caseId: c.caseId })}
                  onClick={() => onOpen(c.caseId)}
                  data-testid={`case-open-${c.caseId}`}
                >
                  {c.caseId}
                </button>
              </td>
              <td className="mono">{c.orderId}</td>
              <td>{t(`cases.kinds.${c.kind}`)}</td>
              <td>{reasonLabel(c.reason)}</td>
              <td>{formatDate(c.openedDay, lang)}</td>
              {byPaidDay && <td>{formatDate(c.countsOn, lang)}</td>}
              <td>
                {t(`cases.statuses.${c.status}`)}
                {c.outcome ? ` · ${t(`cases.outcomes.${c.outcome}`, { defaultValue: c.outcome })}` : ''}
              </td>
              <td>
                <CountedCell c={c} duplicateOf={duplicates.get(c.caseId)} />
              </td>
              <td>{c.counted ? formatDate(c.leavesWindowOn, lang) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/**
 * `headline`: the headline's intervention orders, to show that the summary adds up to it. By default the
 * counted intervention cases show; the check box (or the filters) show complaints and uncounted cases too.
 */
export function CasesTable({ shopId, date, headline }: { shopId: string; date: string; headline?: number }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const cases = useCases(shopId, date);
  const toggleId = useId();
  const kind = oneOf(url.get('caseKind'), KINDS, 'intervention');
  const counted = oneOf(url.get('caseCounted'), COUNTED, 'yes');
  const reason = url.get('caseReason') ?? '';
  // From the goods panel: the cases of one goods' orders.
  const goods = url.get('caseGoods') ?? '';
  // The case drawer's case, in the address (a link can open it; Back closes it).
  const openCase = url.get('case');
  return (
    <Section
      title={t('cases.title')}
      testId="cases"
      actions={
        <label htmlFor={toggleId} className="inline-check">
          <input
            id={toggleId}
            type="checkbox"
            data-testid="cases-show-all"
            checked={kind !== 'intervention' || counted !== 'yes'}
            onChange={(e) => url.set(e.target.checked ? { caseKind: 'all', caseCounted: 'all' } : { caseKind: null, caseCounted: null, caseReason: null })}
          />{' '}
          {t('cases.showAll')}
        </label>
      }
    >
      <QueryState query={cases} isEmpty={(data) => data.cases.length === 0} empty={t('cases.empty')}>
        {(data) => {
          const reasons = [...new Set(data.cases.map((c) => c.reason).filter((r): r is string => !!r))].sort();
          const shown = data.cases.filter(
            (c) =>
              (kind === 'all' || c.kind === kind) &&
              (counted === 'all' || c.counted === (counted === 'yes')) &&
              (!reason || c.reason === reason) &&
              (!goods || c.goodsId === goods),
          );
          return (
            <>
              <p className="muted">
                {t(data.countBasis === 'order_paid' ? 'cases.summaryPaid' : 'cases.summary', {
                  counted: formatNumber(data.cases.filter((c) => c.counted).length, lang),
                  total: formatNumber(data.cases.length, lang),
                  from: formatDate(data.window.from, lang),
                  to: formatDate(data.window.to, lang),
                })}
              </p>
              <Summary summary={summarize(data.cases)} headline={headline} />
              <Explanation data={data} />
              <Filters reasons={reasons} />
              {goods && (
                <p className="notice notice-info" data-testid="cases-goods-filter">
                  {t('cases.goodsFilter', { goods })}{' '}
                  <button type="button" className="button" onClick={() => url.set({ caseGoods: null })}>
                    {t('cases.goodsFilterClear')}
                  </button>
                </p>
              )}
              <p className="muted" data-testid="cases-shown" data-shown={shown.length}>
                {t('casesHelp.shown', { shown: shown.length, total: data.cases.length })}
              </p>
              <CaseRows cases={shown} all={data.cases} byPaidDay={data.countBasis === 'order_paid'} onOpen={(caseId) => url.set({ case: caseId })} />
              {openCase && <CaseDrawer shopId={shopId} caseId={openCase} date={date} onClose={() => url.set({ case: null })} />}
            </>
          );
        }}
      </QueryState>
    </Section>
  );
}
