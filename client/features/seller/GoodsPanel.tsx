// What drives the rate (issue 13): the shop's goods by intervention orders in the window, each with its
// share of the shop's interventions and what the shop's rate, ratio and flag would be without that goods'
// intervention orders (GET /api/shops/:shopId/goods). A seller of a category too small to compare gets no
// ratio (the API withholds it); the flag is the shop's own and always shows.
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber, formatPercent, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { useGoods, type Goods } from '../../lib/queries';
import { patchedUrl, useUrlState } from '../../lib/url-state';

/** Goods shown: the ones with intervention orders, at most this many. */
const TOP = 5;

export function GoodsPanel({ shopId, date, casesAnchor = 'shop-cases' }: { shopId: string; date: string; casesAnchor?: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const goods = useGoods(shopId, date);
  const url = useUrlState();
  const top = (data: Goods) => data.items.filter((i) => i.interventions > 0).slice(0, TOP);
  return (
    <Section title={t('goods.title')} testId="goods">
      <QueryState query={goods} isEmpty={(data) => top(data).length === 0} empty={t('goods.empty')}>
        {(data) => (
          <TableScroll label={t('goods.title')}>
            <table className="table" data-testid="goods-table">
              <thead>
                <tr>
                  <th scope="col">{t('goods.goods')}</th>
                  <th scope="col">{t('goods.orders')}</th>
                  <th scope="col">{t('goods.interventions')}</th>
                  <th scope="col">{t('goods.share')}</th>
                  <th scope="col">{t('goods.withoutIt')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('goods.cases')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {top(data).map((g) => (
                  <tr key={g.goodsId} data-testid={`goods-row-${g.goodsId}`}>
                    <th scope="row">
                      {g.goodsName} {g.goodsName !== g.goodsId && <span className="muted mono">{g.goodsId}</span>}
                    </th>
                    <td>{formatNumber(g.orders, lang)}</td>
                    <td>{formatNumber(g.interventions, lang)}</td>
                    <td>{formatPercent(g.share, lang, 0)}</td>
                    <td data-testid="goods-without">
                      {t(g.withoutIt.ratio === null ? 'goods.withoutRate' : 'goods.withoutRateRatio', {
                        rate: formatPercent(g.withoutIt.rate, lang),
                        ratio: formatRatio(g.withoutIt.ratio, lang),
                      })}
                      {' · '}
                      {g.withoutIt.flagged ? t('goods.stillFlagged') : t('goods.notFlagged')}
                      {g.withoutIt.liftOn ? (
                        <>
                          {' · '}
                          {t('goods.liftsOn', { date: formatDate(g.withoutIt.liftOn, lang) })}
                        </>
                      ) : g.withoutIt.belowThresholdOn ? (
                        <>
                          {' · '}
                          {t('goods.underOn', { date: formatDate(g.withoutIt.belowThresholdOn, lang) })}
                        </>
                      ) : null}
                    </td>
                    <td>
                      {/* Its cases: the case list filtered to this goods' orders (every kind, counted or not). */}
                      <a
                        href={`${patchedUrl(url.params.toString(), { caseGoods: g.goodsId, caseKind: 'all', caseCounted: 'all' })}#${casesAnchor}`}
                        onClick={(e) => {
                          if (e.metaKey || e.ctrlKey || e.shiftKey) return;
                          e.preventDefault();
                          url.set({ caseGoods: g.goodsId, caseKind: 'all', caseCounted: 'all' });
                          document.getElementById(casesAnchor)?.scrollIntoView();
                        }}
                        data-testid={`goods-cases-${g.goodsId}`}
                      >
                        {t('goods.seeCases')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </QueryState>
    </Section>
  );
}
