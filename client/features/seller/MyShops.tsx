// A seller with several shops lands here: every shop on the stat date, the most at risk first (level, then
// ratio, then fewer days to the next level), each row a link to the shop's view. One metrics query per shop.
import type { ReactNode } from 'react';
import { useQueries } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { formatNumber, formatPercent, formatRatio, NONE } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { runLength, useActivePolicy } from '../../lib/policy';
import { patchedUrl, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { shopMetricsQueryOptions, type Level, type Policy, type ShopMetrics } from '../../lib/queries';

const SEVERITY: Record<Level, number> = { severe: 3, restricted: 2, warning: 1, none: 0 };

/** Flagged days in a row still needed to reach the next level (Infinity: none above, or not flagged). */
export function daysToNextLevel(m: ShopMetrics, policy: Policy): number {
  if (!m.flagged) return Infinity;
  if (m.level === 'warning' || m.level === 'none') return Math.max(0, runLength(policy, 'restricted') - m.consecutiveFlaggedDays);
  if (m.level === 'restricted') return Math.max(0, runLength(policy, 'severe') - m.consecutiveFlaggedDays);
  return Infinity;
}

/** Most at risk first: level (severe > restricted > warning > none), then ratio (unknown last), then fewer days to the next level. */
export function byRisk(policy: Policy) {
  return (a: ShopMetrics, b: ShopMetrics): number =>
    SEVERITY[b.level] - SEVERITY[a.level] ||
    (b.ratio ?? -1) - (a.ratio ?? -1) ||
    daysToNextLevel(a, policy) - daysToNextLevel(b, policy) ||
    a.shopId.localeCompare(b.shopId);
}

export function MyShops({ shopIds, date }: { shopIds: string[]; date: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const policy = useActivePolicy();
  const url = useUrlState();
  const results = useQueries({ queries: shopIds.map((id) => shopMetricsQueryOptions(id, date)) });
  const loaded = results.flatMap((r) => (r.data ? [r.data] : [])).sort(byRisk(policy));
  const failed = shopIds.filter((_, i) => results[i].isError);
  const pending = results.filter((r) => r.isPending).length;

  const link = (shopId: string, label: ReactNode) => (
    <a
      href={patchedUrl(url.params.toString(), { shop: shopId })}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        url.set({ shop: shopId });
      }}
    >
      {label}
    </a>
  );

  return (
    <Section title={t('myShops.title', { count: shopIds.length })} testId="my-shops">
      <p className="muted">{t('myShops.intro')}</p>
      {pending > 0 && (
        <p className="muted" role="status">
          {t('myShops.loading', { count: pending })}
        </p>
      )}
      <TableScroll label={t('myShops.title', { count: shopIds.length })}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('myShops.shop')}</th>
              <th scope="col">{t('myShops.level')}</th>
              <th scope="col">{t('myShops.rate')}</th>
              <th scope="col">{t('myShops.ratio')}</th>
              <th scope="col">{t('myShops.days')}</th>
              <th scope="col">{t('myShops.restrictions')}</th>
            </tr>
          </thead>
          <tbody>
            {loaded.map((m) => (
              <tr key={m.shopId} data-testid="my-shop" data-shop={m.shopId}>
                <td>
                  {link(
                    m.shopId,
                    <>
                      {m.shopName} <span className="mono muted">{m.shopId}</span>
                    </>,
                  )}
                </td>
                <td>
                  <LevelBadge level={m.level} />
                </td>
                <td className="num">{formatPercent(m.rate, lang)}</td>
                <td className="num" data-testid="my-shop-ratio">
                  {m.ratio === null ? NONE : formatRatio(m.ratio, lang)}
                  {m.categoryComparable === false && <span className="muted"> {t('myShops.tooSmall')}</span>}
                </td>
                <td className="num">{formatNumber(m.consecutiveFlaggedDays, lang)}</td>
                <td>{m.restrictions.length === 0 ? NONE : m.restrictions.map((r) => t(`restrictionShort.${r.code}`)).join(', ')}</td>
              </tr>
            ))}
            {failed.map((id) => (
              <tr key={id} data-testid="my-shop-failed">
                <td>{link(id, <span className="mono">{id}</span>)}</td>
                <td colSpan={5} className="field-error">
                  {t('myShops.failed')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </Section>
  );
}
