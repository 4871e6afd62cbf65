// The charts of the shop view, in their own chunk (Recharts is most of the page's weight): the headline
// numbers show first, the charts follow a moment later.
import { TrendChart } from './TrendChart';
import { ForecastChart } from './ForecastChart';
import { ReasonsChart } from './ReasonsChart';
import { PeersChart } from './PeersChart';

export default function SellerCharts({ shopId, date, dataFrom }: { shopId: string; date: string; dataFrom?: string | null }) {
  return (
    <>
      <TrendChart shopId={shopId} date={date} dataFrom={dataFrom} />
      <div className="grid-2">
        <ForecastChart shopId={shopId} date={date} />
        <PeersChart shopId={shopId} date={date} />
      </div>
      <ReasonsChart shopId={shopId} date={date} />
    </>
  );
}
