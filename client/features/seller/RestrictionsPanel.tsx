// What is restricted, since when, under which policy, and when it ends — and, after an early lift or under
// an exemption, when restrictions return if nothing changes (both the seller and the reviewer see it).
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useForecast, type Policy, type ShopMetrics } from '../../lib/queries';
import { ReturnsNotice } from './ReturnsNotice';

export function RestrictionsPanel({ metrics, policy }: { metrics: ShopMetrics; policy: Policy }) {
  const { t } = useTranslation();
  const lang = useLang();
  const forecast = useForecast(metrics.shopId, metrics.date);
  const returns = forecast.data?.returns ?? null;
  if (metrics.restrictions.length === 0) {
    // Lifted early (or an accepted appeal) while still flagged: say when they come back.
    if (!returns) return null;
    return (
      <Section title={t('returns.sectionTitle')} className="panel-alert" testId="restrictions">
        <ReturnsNotice returns={returns} flaggedToday={metrics.flagged} />
      </Section>
    );
  }

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
      {returns && <ReturnsNotice returns={returns} flaggedToday={metrics.flagged} />}
      <p>{t('restrictions.liftRule', { days: policy.lift.afterUnflaggedDays })}</p>
      <p data-testid="forecast-lift">
        {forecast.isPending
          ? t('state.loading')
          : forecast.isError
            ? t('restrictions.forecastUnavailable')
            : forecast.data.liftOn
              ? t('restrictions.liftOn', { date: formatDate(forecast.data.liftOn, lang), orders: formatNumber(forecast.data.assumptions.dailyOrders, lang, 1) })
              : t('restrictions.liftNotWithin', { days: forecast.data.horizonDays ?? 30 })}
      </p>
    </Section>
  );
}
