// Where the shop stands among the judged shops of its category, with a "you are here" mark.
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber, formatPercent, type Lang } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { usePeers, type Peers } from '../../lib/queries';
import { CategoryTooSmall, WithheldFromSeller } from './CategoryTooSmall';
import { useAudience } from '../../lib/components/Audience';

function bucketLabel(bucket: { from: number; to: number }, lang: Lang): string {
  return `${formatPercent(bucket.from, lang, 1)}–${formatPercent(bucket.to, lang, 1)}`;
}

/** The bucket holding the shop's rate (the last bucket includes its upper edge). */
export function bucketOf(peers: Peers): number {
  if (peers.shopRate === null) return -1;
  const rate = peers.shopRate;
  const last = peers.buckets.length - 1;
  return peers.buckets.findIndex((b, i) => rate >= b.from && (rate < b.to || (i === last && rate <= b.to)));
}

export function PeersChart({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const peers = usePeers(shopId, date);
  // A reviewer reads "this shop's rate", a seller "your rate".
  const percentileKey = useAudience() === 'reviewer' ? 'gov.shop.peersLine' : 'peers.percentile';
  return (
    <Section title={t('peers.title')}>
      <QueryState query={peers} isEmpty={(data) => data.judgedShops !== null && (data.judgedShops === 0 || data.buckets.length === 0)} empty={t('peers.empty')}>
        {(data) => {
          // A seller of a category too small to compare sees no peers at all (DESIGN §3).
          if (data.judgedShops === null) return <CategoryTooSmall min={data.minPeerShops} testId="peers-too-small" />;
          const rows = data.buckets.map((bucket) => ({ ...bucket, label: bucketLabel(bucket, lang) }));
          const mine = bucketOf(data);
          return (
            <>
              {data.categoryComparable === false && <WithheldFromSeller min={data.minPeerShops} />}
              <ChartFrame
                label={t('peers.chartLabel')}
                height={240}
                testId="peers-chart"
                summary={
                  <>
                    <span data-testid="peers-percentile" data-value={data.percentile ?? ''}>
                      {data.percentile === null
                        ? t('peers.noRate')
                        : t(percentileKey, { percent: formatPercent(data.percentile, lang, 0), shops: formatNumber(data.judgedShops, lang) })}
                    </span>{' '}
                    {t('peers.stats', {
                      median: formatPercent(data.median, lang),
                      p90: formatPercent(data.p90, lang),
                      mean: formatPercent(data.categoryMean, lang),
                    })}
                  </>
                }
              >
                <BarChart data={rows} margin={{ top: 24, right: 16, bottom: 4, left: 8 }}>
                  <CartesianGrid stroke={COLORS.grid} vertical={false} />
                  <XAxis dataKey="label" interval="preserveStartEnd" tick={{ fontSize: 11, fill: '#344054' }} />
                  <YAxis allowDecimals={false} width={40} tick={{ fontSize: 12, fill: '#344054' }} />
                  <Tooltip formatter={(value) => [formatNumber(typeof value === 'number' ? value : null, lang), t('peers.shops')]} />
                  <Bar dataKey="shops" name={t('peers.shops')} isAnimationActive={false}>
                    {rows.map((row, i) => (
                      <Cell key={row.label} fill={i === mine ? COLORS.you : '#98a2b3'} />
                    ))}
                  </Bar>
                  {mine >= 0 && (
                    <ReferenceLine
                      x={rows[mine].label}
                      stroke={COLORS.you}
                      strokeWidth={2}
                      className="peers-you"
                      label={{ value: t('peers.youAreHere'), position: 'top', fill: COLORS.you, fontSize: 12 }}
                    />
                  )}
                </BarChart>
              </ChartFrame>
            </>
          );
        }}
      </QueryState>
    </Section>
  );
}
