// The next 30 days if nothing new goes wrong: when the rate falls under the threshold and when the
// restrictions lift, and how many new intervention orders the next week can take.
import { useTranslation } from 'react-i18next';
import { CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDate, formatNumber, formatPercent, formatShortDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { useForecast, type Forecast } from '../../lib/queries';
import { CategoryTooSmall, WithheldFromSeller } from './CategoryTooSmall';

/** A seller of a category too small to compare gets no thresholds and no headroom (DESIGN §3). */
function withheld(forecast: Forecast): boolean {
  return forecast.categoryComparable === false && forecast.points.every((p) => p.threshold === null);
}

/** The first projected day of each policy version after the first (a newer version taking effect). */
function versionChanges(points: Forecast['points']): { date: string; version: string }[] {
  const out: { date: string; version: string }[] = [];
  points.forEach((p, i) => {
    if (i > 0 && p.policyVersion && p.policyVersion !== points[i - 1].policyVersion) out.push({ date: p.date, version: p.policyVersion });
  });
  return out;
}

/** The headroom sentence: a number, or what stands in its place — never a placeholder value. */
function headroomLine(forecast: Forecast, t: (key: string, options?: Record<string, unknown>) => string): string {
  if (forecast.headroom7d !== null) return t('forecast.headroom', { count: forecast.headroom7d });
  if (withheld(forecast)) return t('forecast.headroomHidden');
  if (forecast.headroomUnbounded) return t('forecast.headroomUnbounded');
  return t('forecast.noHeadroom');
}

/** One thing per sentence: the assumption, when it falls under, when it lifts, the headroom. */
function ForecastFacts({ forecast }: { forecast: Forecast }) {
  const { t } = useTranslation();
  const lang = useLang();
  const flagged = forecast.flaggedToday;
  const days = forecast.horizonDays ?? forecast.points.length;
  return (
    <ul className="facts" data-testid="forecast-facts">
      <li>{t('forecast.assumption', { orders: formatNumber(forecast.assumptions.dailyOrders, lang, 1) })}</li>
      <li data-testid="forecast-below">
        {forecast.belowThresholdOn
          ? t('forecast.belowOn', { date: formatDate(forecast.belowThresholdOn, lang) })
          : flagged === false
            ? t('forecast.notFlagged')
            : flagged
              ? t('forecast.staysOver', { days })
              : t('forecast.belowNone')}
      </li>
      {forecast.liftOn && <li>{t('forecast.liftOn', { date: formatDate(forecast.liftOn, lang) })}</li>}
      <li data-testid="forecast-headroom">{headroomLine(forecast, t)}</li>
    </ul>
  );
}

export function ForecastChart({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const forecast = useForecast(shopId, date);
  return (
    <Section title={t('forecast.title')}>
      <QueryState query={forecast} isEmpty={(data) => data.points.length === 0} empty={t('forecast.empty')}>
        {(data) => (
          <>
            {data.categoryComparable === false &&
              (withheld(data) ? <CategoryTooSmall min={data.minPeerShops} testId="forecast-too-small" /> : <WithheldFromSeller min={data.minPeerShops} />)}
            <ForecastFacts forecast={data} />
            <ChartFrame label={t('forecast.chartLabel')} height={220} testId="forecast-chart">
              <ComposedChart data={data.points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid stroke={COLORS.grid} vertical={false} />
                <XAxis dataKey="date" tickFormatter={(d: string) => formatShortDate(d, lang)} minTickGap={24} tick={{ fontSize: 12, fill: '#344054' }} />
                <YAxis tickFormatter={(v: number) => formatPercent(v, lang, 1)} width={56} tick={{ fontSize: 12, fill: '#344054' }} />
                <Tooltip
                  labelFormatter={(d) => formatDate(d as string, lang)}
                  formatter={(value, name) => [formatPercent(typeof value === 'number' ? value : null, lang), name]}
                />
                <Legend />
                <Line
                  dataKey="rate"
                  name={t('forecast.rate')}
                  stroke={COLORS.rate}
                  strokeDasharray="4 3"
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
                <Line
                  dataKey="threshold"
                  name={t('forecast.threshold')}
                  stroke={COLORS.threshold}
                  strokeDasharray="6 4"
                  dot={false}
                  isAnimationActive={false}
                />
                {data.belowThresholdOn && (
                  <ReferenceLine
                    x={data.belowThresholdOn}
                    stroke={COLORS.mean}
                    label={{ value: t('forecast.belowMark'), position: 'insideTopRight', fontSize: 12, fill: '#344054' }}
                  />
                )}
                {versionChanges(data.points).map((change) => (
                  <ReferenceLine
                    key={change.date}
                    x={change.date}
                    stroke="#98a2b3"
                    strokeDasharray="2 2"
                    label={{ value: t('forecast.policyFrom', { version: change.version }), position: 'insideBottomLeft', fontSize: 11, fill: '#344054' }}
                  />
                ))}
                {data.liftOn && (
                  <ReferenceLine
                    x={data.liftOn}
                    stroke="#067647"
                    strokeWidth={2}
                    label={{ value: t('forecast.liftMark'), position: 'insideTopLeft', fontSize: 12, fill: '#067647' }}
                  />
                )}
              </ComposedChart>
            </ChartFrame>
          </>
        )}
      </QueryState>
    </Section>
  );
}
