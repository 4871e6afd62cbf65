// A reviewer's page for one shop: what the seller sees, plus the level timeline, decisions, appeals and
// the audit entries.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { useShopMetrics } from '../../lib/queries';
import { LevelTimeline } from './LevelTimeline';
import { DecisionForm } from './DecisionForm';
import { AppealsList } from './AppealsPanel';
import { AuditTable } from './AuditLog';
import ShopOverview from '../seller/ShopOverview';

function OpenShop({ current }: { current?: string }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const id = useId();
  const [shopId, setShopId] = useState(current ?? '');
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (shopId.trim()) url.set({ shop: shopId.trim() });
  };
  return (
    <form className="field-inline toolbar" onSubmit={open} role="search" aria-label={t('shopPage.open')}>
      <label htmlFor={id}>{t('shopPage.shopId')}</label>
      <input id={id} value={shopId} onChange={(e) => setShopId(e.target.value)} placeholder="S00001" data-testid="open-shop-input" />
      <button type="submit" className="button">
        {t('shopPage.open')}
      </button>
    </form>
  );
}

export function ShopPage({ date, dataFrom }: { date: string; dataFrom?: string | null }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const shopId = url.get('shop');
  // Shares the cache entry with the overview: no second request.
  const metrics = useShopMetrics(shopId ?? '', date, shopId !== undefined).data;
  if (!shopId) {
    return (
      <Section title={t('shopPage.title')}>
        <OpenShop />
        <p className="muted">{t('shopPage.hint')}</p>
      </Section>
    );
  }
  return (
    <div className="shop-page" key={shopId}>
      <OpenShop current={shopId} />
      <ShopOverview shopId={shopId} date={date} dataFrom={dataFrom} canAppeal={false} />
      <LevelTimeline shopId={shopId} />
      <DecisionForm shopId={shopId} shopName={metrics?.shopName} date={date} />
      <Section title={t('appeals.title')}>
        <AppealsList shopId={shopId} />
      </Section>
      <Section title={t('shopPage.audit')}>
        <AuditTable params={{ shopId, limit: 20, offset: 0 }} />
      </Section>
    </div>
  );
}
