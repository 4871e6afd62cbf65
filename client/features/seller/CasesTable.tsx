// The cases behind the count, soonest to leave the window first: a seller sees when each stops counting.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../lib/format';
import { useLang, useReasonLabel } from '../../lib/i18n';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { useCases, type Cases } from '../../lib/queries';

/** Why a case does not count, or "yes". */
function countedLabel(
  c: Cases['cases'][number],
  t: (key: string, options?: Record<string, unknown>) => string,
  reasonLabel: (reason: string | null) => string,
): string {
  if (c.counted) return t('common.yes');
  if (c.excluded) return t('cases.excludedBecause', { reason: reasonLabel(c.exclusionReason) });
  if (c.notCountedBecause === 'order_missing') return t('cases.orderMissing');
  return t('common.no');
}

function CaseRows({ cases, showAll, byPaidDay }: { cases: Cases['cases']; showAll: boolean; byPaidDay: boolean }) {
  const { t } = useTranslation();
  const lang = useLang();
  const reasonLabel = useReasonLabel();
  const rows = (showAll ? cases : cases.filter((c) => c.counted))
    .slice()
    .sort((a, b) => a.leavesWindowOn.localeCompare(b.leavesWindowOn) || a.caseId.localeCompare(b.caseId));
  if (rows.length === 0) return <p className="state state-empty">{t('cases.noneCounted')}</p>;
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
            <tr key={c.caseId} className={c.counted ? undefined : 'row-muted'}>
              <td className="mono">{c.caseId}</td>
              <td className="mono">{c.orderId}</td>
              <td>{t(`cases.kinds.${c.kind}`)}</td>
              <td>{reasonLabel(c.reason)}</td>
              <td>{formatDate(c.openedDay, lang)}</td>
              {byPaidDay && <td>{formatDate(c.countsOn, lang)}</td>}
              <td>
                {t(`cases.statuses.${c.status}`)}
                {c.outcome ? ` · ${t(`cases.outcomes.${c.outcome}`, { defaultValue: c.outcome })}` : ''}
              </td>
              <td>{countedLabel(c, t, reasonLabel)}</td>
              <td>{formatDate(c.leavesWindowOn, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function CasesTable({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const cases = useCases(shopId, date);
  const [showAll, setShowAll] = useState(false);
  const toggleId = useId();
  const counted = cases.data?.cases.filter((c) => c.counted).length ?? 0;
  return (
    <Section
      title={t('cases.title')}
      actions={
        <label htmlFor={toggleId} className="inline-check">
          <input id={toggleId} type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> {t('cases.showAll')}
        </label>
      }
    >
      <QueryState query={cases} isEmpty={(data) => data.cases.length === 0} empty={t('cases.empty')}>
        {(data) => (
          <>
            <p className="muted">
              {t(data.countBasis === 'order_paid' ? 'cases.summaryPaid' : 'cases.summary', {
                counted: formatNumber(counted, lang),
                total: formatNumber(data.cases.length, lang),
                from: formatDate(data.window.from, lang),
                to: formatDate(data.window.to, lang),
              })}
            </p>
            <CaseRows cases={data.cases} showAll={showAll} byPaidDay={data.countBasis === 'order_paid'} />
          </>
        )}
      </QueryState>
    </Section>
  );
}
