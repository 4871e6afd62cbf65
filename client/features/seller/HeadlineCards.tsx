// The five-second view: how many, how high, against what, how bad, for how long.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatNumber, formatPercent, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { runLength } from '../../lib/policy';
import type { Policy, ShopMetrics } from '../../lib/queries';

function Card({
  label,
  testId,
  value,
  display,
  note,
  tone,
}: {
  label: string;
  testId: string;
  value: number | string | null;
  display: ReactNode;
  note?: ReactNode;
  tone?: 'alert' | 'ok';
}) {
  return (
    <div className={`card ${tone ? `card-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd className="card-value" data-testid={testId} data-value={value === null ? '' : String(value)}>
        {display}
      </dd>
      {note && <dd className="card-note">{note}</dd>}
    </div>
  );
}

export function HeadlineCards({ metrics, policy }: { metrics: ShopMetrics; policy: Policy }) {
  const { t } = useTranslation();
  const lang = useLang();
  const restrictedAfter = runLength(policy, 'restricted');
  const severeAfter = runLength(policy, 'severe');
  const nextStep =
    metrics.level === 'severe' || !metrics.flagged
      ? null
      : metrics.level === 'restricted'
        ? t('headline.towardsSevere', { days: severeAfter })
        : t('headline.towardsRestricted', { days: restrictedAfter });
  // Red only when the shop is judged: below the floors a high ratio says little. When the ratio is withheld
  // (a small category), the shop's own flag says it.
  const overThreshold = metrics.judged && (metrics.ratio !== null ? metrics.ratio >= policy.flagRatio : metrics.flagged);
  // A seller in a category too small to compare sees no category mean and no ratio (DESIGN §3).
  const tooSmall = metrics.categoryComparable === false;
  const tooSmallNote = t('smallCategory.note', { min: metrics.minPeerShops ?? '' });

  return (
    <dl className="cards" aria-label={t('headline.title')}>
      <Card
        label={t('metric.interventions')}
        testId="headline-interventions"
        value={metrics.interventions}
        display={formatNumber(metrics.interventions, lang)}
        note={t('headline.ofOrders', { orders: formatNumber(metrics.orders, lang), complaints: formatNumber(metrics.complaints, lang) })}
      />
      <Card
        label={t('metric.rate')}
        testId="headline-rate"
        value={metrics.rate}
        display={formatPercent(metrics.rate, lang)}
        note={t('headline.window', { days: policy.windowDays })}
      />
      <Card
        label={t('metric.categoryMean')}
        testId="headline-category-mean"
        value={metrics.categoryMean}
        display={tooSmall && metrics.categoryMean === null ? t('smallCategory.value') : formatPercent(metrics.categoryMean, lang)}
        note={
          tooSmall
            ? tooSmallNote
            : t(policy.categoryMean === 'mean_of_shop_rates' ? 'headline.categoryOfShopRates' : 'headline.categoryOf', {
                category: metrics.categoryName ?? metrics.categoryId,
              })
        }
      />
      <Card
        label={t('metric.ratio')}
        testId="headline-ratio"
        value={metrics.ratio}
        display={tooSmall && metrics.ratio === null ? t('smallCategory.value') : formatRatio(metrics.ratio, lang, policy.flagRatio)}
        tone={overThreshold ? 'alert' : undefined}
        note={t('headline.threshold', { ratio: formatRatio(policy.flagRatio, lang) })}
      />
      <Card
        label={t('metric.level')}
        testId="headline-level"
        value={metrics.level}
        display={<LevelBadge level={metrics.level} />}
        tone={metrics.level === 'none' ? 'ok' : 'alert'}
        note={metrics.flagged ? t('headline.flaggedToday') : t('headline.notFlaggedToday')}
      />
      <Card
        label={t('metric.consecutiveFlaggedDays')}
        testId="headline-days-flagged"
        value={metrics.consecutiveFlaggedDays}
        display={formatNumber(metrics.consecutiveFlaggedDays, lang)}
        note={nextStep ?? undefined}
      />
    </dl>
  );
}
