// The platform over time (reviewers): shops per level per day (stacked), the shops that entered and left
// each level each day, the days policy versions took effect marked on both charts, and the week's top
// movers — one category or all. The charts live in the Recharts chunk.
import { lazy, Suspense, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { useUrlState } from '../../lib/url-state';
import { Section } from '../../lib/components/Section';
import { Loading, QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useCategories, usePlatform, type Platform } from '../../lib/queries';

const PlatformCharts = lazy(() => import('./PlatformCharts'));

function Movers({ title, movers, testId }: { title: string; movers: Platform['movers']['up']; testId: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <div data-testid={testId}>
      <h3>{title}</h3>
      {movers.length === 0 ? (
        <p className="muted">{t('platform.none')}</p>
      ) : (
        <ul className="change-list">
          {movers.map((m) => (
            <li key={m.shopId}>
              <span className="mono">{m.shopId}</span> {m.shopName} · <LevelBadge level={m.from} /> → <LevelBadge level={m.to} /> · {formatRatio(m.ratio, lang)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function PlatformPanel({ date }: { date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const categoryId = url.get('platformCategory') ?? undefined;
  const categories = useCategories(date);
  const platform = usePlatform(date, categoryId);
  const selectId = useId();
  return (
    <Section title={t('platform.title', { date: formatDate(date, lang) })} testId="platform-panel">
      <form className="filters" aria-label={t('platform.category')} onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor={selectId}>{t('platform.category')}</label>
          <select
            id={selectId}
            value={categoryId ?? ''}
            onChange={(e) => url.set({ platformCategory: e.target.value || null })}
            data-testid="platform-category"
          >
            <option value="">{t('platform.allCategories')}</option>
            {(categories.data?.categories ?? []).map((c) => (
              <option key={c.categoryId} value={c.categoryId}>
                {c.categoryName}
              </option>
            ))}
          </select>
        </div>
      </form>
      <QueryState query={platform} isEmpty={(data) => data.days.length === 0} empty={t('platform.empty')}>
        {(data) => {
          const last = data.days[data.days.length - 1];
          return (
            <>
              <p role="status" data-testid="platform-summary">
                {t('platform.summary', { date: formatDate(last.date, lang), ...last.levels })}{' '}
                {data.policyVersions.length === 0
                  ? t('platform.noPolicyChange')
                  : t('platform.policyVersions', {
                      count: data.policyVersions.length,
                      list: data.policyVersions.map((v) => `${v.version} (${formatDate(v.effectiveFrom, lang)})`).join(', '),
                    })}
              </p>
              <Suspense fallback={<Loading />}>
                <PlatformCharts data={data} />
              </Suspense>
              <h3>{t('platform.moversTitle', { from: formatDate(data.movers.weekFrom, lang), to: formatDate(data.to, lang) })}</h3>
              <div className="grid-2">
                <Movers title={t('platform.up')} movers={data.movers.up} testId="platform-movers-up" />
                <Movers title={t('platform.down')} movers={data.movers.down} testId="platform-movers-down" />
              </div>
            </>
          );
        }}
      </QueryState>
    </Section>
  );
}
