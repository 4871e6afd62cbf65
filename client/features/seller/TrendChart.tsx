// The 30-day rate day by day against the category mean and the threshold, the levels shaded behind.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { CartesianGrid, ComposedChart, Legend, Line, ReferenceArea, Tooltip, XAxis, YAxis } from 'recharts';
import { addDays, daysBetween, formatDate, formatPercent, formatRatio, formatShortDate, type Lang } from '../../lib/format';
import { useActivePolicy } from '../../lib/policy';
import { useLang } from '../../lib/i18n';
import { intParam, useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { LEVEL_FILL } from '../../lib/components/LevelBadge';
import { useTrend, type Level, type Trend } from '../../lib/queries';
import { CategoryTooSmall, WithheldFromSeller } from './CategoryTooSmall';

export const TREND_RANGES = [30, 90, 180] as const;

interface LevelRun {
  level: Level;
  from: string;
  to: string;
}

/** Consecutive days at the same (non-none) level, for the shading. */
export function levelRuns(points: Trend['points']): LevelRun[] {
  const runs: LevelRun[] = [];
  for (const point of points) {
    const last = runs[runs.length - 1];
    if (point.level === 'none') continue;
    if (last && last.level === point.level && addDays(last.to, 1) === point.date) last.to = point.date;
    else runs.push({ level: point.level, from: point.date, to: point.date });
  }
  return runs;
}

function RangePicker({ range, onChange }: { range: number; onChange: (days: number) => void }) {
  const { t } = useTranslation();
  return (
    <div className="segmented" role="group" aria-label={t('trend.range')}>
      {TREND_RANGES.map((days) => (
        <button key={days} type="button" className="segment" aria-pressed={range === days} onClick={() => onChange(days)}>
          {t('trend.days', { count: days })}
        </button>
      ))}
    </div>
  );
}

/** The first day whose window lies wholly inside the data (earlier days are shown, never flagged). */
export function firstCompleteDay(dataFrom: string | null | undefined, windowDays: number): string | null {
  return dataFrom ? addDays(dataFrom, windowDays - 1) : null;
}

function TrendPlot({ trend, lang, firstComplete }: { trend: Trend; lang: Lang; firstComplete: string | null }) {
  const { t } = useTranslation();
  const runs = useMemo(() => levelRuns(trend.points), [trend.points]);
  const first = trend.points[0];
  const incompleteTo = firstComplete && first && first.date < firstComplete ? trend.points.filter((p) => p.date < firstComplete).slice(-1)[0]?.date : undefined;
  const last = trend.points[trend.points.length - 1];
  const percentTick = (value: number) => formatPercent(value, lang, 1);
  // A seller of a category too small to compare gets no mean or threshold on those days (DESIGN §3).
  const withheld = trend.categoryComparable === false && last !== undefined && last.categoryMean === null && last.threshold === null;
  return (
    <ChartFrame
      label={t('trend.chartLabel')}
      testId="trend-chart"
      summary={
        last &&
        (withheld
          ? t('trend.summaryOwn', { date: formatDate(last.date, lang), rate: formatPercent(last.rate, lang) })
          : t('trend.summary', {
              date: formatDate(last.date, lang),
              rate: formatPercent(last.rate, lang),
              mean: formatPercent(last.categoryMean, lang),
              threshold: formatPercent(last.threshold, lang),
            }))
      }
    >
      <ComposedChart data={trend.points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid stroke={COLORS.grid} vertical={false} />
        {incompleteTo && first && (
          <ReferenceArea
            x1={first.date}
            x2={incompleteTo}
            fill="#98a2b3"
            fillOpacity={0.22}
            stroke="none"
            ifOverflow="extendDomain"
            className="trend-incomplete"
            label={{ value: t('trendRange.incomplete'), position: 'insideTopLeft', fontSize: 11, fill: '#344054' }}
          />
        )}
        {runs.map((run) => (
          <ReferenceArea
            key={`${run.level}-${run.from}`}
            // On a band axis the area covers x1's whole day to x2's whole day, so a one-day run shows too.
            x1={run.from}
            x2={run.to}
            fill={LEVEL_FILL[run.level]}
            fillOpacity={0.18}
            stroke="none"
            ifOverflow="extendDomain"
            className={`trend-level trend-level-${run.level}`}
          />
        ))}
        <XAxis dataKey="date" tickFormatter={(d: string) => formatShortDate(d, lang)} minTickGap={24} scale="band" tick={{ fontSize: 12, fill: '#344054' }} />
        <YAxis tickFormatter={percentTick} width={56} tick={{ fontSize: 12, fill: '#344054' }} />
        <Tooltip
          labelFormatter={(d) => formatDate(d as string, lang)}
          formatter={(value, name) => [formatPercent(typeof value === 'number' ? value : null, lang), name]}
        />
        <Legend />
        <Line
          type="monotone"
          dataKey="rate"
          name={t('metric.rate')}
          stroke={COLORS.rate}
          strokeWidth={2}
          dot={false}
          connectNulls={false}
          isAnimationActive={false}
          className="trend-rate"
        />
        <Line
          type="monotone"
          dataKey="categoryMean"
          name={t('metric.categoryMean')}
          stroke={COLORS.mean}
          strokeWidth={1.5}
          dot={false}
          isAnimationActive={false}
          className="trend-mean"
        />
        <Line
          type="monotone"
          dataKey="threshold"
          name={t('trend.thresholdLine', { ratio: formatRatio(trend.flagRatio, lang) })}
          stroke={COLORS.threshold}
          strokeDasharray="6 4"
          strokeWidth={1.5}
          dot={false}
          isAnimationActive={false}
          className="trend-threshold"
        />
      </ComposedChart>
    </ChartFrame>
  );
}

export function TrendChart({ shopId, date, dataFrom }: { shopId: string; date: string; dataFrom?: string | null }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const range = intParam(url.get('range'), 90);
  const days = (TREND_RANGES as readonly number[]).includes(range) ? range : 90;
  let from = addDays(date, -(days - 1));
  if (dataFrom && from < dataFrom) from = dataFrom;
  const trend = useTrend(shopId, from, date);
  const policy = useActivePolicy();
  const firstComplete = firstCompleteDay(dataFrom, policy.windowDays);
  const shownDays = daysBetween(from, date) + 1;

  return (
    <Section title={t('trend.title')} actions={<RangePicker range={days} onChange={(next) => url.set({ range: next === 90 ? null : next })} />}>
      <div className="legend-levels" aria-hidden="true">
        {(['warning', 'restricted', 'severe'] as const).map((level) => (
          <span key={level}>
            <span className="swatch" style={{ background: LEVEL_FILL[level] }} /> {t(`level.${level}`)}
          </span>
        ))}
        {firstComplete && from < firstComplete && (
          <span>
            <span className="swatch" style={{ background: '#98a2b3' }} /> {t('trendRange.incomplete')}
          </span>
        )}
      </div>
      {shownDays < days && dataFrom && (
        <p className="muted" data-testid="trend-fewer-days">
          {t('trendRange.fewer', { shown: shownDays, asked: days, first: formatDate(dataFrom, lang) })}
        </p>
      )}
      {firstComplete && from < firstComplete && (
        <p className="muted" data-testid="trend-incomplete">
          {t('trendRange.incompleteNote', { date: formatDate(firstComplete, lang) })}
        </p>
      )}
      <QueryState query={trend} isEmpty={(data) => data.points.length === 0} empty={t('trend.empty')}>
        {(data) => {
          const withheld = data.categoryComparable === false && data.points.some((p) => p.categoryMean === null);
          return (
            <>
              {data.categoryComparable === false &&
                (withheld ? <CategoryTooSmall min={data.minPeerShops} testId="trend-too-small" /> : <WithheldFromSeller min={data.minPeerShops} />)}
              <TrendPlot trend={data} lang={lang} firstComplete={firstComplete} />
            </>
          );
        }}
      </QueryState>
    </Section>
  );
}
