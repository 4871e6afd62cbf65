// The queue of shops at a level on the stat date: sorted and filtered by the server, paged, exportable.
import { useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { createColumnHelper, getCoreRowModel, useReactTable, type ColumnDefTemplate, type RowData } from '@tanstack/react-table';
import { apiDownload, ApiError } from '../../lib/api';
import { formatDate, formatNumber, formatPercent, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { intParam, oneOf, patchedUrl, useUrlState } from '../../lib/url-state';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import {
  policyQueryOptions,
  useBulkDecision,
  useCategories,
  useFlagged,
  type DecisionAction,
  type FlaggedParams,
  type FlaggedSort,
  type Policy,
  type QueueItem,
  type ReviewFilter,
  type ShopMetrics,
} from '../../lib/queries';
import { DecisionError, ReviewAgeCell, ReviewButton, ReviewStateCell } from './ReviewControls';
import { ConfirmDialog } from '../../lib/components/ConfirmDialog';
import { DEFAULT_POLICY } from '../../lib/policy';
import { Pager } from './Pager';

export const PAGE_SIZE = 25;
// What the queue's columns say about themselves: the sort key they stand for, numeric alignment, a class.
declare module '@tanstack/react-table' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    sort?: FlaggedSort;
    numeric?: boolean;
    className?: string;
  }
}

const SORTS: readonly FlaggedSort[] = ['ratio', 'rate', 'interventions', 'orders', 'complaints', 'consecutiveFlaggedDays', 'level', 'shopId', 'age'];
const LEVELS = ['warning', 'restricted', 'severe'] as const;
const REVIEW_FILTERS: readonly ReviewFilter[] = ['new', 'in_review', 'decided', 'mine', 'unassigned'];
const REVIEW_FILTER_LABEL: Record<ReviewFilter, string> = {
  new: 'review.filterNew',
  in_review: 'review.filterInReview',
  decided: 'review.filterDecided',
  mine: 'review.filterMine',
  unassigned: 'review.filterUnassigned',
};

/** The queue's parameters from the address (sort, order, filters, page). */
export function useFlaggedParams(date: string): FlaggedParams & { page: number } {
  const url = useUrlState();
  const minRatio = Number(url.get('minRatio'));
  const page = intParam(url.get('page'), 1, 1);
  const level = url.get('level');
  return {
    date,
    categoryId: url.get('category') || undefined,
    level: LEVELS.includes(level as (typeof LEVELS)[number]) ? (level as (typeof LEVELS)[number]) : undefined,
    minRatio: url.get('minRatio') !== undefined && Number.isFinite(minRatio) && minRatio >= 0 ? minRatio : undefined,
    exempt: oneOf(url.get('exempt'), ['only', 'hide', ''] as const, '') || undefined,
    review: oneOf(url.get('review'), [...REVIEW_FILTERS, ''] as const, '') || undefined,
    assignee: url.get('assignee')?.trim() || undefined,
    sort: oneOf(url.get('sort'), SORTS, 'level'),
    order: oneOf(url.get('order'), ['asc', 'desc'] as const, 'desc'),
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    page,
  };
}

function Filters({ params }: { params: FlaggedParams }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const categories = useCategories(params.date);
  const categoryId = useId();
  const levelId = useId();
  const ratioId = useId();
  const exemptId = useId();
  const reviewId = useId();
  const assigneeId = useId();
  const [ratioText, setRatioText] = useState(params.minRatio === undefined ? '' : String(params.minRatio));

  // The ratio is typed: commit it to the address once typing pauses.
  useEffect(() => {
    const handle = setTimeout(() => {
      const value = ratioText.trim();
      const number = Number(value);
      if (value === '' || (Number.isFinite(number) && number >= 0)) {
        if ((value === '' ? undefined : number) !== params.minRatio) url.set({ minRatio: value === '' ? null : number, page: null });
      }
    }, 400);
    return () => clearTimeout(handle);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ratioText]);

  // Back/Forward changed the address: show its value (adjusted while rendering, not in an effect).
  const [shownMinRatio, setShownMinRatio] = useState(params.minRatio);
  if (shownMinRatio !== params.minRatio) {
    setShownMinRatio(params.minRatio);
    const local = ratioText.trim() === '' ? undefined : Number(ratioText);
    if (local !== params.minRatio) setRatioText(params.minRatio === undefined ? '' : String(params.minRatio));
  }

  return (
    <form className="filters" role="search" aria-label={t('queue.filters')} onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={categoryId}>{t('queue.category')}</label>
        {categories.data ? (
          <select
            id={categoryId}
            data-testid="filter-category"
            value={params.categoryId ?? ''}
            onChange={(e) => url.set({ category: e.target.value || null, page: null })}
          >
            <option value="">{t('queue.allCategories')}</option>
            {categories.data.categories.map((c) => (
              <option key={c.categoryId} value={c.categoryId}>
                {c.parentName ? `${c.parentName} / ` : ''}
                {c.categoryName} ({c.categoryId})
              </option>
            ))}
          </select>
        ) : (
          <input
            id={categoryId}
            data-testid="filter-category"
            defaultValue={params.categoryId ?? ''}
            placeholder={t('queue.categoryIdPlaceholder')}
            onBlur={(e) => url.set({ category: e.target.value.trim() || null, page: null })}
            onKeyDown={(e) => e.key === 'Enter' && url.set({ category: e.currentTarget.value.trim() || null, page: null })}
          />
        )}
      </div>
      <div className="field">
        <label htmlFor={levelId}>{t('queue.level')}</label>
        <select id={levelId} data-testid="filter-level" value={params.level ?? ''} onChange={(e) => url.set({ level: e.target.value || null, page: null })}>
          <option value="">{t('queue.allLevels')}</option>
          {LEVELS.map((level) => (
            <option key={level} value={level}>
              {t(`level.${level}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={exemptId}>{t('gov.queue.exempt')}</label>
        <select id={exemptId} data-testid="filter-exempt" value={params.exempt ?? ''} onChange={(e) => url.set({ exempt: e.target.value || null, page: null })}>
          <option value="">{t('gov.queue.exemptAll')}</option>
          <option value="hide">{t('gov.queue.exemptHide')}</option>
          <option value="only">{t('gov.queue.exemptOnly')}</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={reviewId}>{t('review.filter')}</label>
        <select id={reviewId} data-testid="filter-review" value={params.review ?? ''} onChange={(e) => url.set({ review: e.target.value || null, page: null })}>
          <option value="">{t('review.filterAll')}</option>
          {REVIEW_FILTERS.map((f) => (
            <option key={f} value={f}>
              {t(REVIEW_FILTER_LABEL[f])}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={assigneeId}>{t('review.assignee')}</label>
        <input
          id={assigneeId}
          key={params.assignee ?? ''}
          data-testid="filter-assignee"
          defaultValue={params.assignee ?? ''}
          placeholder={t('review.assigneePlaceholder')}
          onBlur={(e) => url.set({ assignee: e.target.value.trim() || null, page: null })}
          onKeyDown={(e) => e.key === 'Enter' && url.set({ assignee: e.currentTarget.value.trim() || null, page: null })}
        />
      </div>
      <div className="field">
        <label htmlFor={ratioId}>{t('queue.minRatio')}</label>
        <input
          id={ratioId}
          data-testid="filter-min-ratio"
          type="number"
          inputMode="decimal"
          min={0}
          step={0.1}
          value={ratioText}
          onChange={(e) => setRatioText(e.target.value)}
        />
      </div>
    </form>
  );
}

function SortHeader({ id, label, params }: { id: FlaggedSort; label: string; params: FlaggedParams }) {
  const { t } = useTranslation();
  const url = useUrlState();
  const active = params.sort === id;
  const nextOrder = active && params.order === 'desc' ? 'asc' : 'desc';
  return (
    <button
      type="button"
      className="sort-button"
      onClick={() => url.set({ sort: id === 'level' && nextOrder === 'desc' ? null : id, order: nextOrder === 'desc' ? null : nextOrder, page: null })}
      title={t('queue.sortBy', { column: label })}
    >
      {label}
      <span aria-hidden="true" className="sort-mark">
        {active ? (params.order === 'desc' ? ' ▼' : ' ▲') : ' ↕'}
      </span>
    </button>
  );
}

const column = createColumnHelper<QueueItem>();

/**
 * A column's header or cell as elements, by calling it. flexRender would mount it as a component whose type is
 * the function itself: the columns are made anew with each refetch or selection, so every cell would be
 * unmounted and mounted again — a refused claim's message (which names who has the shop) vanished at the
 * refetch the refusal starts, and a checkbox lost the keyboard focus. No cell function calls a hook.
 */
function renderPart<P extends object>(part: ColumnDefTemplate<P> | undefined, props: P): ReactNode {
  return typeof part === 'function' ? (part(props) as ReactNode) : (part ?? null);
}

/** What a reviewer should know about a row: an exemption, a lift that is near, why a shop not judged today is listed. */
export function RowNote({ metrics: m, policy }: { metrics: ShopMetrics; policy: Policy | undefined }) {
  const { t } = useTranslation();
  const lang = useLang();
  const notes: { key: string; text: string; className: string }[] = [];
  const exempted = m.restrictions.filter((r) => r.exemptUntil);
  if (exempted.length > 0) {
    const until = exempted.map((r) => r.exemptUntil!).sort()[0];
    notes.push({
      key: 'exempt',
      text: t(exempted.length === m.restrictions.length ? 'gov.queue.exemptedUntil' : 'gov.queue.partlyExempted', { date: formatDate(until, lang) }),
      className: 'pill pill-exempt',
    });
  }
  const lift = policy?.lift.afterUnflaggedDays ?? 0;
  if (policy && !m.judged) {
    const why: string[] = [];
    if (m.orders < policy.floors.minOrders)
      why.push(t('gov.queue.missingOrders', { count: policy.floors.minOrders - m.orders, min: formatNumber(policy.floors.minOrders, lang) }));
    if (m.interventions < policy.floors.minInterventions)
      why.push(
        t('gov.queue.missingCases', { count: policy.floors.minInterventions - m.interventions, min: formatNumber(policy.floors.minInterventions, lang) }),
      );
    if (why.length === 0) why.push(t('gov.queue.noRate'));
    notes.push({ key: 'judged', text: t('gov.queue.notJudged', { why: why.join(lang === 'zh' ? '；' : '; '), lift }), className: 'note-judged' });
  }
  if (policy && (m.level === 'restricted' || m.level === 'severe') && !m.flagged && m.unflaggedDays !== undefined && m.unflaggedDays > 0) {
    const left = Math.max(1, lift - m.unflaggedDays);
    notes.push({ key: 'lift', text: t('gov.queue.liftsIn', { count: left }), className: 'note-lift' });
  }
  if (notes.length === 0) return null;
  return (
    <span className="row-notes" data-testid="row-note">
      {notes.map((n) => (
        <span key={n.key} className={n.className} data-note={n.key}>
          {n.text}
        </span>
      ))}
    </span>
  );
}

interface Selection {
  selected: ReadonlySet<string>;
  toggle: (shopId: string) => void;
  setAll: (shopIds: string[], on: boolean) => void;
}

function QueueTable({
  items,
  params,
  categoryNames,
  selection,
  me,
  serviceDays,
}: {
  /** Items answered by a server without the shared queue carry no review: those cells show a dash. */
  items: (ShopMetrics & { review?: QueueItem['review'] })[];
  params: FlaggedParams;
  categoryNames: Map<string, string>;
  selection: Selection;
  me?: string;
  serviceDays?: number;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  // Each row is judged under the version in force on its day: its floors and its lift rule. Asked only when a
  // row needs them (a shop not judged today, or one that could lift).
  const needsPolicy = items.some((m) => !m.judged || ((m.level === 'restricted' || m.level === 'severe') && !m.flagged));
  const policyQuery = useQuery({ ...policyQueryOptions(), enabled: needsPolicy });
  const policyInfo = policyQuery.data;
  const policyError = policyQuery.isError;
  const policyOf = useMemo(() => {
    const byVersion = new Map((policyInfo?.versions ?? []).map((v) => [v.version, v.policy]));
    const fallback = policyInfo?.active ?? (policyError ? DEFAULT_POLICY : undefined);
    return (version: string): Policy | undefined => byVersion.get(version) ?? fallback;
  }, [policyInfo, policyError]);
  const allSelected = items.length > 0 && items.every((m) => selection.selected.has(m.shopId));
  const columns = useMemo(
    () => [
      column.display({
        id: 'select',
        header: () => (
          <input
            type="checkbox"
            aria-label={t('queue.bulk.selectAll')}
            checked={allSelected}
            onChange={(e) =>
              selection.setAll(
                items.map((m) => m.shopId),
                e.target.checked,
              )
            }
            data-testid="select-all"
          />
        ),
        cell: (info) => (
          <input
            type="checkbox"
            aria-label={t('queue.bulk.select', { shop: info.row.original.shopId })}
            checked={selection.selected.has(info.row.original.shopId)}
            onChange={() => selection.toggle(info.row.original.shopId)}
            data-testid={`select-${info.row.original.shopId}`}
          />
        ),
      }),
      column.accessor('shopId', {
        header: t('queue.shop'),
        meta: { sort: 'shopId', className: 'cell-shop' },
        cell: (info) => (
          <a
            href={patchedUrl(url.params.toString(), { tab: 'shop', shop: info.getValue() })}
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              url.set({ tab: 'shop', shop: info.getValue() });
            }}
          >
            {info.row.original.shopName}
            <span className="mono muted"> {info.getValue()}</span>
            {info.row.original.restrictions.some((r) => r.exemptUntil) && <span className="pill pill-exempt"> {t('queue.exempted')}</span>}
          </a>
        ),
      }),
      column.display({
        id: 'review',
        header: t('review.column'),
        meta: { className: 'cell-review' },
        cell: (info) => (
          <>
            <ReviewStateCell review={info.row.original.review} me={me} />{' '}
            <ReviewButton shopId={info.row.original.shopId} review={info.row.original.review} me={me} />
          </>
        ),
      }),
      column.display({
        id: 'age',
        header: t('review.age'),
        // Sorted by the server (sort=age): the longest waiting first.
        meta: { sort: 'age', className: 'nowrap' },
        cell: (info) => <ReviewAgeCell review={info.row.original.review} serviceDays={serviceDays} compact />,
      }),
      column.accessor('categoryId', { header: t('queue.category'), cell: (info) => categoryNames.get(info.getValue()) ?? info.getValue() }),
      column.accessor('level', { header: t('metric.level'), meta: { sort: 'level' }, cell: (info) => <LevelBadge level={info.getValue()} /> }),
      column.accessor('ratio', { header: t('metric.ratio'), meta: { sort: 'ratio', numeric: true }, cell: (info) => formatRatio(info.getValue(), lang) }),
      column.accessor('rate', { header: t('metric.rate'), meta: { sort: 'rate', numeric: true }, cell: (info) => formatPercent(info.getValue(), lang) }),
      column.accessor('categoryMean', { header: t('metric.categoryMean'), meta: { numeric: true }, cell: (info) => formatPercent(info.getValue(), lang) }),
      column.accessor('interventions', {
        header: t('metric.interventions'),
        meta: { sort: 'interventions', numeric: true },
        cell: (info) => formatNumber(info.getValue(), lang),
      }),
      column.accessor('orders', { header: t('metric.orders'), meta: { sort: 'orders', numeric: true }, cell: (info) => formatNumber(info.getValue(), lang) }),
      column.accessor('complaints', {
        header: t('metric.complaints'),
        meta: { sort: 'complaints', numeric: true },
        cell: (info) => formatNumber(info.getValue(), lang),
      }),
      column.accessor('consecutiveFlaggedDays', {
        header: t('metric.consecutiveFlaggedDays'),
        meta: { sort: 'consecutiveFlaggedDays', numeric: true },
        cell: (info) => formatNumber(info.getValue(), lang),
      }),
      column.accessor('restrictions', {
        header: t('queue.restrictedSince'),
        meta: { className: 'nowrap' },
        cell: (info) => {
          const since = info
            .getValue()
            .map((r) => r.since)
            .sort()[0];
          return since ? formatDate(since, lang) : '—';
        },
      }),
      column.display({
        id: 'note',
        header: t('gov.queue.note'),
        meta: { className: 'cell-note' },
        cell: (info) => <RowNote metrics={info.row.original} policy={policyOf(info.row.original.policyVersion)} />,
      }),
    ],
    [t, lang, url, categoryNames, policyOf, selection, items, allSelected, me, serviceDays],
  );
  const table = useReactTable({
    data: items as QueueItem[],
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualPagination: true,
    getRowId: (row) => row.shopId,
  });

  return (
    <TableScroll label={t('queue.title')}>
      <table className="table" data-testid="flagged-table">
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const meta = header.column.columnDef.meta;
                const label = String(header.column.columnDef.header);
                const sorted = meta?.sort && params.sort === meta.sort ? (params.order === 'asc' ? 'ascending' : 'descending') : undefined;
                return (
                  <th key={header.id} scope="col" aria-sort={sorted} className={meta?.numeric ? 'num' : undefined}>
                    {meta?.sort ? <SortHeader id={meta.sort} label={label} params={params} /> : renderPart(header.column.columnDef.header, header.getContext())}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr
              key={row.id}
              data-shop-id={row.id}
              data-exempted={row.original.restrictions.some((r) => r.exemptUntil) || undefined}
              data-review-state={row.original.review?.state}
              data-past-service={row.original.review?.pastService || undefined}
              className={row.original.review?.pastService ? 'row-past-service' : undefined}
            >
              {row.getVisibleCells().map((cell) => {
                const meta = cell.column.columnDef.meta;
                return (
                  <td key={cell.id} className={meta?.numeric ? 'num' : meta?.className}>
                    {renderPart(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function ExportButton({ params }: { params: FlaggedParams }) {
  const { t } = useTranslation();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const exportCsv = async () => {
    setState({ busy: true, error: null });
    try {
      const { limit: _limit, offset: _offset, ...filters } = params;
      // The shared queue's export (GET /api/queue): the queue's filters and each shop's review columns.
      await apiDownload('/queue', { ...filters, limit: 1000, offset: 0, format: 'csv' }, `queue-${params.date}.csv`);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: error instanceof ApiError ? error.message : String(error) });
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void exportCsv()} disabled={state.busy} data-testid="export-csv">
        {state.busy ? t('common.working') : t('queue.export')}
      </button>
      {state.error && (
        <span role="alert" className="field-error">
          {state.error}
        </span>
      )}
    </>
  );
}

const BULK_ACTIONS: DecisionAction[] = ['confirm', 'exempt', 'lift_early', 'note'];

/** One decision with one reason on the selected shops: each recorded and audited on its own. */
function BulkBar({ shopIds, date, onDone }: { shopIds: string[]; date: string; onDone: (recorded: number) => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const bulk = useBulkDecision();
  const [action, setAction] = useState<DecisionAction>('confirm');
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [confirming, setConfirming] = useState(false);
  const actionId = useId();
  const reasonId = useId();
  const untilId = useId();
  const ready = reason.trim().length >= 3 && (action !== 'exempt' || until >= date);
  // reassign: take over the shops someone else has in review (after the server refused and named them).
  const send = (reassign?: boolean) =>
    bulk.mutate(
      { shopIds, action, reason: reason.trim(), ...(action === 'exempt' ? { until } : {}), ...(reassign ? { reassign } : {}) },
      {
        onSettled: () => setConfirming(false),
        onSuccess: (answer) => {
          setReason('');
          onDone(answer.decisions.length);
        },
      },
    );
  return (
    <div className="bulk-bar" role="region" aria-label={t('queue.bulk.title')} data-testid="bulk-bar">
      <strong>{t('queue.bulk.selected', { count: shopIds.length })}</strong>
      <div className="field-inline">
        <label htmlFor={actionId}>{t('decision.action.label')}</label>
        <select id={actionId} value={action} onChange={(e) => setAction(e.target.value as DecisionAction)} data-testid="bulk-action">
          {BULK_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {t(`decision.action.${a}`)}
            </option>
          ))}
        </select>
      </div>
      {action === 'exempt' && (
        <div className="field-inline">
          <label htmlFor={untilId}>{t('queue.bulk.until')}</label>
          <input id={untilId} type="date" min={date} value={until} onChange={(e) => setUntil(e.target.value)} data-testid="bulk-until" />
        </div>
      )}
      <div className="field-inline field-wide">
        <label htmlFor={reasonId}>{t('decision.reason')}</label>
        <input id={reasonId} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} data-testid="bulk-reason" />
      </div>
      <button type="button" className="button button-primary" disabled={!ready || bulk.isPending} onClick={() => setConfirming(true)} data-testid="bulk-decide">
        {t('queue.bulk.decide', { count: shopIds.length })}
      </button>
      {bulk.isError && <DecisionError error={bulk.error} busy={bulk.isPending} onTakeOver={() => send(true)} />}
      {confirming && (
        <ConfirmDialog
          title={t('queue.bulk.confirmTitle', { count: shopIds.length })}
          confirmLabel={t('queue.bulk.decide', { count: shopIds.length })}
          busy={bulk.isPending}
          danger={action === 'lift_early' || action === 'exempt'}
          onCancel={() => setConfirming(false)}
          onConfirm={() => send()}
        >
          <p>
            {t('queue.bulk.confirmText', {
              action: t(`decision.action.${action}`),
              shops: shopIds.join(', '),
              until: action === 'exempt' ? formatDate(until, lang) : '',
            })}
          </p>
          <p className="muted">{t('queue.bulk.eachRecorded')}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

/** `me`: the signed-in reviewer's subject (their own claims read "you" and offer Release). */
export function FlaggedQueue({ date, me }: { date: string; me?: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const url = useUrlState();
  const { page, ...params } = useFlaggedParams(date);
  const flagged = useFlagged(params);
  const categories = useCategories(date);
  const categoryNames = useMemo(() => new Map((categories.data?.categories ?? []).map((c) => [c.categoryId, c.categoryName])), [categories.data]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // How many decisions the last bulk decision recorded: said after the bar (and the selection) is gone.
  const [recorded, setRecorded] = useState<number | null>(null);
  const selection = useMemo<Selection>(
    () => ({
      selected,
      toggle: (shopId) =>
        setSelected((now) => {
          const next = new Set(now);
          if (!next.delete(shopId)) next.add(shopId);
          return next;
        }),
      setAll: (shopIds, on) =>
        setSelected((now) => {
          const next = new Set(now);
          for (const id of shopIds) {
            if (on) next.add(id);
            else next.delete(id);
          }
          return next;
        }),
    }),
    [selected],
  );

  return (
    <Section title={t('queue.title')} actions={<ExportButton params={params} />}>
      <Filters params={params} />
      <QueryState query={flagged} isEmpty={(data) => data.items.length === 0} empty={t('queue.empty', { date: formatDate(date, lang) })}>
        {(data) => (
          <div aria-busy={flagged.isFetching} className={flagged.isPlaceholderData ? 'stale' : undefined}>
            {selected.size > 0 && (
              <BulkBar
                shopIds={[...selected]}
                date={params.date}
                onDone={(count) => {
                  setSelected(new Set());
                  setRecorded(count);
                }}
              />
            )}
            {selected.size === 0 && recorded !== null && (
              <p role="status" className="field-ok" data-testid="bulk-done">
                {t('queue.bulk.done', { count: recorded })}
              </p>
            )}
            <QueueTable items={data.items} params={params} categoryNames={categoryNames} selection={selection} me={me} serviceDays={data.serviceDays} />
            <Pager page={page} pageSize={PAGE_SIZE} total={data.total} onPage={(next) => url.set({ page: next === 1 ? null : next })} />
          </div>
        )}
      </QueryState>
    </Section>
  );
}
