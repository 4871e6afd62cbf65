// The append-only audit log: who did what, when, with the numbers at that moment. Filters in the address.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime, isIsoDay } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { intParam, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { useAudit, type AuditEntry, type AuditParams } from '../../lib/queries';
import { Pager } from './Pager';

const PAGE_SIZE = 50;
/** Suggestions for the action filter (any text is accepted). */
const AUDIT_ACTIONS = [
  'decision.confirm',
  'decision.exempt',
  'decision.lift_early',
  'decision.note',
  'appeal.filed',
  'appeal.accepted',
  'appeal.rejected',
  'policy.activated',
  'ingest.upload',
];

/** The details of an entry as short "key: value" pairs (reason first: it is what a reader wants). */
export function detailPairs(details: Record<string, unknown>): [string, string][] {
  const order = (key: string) => (key === 'reason' ? 0 : key === 'text' ? 1 : 2);
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .sort(([a], [b]) => order(a) - order(b))
    .map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]);
}

/** The label of an audit action (`decision.exempt`, `appeal.filed`…), or the action itself when unknown. */
function useActionLabel(): (action: string) => string {
  const { t, i18n } = useTranslation();
  return (action) => {
    const key = `audit.actions.${action}`;
    const label: unknown = i18n.exists(key) ? t(key, { returnObjects: true }) : undefined;
    return typeof label === 'string' ? label : action;
  };
}

export function AuditTable({ params, showPager, onPage }: { params: AuditParams; showPager?: boolean; onPage?: (page: number) => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const audit = useAudit(params);
  const actionLabel = useActionLabel();
  return (
    <QueryState query={audit} isEmpty={(data) => data.items.length === 0} empty={t('audit.empty')}>
      {(data) => (
        <>
          <TableScroll label={t('audit.title')}>
            <table className="table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">{t('audit.at')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.shop')}</th>
                  <th scope="col">{t('audit.details')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((entry: AuditEntry) => (
                  <tr key={entry.id} data-audit-id={entry.id}>
                    <td className="nowrap">{formatDateTime(entry.at, lang)}</td>
                    <td>
                      <span className="mono">{entry.actor}</span> <span className="muted">({t(`role.${entry.role}`, { defaultValue: entry.role })})</span>
                    </td>
                    <td>
                      {actionLabel(entry.action)} <span className="mono muted">{entry.action}</span>
                    </td>
                    <td className="mono">{entry.shopId ?? '—'}</td>
                    <td>
                      <dl className="details">
                        {detailPairs(entry.details).map(([key, value]) => (
                          <div key={key}>
                            <dt>{key}</dt>
                            <dd>{value}</dd>
                          </div>
                        ))}
                      </dl>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {showPager && onPage && <Pager page={params.offset / params.limit + 1} pageSize={params.limit} total={data.total} onPage={onPage} />}
        </>
      )}
    </QueryState>
  );
}

function AuditFilters({ params }: { params: AuditParams }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const ids = { shop: useId(), actor: useId(), action: useId(), actions: useId(), from: useId(), to: useId() };
  const [draft, setDraft] = useState({
    shop: params.shopId ?? '',
    actor: params.actor ?? '',
    action: params.action ?? '',
    from: params.from ?? '',
    to: params.to ?? '',
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    url.set({
      auditShop: draft.shop.trim() || null,
      actor: draft.actor.trim() || null,
      action: draft.action.trim() || null,
      auditFrom: draft.from || null,
      auditTo: draft.to || null,
      auditPage: null,
    });
  };
  const field = (key: keyof typeof draft) => ({
    value: draft[key],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  return (
    <form className="filters" role="search" aria-label={t('audit.filters')} onSubmit={apply}>
      <div className="field">
        <label htmlFor={ids.shop}>{t('audit.shop')}</label>
        <input id={ids.shop} {...field('shop')} data-testid="audit-filter-shop" />
      </div>
      <div className="field">
        <label htmlFor={ids.actor}>{t('audit.actor')}</label>
        <input id={ids.actor} {...field('actor')} data-testid="audit-filter-actor" />
      </div>
      <div className="field">
        <label htmlFor={ids.action}>{t('audit.action')}</label>
        <input id={ids.action} list={ids.actions} {...field('action')} placeholder={t('audit.allActions')} data-testid="audit-filter-action" />
        <datalist id={ids.actions}>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </div>
      <div className="field">
        <label htmlFor={ids.from}>{t('audit.from')}</label>
        <input id={ids.from} type="date" {...field('from')} />
      </div>
      <div className="field">
        <label htmlFor={ids.to}>{t('audit.to')}</label>
        <input id={ids.to} type="date" {...field('to')} />
      </div>
      <div className="field field-button">
        <button type="submit" className="button button-primary">
          {t('audit.apply')}
        </button>
      </div>
    </form>
  );
}

export function AuditLog() {
  const { t } = useTranslation();
  const url = useUrlState();
  const page = intParam(url.get('auditPage'), 1, 1);
  const from = url.get('auditFrom');
  const to = url.get('auditTo');
  const params: AuditParams = {
    shopId: url.get('auditShop') || undefined,
    actor: url.get('actor') || undefined,
    action: url.get('action') || undefined,
    from: isIsoDay(from) ? from : undefined,
    to: isIsoDay(to) ? to : undefined,
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  };
  // Keyed by the filters in the address, so Back/Forward shows them in the form too.
  const filterKey = [params.shopId, params.actor, params.action, params.from, params.to].join('|');
  return (
    <Section title={t('audit.title')}>
      <AuditFilters key={filterKey} params={params} />
      <AuditTable params={params} showPager onPage={(next) => url.set({ auditPage: next === 1 ? null : next })} />
    </Section>
  );
}
