// The two category charts, in the Recharts chunk (loaded when the categories tab opens).
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber, formatPercent } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { LEVEL_FILL } from '../../lib/components/LevelBadge';
import type { Categories } from '../../lib/queries';

export default function CategoryCharts({ data }: { data: Categories }) {
  const { t } = useTranslation();
  const lang = useLang();
  const rows = data.categories.map((c) => ({ ...c, name: c.categoryName, ...c.levels }));
  return (
    <div className="grid-2">
      <ChartFrame label={t('categories.levelsChart')} title={t('categories.levelsTitle')} height={260} testId="categories-levels-chart">
        <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={COLORS.grid} vertical={false} />
          <XAxis
            dataKey="name"
            tick={{ fontSize: 12, fill: '#344054' }}
            interval={0}
            angle={rows.length > 6 ? -25 : 0}
            textAnchor={rows.length > 6 ? 'end' : 'middle'}
            height={rows.length > 6 ? 60 : 30}
          />
          <YAxis allowDecimals={false} width={40} tick={{ fontSize: 12, fill: '#344054' }} />
          <Tooltip formatter={(value, name) => [formatNumber(typeof value === 'number' ? value : null, lang), name]} />
          <Legend />
          <Bar dataKey="warning" stackId="levels" name={t('level.warning')} fill={LEVEL_FILL.warning} isAnimationActive={false} />
          <Bar dataKey="restricted" stackId="levels" name={t('level.restricted')} fill={LEVEL_FILL.restricted} isAnimationActive={false} />
          <Bar dataKey="severe" stackId="levels" name={t('level.severe')} fill={LEVEL_FILL.severe} isAnimationActive={false} />
        </BarChart>
      </ChartFrame>
      <ChartFrame label={t('categories.ratesChart')} title={t('categories.ratesTitle')} height={260} testId="categories-rates-chart">
        <BarChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid stroke={COLORS.grid} vertical={false} />
          <XAxis
            dataKey="name"
            tick={{ fontSize: 12, fill: '#344054' }}
            interval={0}
            angle={rows.length > 6 ? -25 : 0}
            textAnchor={rows.length > 6 ? 'end' : 'middle'}
            height={rows.length > 6 ? 60 : 30}
          />
          <YAxis tickFormatter={(v: number) => formatPercent(v, lang, 1)} width={56} tick={{ fontSize: 12, fill: '#344054' }} />
          <Tooltip formatter={(value, name) => [formatPercent(typeof value === 'number' ? value : null, lang), name]} />
          <Legend />
          <Bar dataKey="mean" name={t('categories.mean')} fill={COLORS.rate} isAnimationActive={false} />
          <Bar dataKey="medianRate" name={t('categories.median')} fill="#98a2b3" isAnimationActive={false} />
          <Bar dataKey="p90Rate" name={t('categories.p90')} fill={COLORS.threshold} isAnimationActive={false} />
        </BarChart>
      </ChartFrame>
    </div>
  );
}
