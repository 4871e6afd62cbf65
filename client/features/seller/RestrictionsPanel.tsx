// What is restricted, since when, under which policy, and when it ends.
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useForecast, type Policy, type ShopMetrics } from '../../lib/queries';
import { AppealPanel } from './AppealPanel';

export function RestrictionsPanel({ metrics, policy, canAppeal }: { metrics: ShopMetrics; policy: Policy; canAppeal: boolean }) {
  const { t } = useTranslation();
  const lang = useLang();
  const forecast = useForecast(metrics.shopId, metrics.date);
  if (metrics.restrictions.length === 0) return null;

  return (
    <Section title={t('restrictions.title')} className="panel-alert" testId="restrictions">
      <p>
        <LevelBadge level={metrics.level} /> {t('restrictions.policyVersion', { version: metrics.policyVersion })}
      </p>
      <ul className="restriction-list">
        {metrics.restrictions.map((restriction) => (
          <li key={restriction.code}>
            <strong>{t(`restriction.${restriction.code}`)}</strong>
            <span className="muted"> · {t('restrictions.since', { date: formatDate(restriction.since, lang) })}</span>
            {restriction.exemptUntil && (
              <>
                {' '}
                <span className="pill pill-accepted" data-testid="exempt-until" data-value={restriction.exemptUntil}>
                  {t('restrictions.exemptUntil', { date: formatDate(restriction.exemptUntil, lang) })}
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
      <p>{t('restrictions.liftRule', { days: policy.lift.afterUnflaggedDays })}</p>
      <p data-testid="forecast-lift">
        {forecast.isPending
          ? t('state.loading')
          : forecast.isError
            ? t('restrictions.forecastUnavailable')
            : forecast.data.liftOn
              ? t('restrictions.liftOn', { date: formatDate(forecast.data.liftOn, lang), orders: formatNumber(forecast.data.assumptions.dailyOrders, lang, 1) })
              : t('restrictions.liftNotSoon')}
      </p>
      {canAppeal && <AppealPanel shopId={metrics.shopId} />}
    </Section>
  );
}
