// The seller's page: their shop, or (several shops, none chosen in the address) an overview of all of them.
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { patchedUrl, useUrlState } from '../../lib/url-state';
import type { Me } from '../../lib/queries';
import ShopOverview from './ShopOverview';
import { MyShops } from './MyShops';
import { AlertsPanel } from './AlertsPanel';

export default function SellerHome({ me, date, dataFrom }: { me: Me; date: string; dataFrom?: string | null }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const pickerId = useId();
  const requested = url.get('shop');
  const several = me.shops.length > 1;
  const shopId = requested && me.shops.includes(requested) ? requested : several ? undefined : me.shops[0];
  if (me.shops.length === 0) return <p className="state state-empty">{t('seller.noShops')}</p>;
  if (!shopId) return <MyShops shopIds={me.shops} date={date} />;
  return (
    <>
      {several && (
        <div className="field-inline toolbar">
          <a
            href={patchedUrl(url.params.toString(), { shop: null })}
            data-testid="all-my-shops"
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              url.set({ shop: null });
            }}
          >
            {t('myShops.back')}
          </a>
          <label htmlFor={pickerId}>{t('seller.pickShop')}</label>
          <select id={pickerId} value={shopId} onChange={(e) => url.set({ shop: e.target.value })}>
            {me.shops.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
      )}
      <ShopOverview key={shopId} shopId={shopId} date={date} dataFrom={dataFrom} canAppeal />
      <AlertsPanel key={`alerts-${shopId}`} shopId={shopId} />
    </>
  );
}
