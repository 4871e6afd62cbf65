// The seller's page: their shop (or a choice among their shops) on the stat date.
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useUrlState } from '../../lib/url-state';
import type { Me } from '../../lib/queries';
import ShopOverview from './ShopOverview';

export default function SellerHome({ me, date, dataFrom }: { me: Me; date: string; dataFrom?: string | null }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const pickerId = useId();
  const requested = url.get('shop');
  const shopId = requested && me.shops.includes(requested) ? requested : me.shops[0];
  if (!shopId) return <p className="state state-empty">{t('seller.noShops')}</p>;
  return (
    <>
      {me.shops.length > 1 && (
        <div className="field-inline toolbar">
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
    </>
  );
}
