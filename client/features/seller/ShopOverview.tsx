// Everything a seller sees about one shop on a stat date; the reviewer's shop page shows it too.
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { useActivePolicy } from '../../lib/policy';
import { Loading, QueryState } from '../../lib/components/QueryState';
import { useCategories, useShopMetrics } from '../../lib/queries';
import { HeadlineCards } from './HeadlineCards';
import { NotEnoughData } from './NotEnoughData';
import { RestrictionsPanel } from './RestrictionsPanel';
import { CasesTable } from './CasesTable';
import { CategoryTooSmall } from './CategoryTooSmall';
import { AppealPanel } from './AppealPanel';
import { GoodsPanel } from './GoodsPanel';

const SellerCharts = lazy(() => import('./SellerCharts'));

export interface ShopOverviewProps {
  shopId: string;
  date: string;
  dataFrom?: string | null;
  /** Sellers may appeal an active restriction; reviewers answer appeals instead. */
  canAppeal: boolean;
}

export default function ShopOverview({ shopId, date, dataFrom, canAppeal }: ShopOverviewProps) {
  const { t } = useTranslation();
  const lang = useLang();
  const policy = useActivePolicy();
  const metrics = useShopMetrics(shopId, date);
  // A seller's answer names the category; a reviewer reads the names from the categories (cached by the workbench).
  const categories = useCategories(date, !canAppeal && metrics.data !== undefined && metrics.data.categoryName === undefined);
  const categoryName = (m: { categoryId: string; categoryName?: string }) =>
    m.categoryName ?? categories.data?.categories.find((c) => c.categoryId === m.categoryId)?.categoryName ?? m.categoryId;

  return (
    <div className="shop-overview">
      <QueryState query={metrics} loadingLabel={t('shop.loading')}>
        {(m) => (
          <>
            <header className="shop-head">
              <h2 className="shop-name">
                {m.shopName} <span className="muted mono">{m.shopId}</span>
              </h2>
              <p className="muted">
                {t('shop.window', { from: formatDate(m.window.from, lang), to: formatDate(m.window.to, lang) })} ·{' '}
                <span data-testid="shop-category">{t('shop.category', { category: categoryName(m) })}</span> · {t('shop.policy', { version: m.policyVersion })}
              </p>
            </header>
            <HeadlineCards metrics={{ ...m, categoryName: categoryName(m) }} policy={policy} />
            {m.categoryComparable === false && <CategoryTooSmall min={m.minPeerShops} />}
            <NotEnoughData metrics={m} policy={policy} />
            <RestrictionsPanel metrics={m} policy={policy} />
            {canAppeal && <AppealPanel shopId={m.shopId} canFile={m.restrictions.length > 0} />}
          </>
        )}
      </QueryState>
      {/* The charts (Recharts is most of the page's weight) load once the headline is on screen, never before it. */}
      <Suspense fallback={<Loading label={t('shop.loadingCharts')} />}>
        {metrics.isPending ? <Loading label={t('shop.loadingCharts')} /> : <SellerCharts shopId={shopId} date={date} dataFrom={dataFrom} />}
      </Suspense>
      <GoodsPanel shopId={shopId} date={date} casesAnchor="shop-cases" />
      <div id="shop-cases">
        <CasesTable shopId={shopId} date={date} headline={metrics.data?.interventions} />
      </div>
    </div>
  );
}
