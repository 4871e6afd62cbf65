// The categories on a date: how many shops at each level, and the category's pooled mean and spread.
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber, formatPercent } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { patchedUrl, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { useCategories } from '../../lib/queries';
import { Loading, QueryState } from '../../lib/components/QueryState';

const CategoryCharts = lazy(() => import('./CategoryCharts'));

export function CategoriesPanel({ date }: { date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const categories = useCategories(date);
  return (
    <Section title={t('categories.title', { date: formatDate(date, lang) })}>
      <QueryState query={categories} isEmpty={(data) => data.categories.length === 0} empty={t('categories.empty')}>
        {(data) => (
          <>
            <Suspense fallback={<Loading />}>
              <CategoryCharts data={data} />
            </Suspense>
            <TableScroll label={t('categories.tableLabel')}>
              <table className="table" data-testid="categories-table">
                <thead>
                  <tr>
                    <th scope="col">{t('categories.category')}</th>
                    <th scope="col" className="num">
                      {t('categories.shops')}
                    </th>
                    <th scope="col" className="num">
                      {t('categories.judged')}
                    </th>
                    <th scope="col" className="num">
                      {t('metric.orders')}
                    </th>
                    <th scope="col" className="num">
                      {t('metric.interventions')}
                    </th>
                    <th scope="col" className="num">
                      {t('metric.complaints')}
                    </th>
                    <th scope="col" className="num">
                      {t('categories.mean')}
                    </th>
                    <th scope="col" className="num">
                      {t('categories.median')}
                    </th>
                    <th scope="col" className="num">
                      {t('categories.p90')}
                    </th>
                    <th scope="col" className="num">
                      {t('level.warning')}
                    </th>
                    <th scope="col" className="num">
                      {t('level.restricted')}
                    </th>
                    <th scope="col" className="num">
                      {t('level.severe')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.categories.map((c) => (
                    <tr key={c.categoryId}>
                      <th scope="row">
                        <a
                          href={patchedUrl(url.params.toString(), { tab: 'queue', category: c.categoryId, page: null })}
                          onClick={(e) => {
                            if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                            e.preventDefault();
                            url.set({ tab: 'queue', category: c.categoryId, page: null });
                          }}
                          title={t('categories.openQueue')}
                        >
                          {c.parentName ? <span className="muted">{c.parentName} / </span> : null}
                          {c.categoryName}
                        </a>{' '}
                        <span className="mono muted">{c.categoryId}</span>
                      </th>
                      <td className="num">{formatNumber(c.shops, lang)}</td>
                      <td className="num">{formatNumber(c.judgedShops, lang)}</td>
                      <td className="num">{formatNumber(c.orders, lang)}</td>
                      <td className="num">{formatNumber(c.interventions, lang)}</td>
                      <td className="num">{formatNumber(c.complaints, lang)}</td>
                      <td className="num">{formatPercent(c.mean, lang)}</td>
                      <td className="num">{formatPercent(c.medianRate, lang)}</td>
                      <td className="num">{formatPercent(c.p90Rate, lang)}</td>
                      <td className="num">{formatNumber(c.levels.warning, lang)}</td>
                      <td className="num">{formatNumber(c.levels.restricted, lang)}</td>
                      <td className="num">{formatNumber(c.levels.severe, lang)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </>
        )}
      </QueryState>
    </Section>
  );
}
