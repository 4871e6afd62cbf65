// The case drawer: one case as evidence — its order (paid time, amount, goods), its timeline as the data records
// it, and why it counts on the stat date or not, in words. A modal dialog (WAI-ARIA pattern): focus moves in,
// Tab stays inside, Escape closes, focus returns to the case that opened it. Sellers (their own shops) and
// reviewers see the same.
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatDateTime, localeOf, type Lang } from '../../lib/format';
import { useLang, useReasonLabel } from '../../lib/i18n';
import { QueryState } from '../../lib/components/QueryState';
import { useModal } from '../../lib/components/use-modal';
import { useCaseDetail, type CaseDetail } from '../../lib/queries';

/** An amount in CNY with its two decimals (19.90, not 19.9). */
function formatAmount(amount: number | null, lang: Lang): string {
  return amount === null ? '—' : `¥${new Intl.NumberFormat(localeOf(lang), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount)}`;
}

function WhyText({ detail }: { detail: CaseDetail }) {
  const { t } = useTranslation();
  const lang = useLang();
  const reasonLabel = useReasonLabel();
  const w = detail.why;
  const day = (d: string | null | undefined) => formatDate(d, lang);
  return (
    <div data-testid="case-why" data-why={w.reason}>
      <p>
        <strong>
          {t(`evidence.reason.${w.reason}`, {
            date: day(detail.date),
            from: day(detail.window.from),
            to: day(detail.window.to),
            other: w.sameOrderAs ?? '',
            reason: reasonLabel(detail.case.exclusionReason),
            countsOn: day(w.countsOn),
          })}
        </strong>
      </p>
      {w.countedDays && w.reason !== 'same_order_counted' && (
        <p className="muted">{t('evidence.countedDays', { from: day(w.countedDays.from), to: day(w.countedDays.to), countsOn: day(w.countsOn) })}</p>
      )}
    </div>
  );
}

function Body({ detail }: { detail: CaseDetail }) {
  const { t } = useTranslation();
  const lang = useLang();
  const reasonLabel = useReasonLabel();
  const o = detail.order;
  const value = (e: CaseDetail['timeline'][number]) => {
    if (e.event === 'status') return t(`cases.statuses.${e.value}`, { defaultValue: e.value ?? '' });
    if (e.event === 'outcome') return t(`cases.outcomes.${e.value}`, { defaultValue: e.value ?? '' });
    return reasonLabel(e.value);
  };
  return (
    <>
      <h3>{t('evidence.why', { date: formatDate(detail.date, lang) })}</h3>
      <WhyText detail={detail} />
      <h3>{t('evidence.order')}</h3>
      {o.known ? (
        <dl className="case-order" data-testid="case-order" style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '0.25rem 1rem', margin: 0 }}>
          <dt>{t('evidence.orderId')}</dt>
          <dd className="mono" style={{ margin: 0 }}>
            {o.orderId}
          </dd>
          <dt>{t('evidence.paidAt')}</dt>
          <dd style={{ margin: 0 }}>{formatDateTime(o.paidAt, lang)}</dd>
          <dt>{t('evidence.amount')}</dt>
          <dd data-testid="case-amount" style={{ margin: 0 }}>
            {formatAmount(o.amount, lang)}
          </dd>
          <dt>{t('evidence.goods')}</dt>
          <dd style={{ margin: 0 }}>{o.goodsId ? `${o.goodsName ?? o.goodsId} (${o.goodsId})` : '—'}</dd>
        </dl>
      ) : (
        <p data-testid="case-order">
          <span className="mono">{o.orderId}</span> — {t('evidence.orderMissing')}
        </p>
      )}
      <h3>{t('evidence.timeline')}</h3>
      <ol className="case-timeline" data-testid="case-timeline">
        {detail.timeline.map((e, i) => (
          <li key={`${e.event}-${i}`} data-event={e.event}>
            {e.at ? <time dateTime={e.at}>{formatDateTime(e.at, lang)}</time> : e.day ? <time dateTime={e.day}>{formatDate(e.day, lang)}</time> : null}
            {(e.at || e.day) && ' — '}
            {t(`evidence.event.${e.event}`, { value: value(e) })}
          </li>
        ))}
      </ol>
      <p className="muted">{t('evidence.asOf', { time: formatDateTime(detail.dataAsOf, lang) })}</p>
      {detail.otherCases.length > 0 && (
        <>
          <h3>{t('evidence.otherCases')}</h3>
          <ul data-testid="case-others">
            {detail.otherCases.map((c) => (
              <li key={c.caseId}>
                {t('evidence.otherCase', {
                  caseId: c.caseId,
                  kind: t(`cases.kinds.${c.kind}`),
                  date: formatDate(c.openedDay, lang),
                  why: t(`evidence.whyShort.${c.why}`),
                })}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

export function CaseDrawer({ shopId, caseId, date, onClose }: { shopId: string; caseId: string; date: string; onClose: () => void }) {
  const { t } = useTranslation();
  const detail = useCaseDetail(shopId, caseId, date);
  const titleId = useId();
  const { ref, onKeyDown } = useModal<HTMLDivElement>(onClose);

  return (
    // The backdrop's click is a mouse shortcut for Close (keyboards have Escape and the Close button).
    // eslint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="dialog-backdrop" style={{ justifyContent: 'flex-end', padding: 0 }} onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      {/* eslint-disable-next-line jsx-a11y/no-noninteractive-element-interactions */}
      <div
        className="dialog case-drawer"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        ref={ref}
        onKeyDown={onKeyDown}
        data-testid="case-drawer"
        style={{ maxWidth: '36rem', height: '100%', overflowY: 'auto', borderRadius: 0 }}
      >
        <div className="panel-head">
          <h2 id={titleId}>{t('evidence.title', { caseId })}</h2>
          <button type="button" className="button" onClick={onClose} data-testid="case-drawer-close">
            {t('evidence.close')}
          </button>
        </div>
        <QueryState query={detail}>{(data) => <Body detail={data} />}</QueryState>
      </div>
    </div>
  );
}
