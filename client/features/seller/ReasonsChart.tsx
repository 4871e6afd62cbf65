// Why buyers asked the platform to step in: the counted cases by reason.
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../../lib/format';
import { useLang, useReasonLabel } from '../../lib/i18n';
import { Section } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { ChartFrame, COLORS } from '../../lib/components/Charts';
import { useBreakdown } from '../../lib/queries';

export function ReasonsChart({ shopId, date }: { shopId: string; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const breakdown = useBreakdown(shopId, date);
  const reasonLabel = useReasonLabel();
  return (
    <Section title={t('reasons.title')}>
      <QueryState query={breakdown} isEmpty={(data) => data.byReason.length === 0} empty={t('reasons.empty')}>
        {(data) => {
          const rows = [...data.byReason].sort((a, b) => b.interventions - a.interventions).map((r) => ({ ...r, label: reasonLabel(r.reason) }));
          const top = rows[0];
          return (
            <ChartFrame
              label={t('reasons.chartLabel')}
              height={Math.max(160, rows.length * 34 + 60)}
              testId="reasons-chart"
              summary={top && t('reasons.summary', { reason: top.label, count: top.interventions })}
            >
              <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }}>
                <CartesianGrid stroke={COLORS.grid} horizontal={false} />
                <XAxis type="number" allowDecimals={false} tickFormatter={(v: number) => formatNumber(v, lang)} tick={{ fontSize: 12, fill: '#344054' }} />
                <YAxis type="category" dataKey="label" width={130} tick={{ fontSize: 12, fill: '#344054' }} />
                <Tooltip formatter={(value, name) => [formatNumber(typeof value === 'number' ? value : null, lang), name]} />
                <Legend />
                <Bar dataKey="interventions" name={t('metric.interventions')} fill={COLORS.bar} isAnimationActive={false} />
                <Bar dataKey="complaints" name={t('metric.complaints')} fill={COLORS.complaints} isAnimationActive={false} />
              </BarChart>
            </ChartFrame>
          );
        }}
      </QueryState>
    </Section>
  );
}
