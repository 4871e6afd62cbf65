import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../lib/format';
import { useLang } from '../../lib/i18n';

export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label={t('pager.label')}>
      <span role="status" data-testid="pager-status">
        {t('pager.showing', { first: formatNumber(first, lang), last: formatNumber(last, lang), total: formatNumber(total, lang) })}
      </span>
      <button type="button" className="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        {t('pager.previous')}
      </button>
      <span>{t('pager.page', { page: formatNumber(page, lang), pages: formatNumber(pages, lang) })}</span>
      <button type="button" className="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        {t('pager.next')}
      </button>
    </nav>
  );
}
