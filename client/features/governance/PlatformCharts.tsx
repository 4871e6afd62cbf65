// The platform charts, in the Recharts chunk: levels per day stacked, and entries (up) and exits (down)
// per day, with a line on each day a policy version took effect.
import { useTranslation } from 'react-i18next';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { formatDate, formatNumber, formatShortDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { LEVEL_FILL } from '../../lib/components/LevelBadge';
import type { Platform } from '../../lib/queries';

const LEVELS = ['warning', 'restricted', 'severe'] as const;

export default function PlatformCharts({ data }: { data: Platform }) {
  const { t } = useTranslation();
  const lang = useLang();
  const levels = data.days.map((d) => ({ date: d.date, ...d.levels }));
  const moves = data.days.map((d) => ({
    date: d.date,
    ...Object.fromEntries(
      LEVELS.flatMap((l) => [
        [`in_${l}`, d.entered[l]],
        [`out_${l}`, -d.left[l]],
      ]),
    ),
  }));
  // A mark's label reads away from the nearer edge (left of a line in the right part of the chart), so it is never cut off.
  const marks = data.policyVersions.map((v) => {
    const index = data.days.findIndex((d) => d.date === v.effectiveFrom);
    const position = index > data.days.length * 0.6 ? 'insideTopRight' : 'insideTopLeft';
    return (
      <ReferenceLine
        key={v.version}
        x={v.effectiveFrom}
        stroke={COLORS.threshold}
        strokeDasharray="4 3"
        label={{ value: t('platform.policyMark', { version: v.version }), position, fontSize: 11, fill: COLORS.threshold }}
      />
    );
  });
  const xAxis = <XAxis dataKey="date" tickFormatter={(d: string) => formatShortDate(d, lang)} minTickGap={24} tick={{ fontSize: 12, fill: '#344054' }} />;
  const tooltip = (
    <Tooltip
      labelFormatter={(d) => formatDate(d as string, lang)}
      formatter={(value, name) => [formatNumber(typeof value === 'number' ? Math.abs(value) : null, lang), name]}
    />
  );
  return (
    <div className="grid-2">
      <ChartFrame label={t('platform.levelsChart')} title={t('platform.levelsTitle')} height={280} testId="platform-levels-chart">
        <AreaChart data={levels} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={COLORS.grid} vertical={false} />
          {xAxis}
          <YAxis allowDecimals={false} width={40} tick={{ fontSize: 12, fill: '#344054' }} />
          {tooltip}
          <Legend />
          {LEVELS.map((l) => (
            <Area key={l} dataKey={l} stackId="levels" name={t(`level.${l}`)} stroke={LEVEL_FILL[l]} fill={LEVEL_FILL[l]} isAnimationActive={false} />
          ))}
          {marks}
        </AreaChart>
      </ChartFrame>
      <ChartFrame label={t('platform.movesChart')} title={t('platform.movesTitle')} height={280} testId="platform-moves-chart">
        <BarChart data={moves} margin={{ top: 8, right: 16, bottom: 4, left: 8 }} stackOffset="sign">
          <CartesianGrid stroke={COLORS.grid} vertical={false} />
          {xAxis}
          <YAxis allowDecimals={false} width={40} tick={{ fontSize: 12, fill: '#344054' }} tickFormatter={(v: number) => formatNumber(Math.abs(v), lang)} />
          {tooltip}
          <Legend />
          {LEVELS.map((l) => (
            <Bar
              key={`in_${l}`}
              dataKey={`in_${l}`}
              stackId="moves"
              name={t('platform.entered', { level: t(`level.${l}`) })}
              fill={LEVEL_FILL[l]}
              isAnimationActive={false}
            />
          ))}
          {LEVELS.map((l) => (
            <Bar
              key={`out_${l}`}
              dataKey={`out_${l}`}
              stackId="moves"
              name={t('platform.left', { level: t(`level.${l}`) })}
              fill={LEVEL_FILL[l]}
              fillOpacity={0.45}
              isAnimationActive={false}
            />
          ))}
          {marks}
        </BarChart>
      </ChartFrame>
    </div>
  );
}
