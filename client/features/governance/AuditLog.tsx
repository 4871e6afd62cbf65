// The append-only audit log: who did what, when, with the numbers at that moment. Filters in the address.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { formatDate, formatDateTime, formatNumber, formatPercent, formatRatio, isIsoDay, type Lang } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { intParam, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { useAudit, type AuditEntry, type AuditParams } from '../../lib/queries';
import { Pager } from './Pager';

const PAGE_SIZE = 50;
/** The actions the log records, offered by name in the filter. */
export const AUDIT_ACTIONS = [
  'decision.confirm',
  'decision.exempt',
  'decision.lift_early',
  'decision.note',
  'appeal.filed',
  'appeal.accepted',
  'appeal.rejected',
  'policy.activated',
  'ingest.upload',
  'review.claim',
  'review.release',
  'review.assign',
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
    // The shared queue's actions are labelled in its own block of the locales.
    const key = action.startsWith('review.') ? `review.auditAction.${action.slice('review.'.length)}` : `audit.actions.${action}`;
    const label: unknown = i18n.exists(key) ? t(key, { returnObjects: true }) : undefined;
    return typeof label === 'string' ? label : action;
  };
}

type Details = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Details | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Details) : undefined);

/** A policy's settings a reviewer knows by name, flattened for a diff. */
export function policyFields(policy: Details): Record<string, unknown> {
  const floors = obj(policy.floors) ?? {};
  const levels = Array.isArray(policy.levels) ? (policy.levels as Details[]) : [];
  const lift = obj(policy.lift) ?? {};
  return {
    flagRatio: policy.flagRatio,
    minOrders: floors.minOrders,
    minInterventions: floors.minInterventions,
    restrictedAfter: levels[0]?.afterFlaggedDays,
    severeAfter: levels[1]?.afterFlaggedDays,
    restrictedCodes: levels[0]?.restrictions,
    severeCodes: levels[1]?.restrictions,
    liftAfter: lift.afterUnflaggedDays,
    windowDays: policy.windowDays,
    timeZone: policy.timeZone,
    countBasis: policy.countBasis,
    categoryMean: policy.categoryMean,
    description: policy.description,
  };
}

/** The settings that differ between two policies: [field, before, after]. */
export function policyDiff(before: Details, after: Details): [string, unknown, unknown][] {
  const a = policyFields(before);
  const b = policyFields(after);
  return Object.keys(b)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => [k, a[k], b[k]]);
}

/** A setting's value in words: ratios as ×, days as days, restriction codes and enums by name. */
function settingValue(field: string, value: unknown, t: TFunction, lang: Lang): string {
  if (value === undefined || value === null || value === '') return t('gov.audit.none');
  if (field === 'flagRatio' && typeof value === 'number') return `${formatNumber(value, lang, 2)}×`;
  if (/After$/.test(field) && typeof value === 'number') return t('gov.audit.daysValue', { count: value });
  if (field === 'windowDays' && typeof value === 'number') return t('gov.audit.daysValue', { count: value });
  if (typeof value === 'number') return formatNumber(value, lang);
  if (Array.isArray(value))
    return value.length === 0
      ? t('gov.audit.none')
      : value.map((code) => t(`restrictionShort.${String(code)}`, { defaultValue: String(code) })).join(lang === 'zh' ? '、' : ', ');
  if (typeof value === 'string') return t(`gov.value.${value}`, { defaultValue: value });
  return typeof value === 'boolean' ? String(value) : '';
}

/** Any other detail as words (never JSON): nested values as "key value" pairs. */
function plain(value: unknown, lang: Lang): string {
  if (typeof value === 'number') return formatNumber(value, lang, 4);
  if (typeof value === 'string') return isIsoDay(value) ? formatDate(value, lang) : value;
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  if (Array.isArray(value)) return value.map((v) => plain(v, lang)).join(', ');
  const o = obj(value);
  if (o)
    return Object.entries(o)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k} ${plain(v, lang)}`)
      .join(', ');
  return '';
}

/** A labelled free text (a reason, an appeal's text): the text in its own element, as the person wrote it. */
function labelled(key: string, label: string, text: string): ReactNode {
  return (
    <p key={key}>
      <span className="muted">{label}</span> <span className="audit-text">{text}</span>
    </p>
  );
}

/** One audit entry as sentences in the reader's language. */
export function AuditDetails({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation();
  const lang = useLang();
  const d = entry.details;
  const actor = entry.actor;
  const shop = entry.shopId ?? '—';
  const day = (v: unknown) => formatDate(str(v), lang);
  const level = (v: unknown) => (str(v) ? t(`level.${str(v)}`, { defaultValue: str(v) }) : t('gov.audit.none'));
  const lines: ReactNode[] = [];
  const [kind, verb] = entry.action.split('.');
  if (kind === 'decision' && ['confirm', 'exempt', 'lift_early', 'note'].includes(verb)) {
    lines.push(t(`gov.audit.decision.${verb}`, { actor, shop, until: day(d.until), date: day(d.stateDate) }));
    if (str(d.episodeStart)) lines.push(t('gov.audit.episode', { date: day(d.episodeStart), level: level(d.episodeLevel) }));
    const n = obj(d.numbers);
    if (n)
      lines.push(
        t('gov.audit.numbers', {
          orders: formatNumber(num(n.orders), lang),
          interventions: formatNumber(num(n.interventions), lang),
          rate: formatPercent(num(n.rate), lang),
          mean: formatPercent(num(n.categoryMean), lang),
          ratio: formatRatio(num(n.ratio), lang),
          level: level(n.level),
          days: formatNumber(num(n.consecutiveFlaggedDays), lang),
          version: str(n.policyVersion) ?? '—',
        }),
      );
    if (str(d.reason)) lines.push(labelled('reason', t('gov.audit.reason'), str(d.reason)!));
  } else if (kind === 'appeal') {
    const args = { actor, shop, id: num(d.appealId) ?? '?', date: day(d.episodeStart), level: level(d.level) };
    if (verb === 'filed') lines.push(t('gov.audit.appealFiled', args));
    else if (verb === 'accepted') lines.push(t(d.liftsEpisode === false ? 'gov.audit.appealAcceptedNoLift' : 'gov.audit.appealAccepted', args));
    else lines.push(t('gov.audit.appealRejected', args));
    if (str(d.text)) lines.push(labelled('text', t('gov.audit.appealText'), str(d.text)!));
    if (str(d.reason)) lines.push(labelled('reason', t('gov.audit.reason'), str(d.reason)!));
  } else if (entry.action === 'policy.activated') {
    const previous = obj(d.previous);
    const policy = obj(d.policy);
    const args = { actor, version: str(d.version) ?? '—', day: day(d.effectiveFrom), previous: str(previous?.version) ?? t('gov.audit.previousUnknown') };
    lines.push(t(str(d.effectiveFrom) ? 'gov.audit.policy' : 'gov.audit.policyFromStart', args));
    if (previous && policy) {
      const diff = policyDiff(previous, policy);
      lines.push(
        diff.length === 0 ? (
          t('gov.audit.noRuleChanged')
        ) : (
          <table className="table table-compact" data-testid="policy-diff" key="diff">
            <caption>{t('gov.audit.diff')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('gov.audit.field')}</th>
                <th scope="col">{t('gov.audit.before')}</th>
                <th scope="col">{t('gov.audit.after')}</th>
              </tr>
            </thead>
            <tbody>
              {diff.map(([field, before, after]) => (
                <tr key={field} data-field={field}>
                  <th scope="row">{t(`gov.field.${field}`, { defaultValue: field })}</th>
                  <td>{settingValue(field, before, t, lang)}</td>
                  <td>{settingValue(field, after, t, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ),
      );
    } else if (Array.isArray(d.changed)) {
      const fields = (d.changed as unknown[]).map((f) => t(`gov.field.${String(f)}`, { defaultValue: String(f) })).join(lang === 'zh' ? '、' : ', ');
      lines.push(t('gov.audit.changedOnly', { fields }));
    }
  } else if (kind === 'review' && ['claim', 'release', 'assign'].includes(verb)) {
    const to = obj(d.to);
    const from = obj(d.from);
    // Nobody had it before a claim or an assignment: no "(it had: —)".
    const key = str(from?.assignee) === undefined && verb !== 'release' ? `${verb}Free` : verb;
    lines.push(t(`review.audit.${key}`, { actor, shop, to: str(to?.assignee) ?? '—', from: str(from?.assignee) ?? '—' }));
    if (str(d.enteredOn)) lines.push(t('review.audit.entry', { date: day(d.enteredOn) }));
  } else if (entry.action === 'ingest.upload') {
    lines.push(
      t('gov.audit.upload', {
        actor,
        count: num(d.accepted) ?? 0,
        accepted: formatNumber(num(d.accepted), lang),
        rejected: formatNumber(num(d.rejected), lang),
        batch: num(d.batchId) ?? '—',
      }),
    );
    if (Array.isArray(d.files))
      for (const f of d.files as Details[])
        lines.push(
          t('gov.audit.uploadFile', { file: str(f.file) ?? '—', accepted: formatNumber(num(f.accepted), lang), rejected: formatNumber(num(f.rejected), lang) }),
        );
  } else {
    lines.push(t('gov.audit.other', { actor, action: entry.action }));
    for (const [key, value] of detailPairs(d)) lines.push(`${key}: ${plain(d[key], lang) || value}`);
  }
  return (
    <div className="audit-sentences" data-testid="audit-sentences">
      {lines.map((line, i) => (typeof line === 'string' ? <p key={i}>{line}</p> : line))}
    </div>
  );
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
                    <td>{actionLabel(entry.action)}</td>
                    <td className="mono">{entry.shopId ?? '—'}</td>
                    <td className="audit-details">
                      <AuditDetails entry={entry} />
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
  const actionLabel = useActionLabel();
  const ids = { shop: useId(), actor: useId(), action: useId(), from: useId(), to: useId() };
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
        <select id={ids.action} {...field('action')} data-testid="audit-filter-action">
          <option value="">{t('gov.audit.anyAction')}</option>
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {actionLabel(a)}
            </option>
          ))}
          {draft.action && !AUDIT_ACTIONS.includes(draft.action) && <option value={draft.action}>{actionLabel(draft.action)}</option>}
        </select>
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
