// Below the small-sample floors a shop is not judged; say which floor is missing and by how much.
import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import type { Policy, ShopMetrics } from '../../lib/queries';

export function NotEnoughData({ metrics, policy }: { metrics: ShopMetrics; policy: Policy }) {
  const { t } = useTranslation();
  const lang = useLang();
  if (metrics.judged) return null;
  const { minOrders, minInterventions } = policy.floors;
  const missing: string[] = [];
  if (metrics.orders < minOrders) missing.push(t('notEnough.orders', { need: formatNumber(minOrders, lang), has: formatNumber(metrics.orders, lang) }));
  if (metrics.interventions < minInterventions)
    missing.push(t('notEnough.interventions', { need: formatNumber(minInterventions, lang), has: formatNumber(metrics.interventions, lang) }));
  return (
    <div className="notice notice-info" role="note" data-testid="not-enough-data">
      <p className="notice-title">{t('notEnough.title')}</p>
      {missing.length > 0 ? (
        <ul>
          {missing.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      ) : (
        <p>{t('notEnough.other')}</p>
      )}
      <p className="muted">{t('notEnough.why', { orders: formatNumber(minOrders, lang), interventions: formatNumber(minInterventions, lang) })}</p>
    </div>
  );
}
