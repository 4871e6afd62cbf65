// Try a policy before making it: edit the ratio, floors, run lengths and lift days; the counts per
// category and the shops that would enter or leave a level follow as you type (debounced). Admins can
// then activate the candidate as a new policy version.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../lib/api';
import { formatDate, formatDateTime, formatNumber, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { DEFAULT_POLICY } from '../../lib/policy';
import { Section, TableScroll } from '../../lib/components/Section';
import { ErrorState, Loading, QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { ConfirmDialog } from '../../lib/components/ConfirmDialog';
import { useActivatePolicy, usePolicy, useSimulation, type Activation, type Level, type Policy, type PolicyVersion, type Simulation } from '../../lib/queries';

export interface PolicyDraft {
  flagRatio: string;
  minOrders: string;
  minInterventions: string;
  restrictedAfter: string;
  severeAfter: string;
  liftAfter: string;
}

type DraftErrors = Partial<Record<keyof PolicyDraft, string>>;

/** The two header rows of a table by category with, under each level, the same columns (e.g. active, candidate, change). */
function LevelHeaderRows({ columns }: { columns: string[] }) {
  const { t } = useTranslation();
  return (
    <>
      <tr>
        <th scope="col" rowSpan={2}>
          {t('categories.category')}
        </th>
        {LEVELS.map((level) => (
          <th scope="colgroup" colSpan={columns.length} key={level} className="num">
            {t(`level.${level}`)}
          </th>
        ))}
      </tr>
      <tr>
        {LEVELS.flatMap((level) =>
          columns.map((label, i) => (
            <th scope="col" key={`${level}-${i}`} className="num">
              {label}
            </th>
          )),
        )}
      </tr>
    </>
  );
}

export function draftOf(policy: Policy): PolicyDraft {
  return {
    flagRatio: String(policy.flagRatio),
    minOrders: String(policy.floors.minOrders),
    minInterventions: String(policy.floors.minInterventions),
    restrictedAfter: String(policy.levels[0].afterFlaggedDays),
    severeAfter: String(policy.levels[1].afterFlaggedDays),
    liftAfter: String(policy.lift.afterUnflaggedDays),
  };
}

/** The candidate policy from the form, or the errors (message keys) per field. */
export function candidateOf(base: Policy, draft: PolicyDraft, version: string): { policy: Policy | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const num = (key: keyof PolicyDraft, check: (n: number) => boolean, message: string) => {
    const text = draft[key].trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n) || !check(n)) errors[key] = message;
    return n;
  };
  const isInt = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
  const flagRatio = num('flagRatio', (n) => n > 0 && n <= 1000, 'simulator.errors.ratio');
  const minOrders = num('minOrders', isInt(0, 1_000_000), 'simulator.errors.wholeFrom0');
  const minInterventions = num('minInterventions', isInt(0, 1_000_000), 'simulator.errors.wholeFrom0');
  const restrictedAfter = num('restrictedAfter', isInt(1, 365), 'simulator.errors.days');
  const severeAfter = num('severeAfter', isInt(1, 365), 'simulator.errors.days');
  const liftAfter = num('liftAfter', isInt(1, 365), 'simulator.errors.days');
  if (!errors.severeAfter && !errors.restrictedAfter && severeAfter < restrictedAfter) errors.severeAfter = 'simulator.errors.severeAfterRestricted';
  if (Object.keys(errors).length > 0) return { policy: null, errors };
  return {
    policy: {
      ...base,
      version,
      floors: { minOrders, minInterventions },
      flagRatio,
      levels: [
        { ...base.levels[0], afterFlaggedDays: restrictedAfter },
        { ...base.levels[1], afterFlaggedDays: severeAfter },
      ],
      lift: { afterUnflaggedDays: liftAfter },
    },
    errors,
  };
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const handle = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(handle);
  }, [value, ms]);
  return debounced;
}

const RANK: Record<Level, number> = { none: 0, warning: 1, restricted: 2, severe: 3 };
const LEVELS = ['warning', 'restricted', 'severe'] as const;

function Delta({ from, to }: { from: number; to: number }) {
  const lang = useLang();
  const d = to - from;
  if (d === 0) return <span className="delta delta-zero">±0</span>;
  return <span className={`delta ${d > 0 ? 'delta-up' : 'delta-down'}`}>{d > 0 ? `+${formatNumber(d, lang)}` : `−${formatNumber(-d, lang)}`}</span>;
}

function SimulationResults({ simulation }: { simulation: Simulation }) {
  const { t } = useTranslation();
  const lang = useLang();
  const totals = simulation.categories.reduce(
    (sum, c) => {
      for (const level of LEVELS) {
        sum.active[level] += c.active[level];
        sum.candidate[level] += c.candidate[level];
      }
      return sum;
    },
    { active: { warning: 0, restricted: 0, severe: 0 }, candidate: { warning: 0, restricted: 0, severe: 0 } },
  );
  const entering = simulation.changes.filter((c) => RANK[c.to] > RANK[c.from]);
  const leaving = simulation.changes.filter((c) => RANK[c.to] < RANK[c.from]);
  return (
    <>
      <p className="muted" role="status">
        {t('simulator.meta', { date: formatDate(simulation.date, lang), active: simulation.activeVersion, ms: formatNumber(simulation.ms, lang) })}
      </p>
      <p data-testid="simulation-effective-from">
        {simulation.effectiveFrom ? t('simulator.effectiveOn', { day: formatDate(simulation.effectiveFrom, lang) }) : t('simulator.effectiveFromStart')}
      </p>
      {!simulation.activatable && simulation.refusal && (
        <p role="alert" className="field-error" data-testid="simulation-refusal">
          {t('simulator.notActivatable', { reason: simulation.refusal })}
        </p>
      )}
      <TableScroll label={t('simulator.byCategory')}>
        <table className="table" data-testid="simulation-table">
          <caption>{t('simulator.byCategory')}</caption>
          <thead>
            <LevelHeaderRows columns={[t('simulator.active'), t('simulator.candidate'), t('simulator.change')]} />
          </thead>
          <tbody>
            {simulation.categories.map((c) => (
              <tr key={c.categoryId} data-category-id={c.categoryId}>
                <th scope="row">{c.categoryName}</th>
                {LEVELS.map((level) => [
                  <td key={`${level}-a`} className="num">
                    {formatNumber(c.active[level], lang)}
                  </td>,
                  <td key={`${level}-c`} className="num" data-level={level} data-value={c.candidate[level]}>
                    {formatNumber(c.candidate[level], lang)}
                  </td>,
                  <td key={`${level}-d`} className="num">
                    <Delta from={c.active[level]} to={c.candidate[level]} />
                  </td>,
                ])}
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="simulation-totals">
              <th scope="row">{t('simulator.total')}</th>
              {LEVELS.map((level) => [
                <td key={`${level}-a`} className="num">
                  {formatNumber(totals.active[level], lang)}
                </td>,
                <td key={`${level}-c`} className="num" data-level={level} data-value={totals.candidate[level]}>
                  {formatNumber(totals.candidate[level], lang)}
                </td>,
                <td key={`${level}-d`} className="num">
                  <Delta from={totals.active[level]} to={totals.candidate[level]} />
                </td>,
              ])}
            </tr>
          </tfoot>
        </table>
      </TableScroll>
      <div className="grid-2">
        <ChangeList title={t('simulator.entering', { count: entering.length })} changes={entering} testId="simulation-entering" />
        <ChangeList title={t('simulator.leaving', { count: leaving.length })} changes={leaving} testId="simulation-leaving" />
      </div>
    </>
  );
}

function ChangeList({ title, changes, testId }: { title: string; changes: Simulation['changes']; testId: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <div data-testid={testId}>
      <h3>{title}</h3>
      {changes.length === 0 ? (
        <p className="muted">{t('simulator.noChanges')}</p>
      ) : (
        <ul className="change-list">
          {changes.slice(0, 200).map((c) => (
            <li key={c.shopId}>
              <span className="mono">{c.shopId}</span> {c.shopName} · <LevelBadge level={c.from} /> → <LevelBadge level={c.to} /> · {formatRatio(c.ratio, lang)}
            </li>
          ))}
          {changes.length > 200 && <li className="muted">{t('simulator.more', { count: changes.length - 200 })}</li>}
        </ul>
      )}
    </div>
  );
}

function NumberField({
  name,
  label,
  draft,
  setDraft,
  errors,
  step,
  hint,
}: {
  name: keyof PolicyDraft;
  label: string;
  draft: PolicyDraft;
  setDraft: (d: PolicyDraft) => void;
  errors: DraftErrors;
  step: number;
  hint?: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  const errorId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        step={step}
        min={0}
        value={draft[name]}
        onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
        aria-invalid={!!errors[name]}
        aria-describedby={errorId}
        data-testid={`sim-${name}`}
      />
      <p id={errorId} className={errors[name] ? 'field-error' : 'muted'}>
        {errors[name] ? t(errors[name]) : (hint ?? ' ')}
      </p>
    </div>
  );
}

/** Activates exactly the candidate that was simulated, from the day the simulation applied it. */
type ActivateMutation = ReturnType<typeof useActivatePolicy>;

function ActivatePanel({
  candidate,
  simulation,
  activeVersion,
  activate,
  onActivated,
}: {
  candidate: Policy | null;
  simulation: Simulation | undefined;
  activeVersion: string;
  activate: ActivateMutation;
  onActivated: (simulation: Simulation, result: Activation) => void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const versionId = useId();
  const descriptionId = useId();
  const [version, setVersion] = useState('');
  const [description, setDescription] = useState('');
  const [confirming, setConfirming] = useState(false);
  const validVersion = /^[\w.-]{1,64}$/.test(version) && version !== activeVersion;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (candidate && validVersion) setConfirming(true);
  };
  return (
    <form className="activate" onSubmit={submit} noValidate>
      <h3>{t('simulator.activateTitle')}</h3>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={versionId}>{t('simulator.newVersion')}</label>
          <input
            id={versionId}
            value={version}
            onChange={(e) => setVersion(e.target.value)}
            placeholder="2026.12-custom"
            aria-invalid={version !== '' && !validVersion}
          />
          <p className={version !== '' && !validVersion ? 'field-error' : 'muted'}>{t('simulator.versionHint')}</p>
        </div>
        <div className="field field-wide">
          <label htmlFor={descriptionId}>{t('simulator.description')}</label>
          <input id={descriptionId} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        </div>
      </div>
      <button
        type="submit"
        className="button button-danger"
        disabled={!candidate || !simulation || !simulation.activatable || !validVersion || activate.isPending}
        data-testid="activate-policy"
      >
        {t('simulator.activate')}
      </button>
      {activate.isError && (
        <p role="alert" className="field-error">
          {activate.error instanceof ApiError ? activate.error.message : String(activate.error)}
        </p>
      )}
      {confirming && candidate && simulation && (
        <ConfirmDialog
          title={t('simulator.confirmTitle')}
          confirmLabel={t('simulator.activate')}
          danger
          busy={activate.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() =>
            activate.mutate(
              {
                policy: { ...candidate, version, description: description || candidate.description },
                effectiveFrom: simulation.effectiveFrom,
                date: simulation.date,
              },
              { onSuccess: (result) => onActivated(simulation, result), onSettled: () => setConfirming(false) },
            )
          }
        >
          <p data-testid="confirm-effective-from">
            {simulation.effectiveFrom
              ? t('simulator.confirmTextFrom', { version, active: activeVersion, day: formatDate(simulation.effectiveFrom, lang) })
              : t('simulator.confirmText', { version, active: activeVersion })}
          </p>
        </ConfirmDialog>
      )}
    </form>
  );
}

export function PolicySimulator({ date, canActivate }: { date: string; canActivate: boolean }) {
  const { t } = useTranslation();
  const policyQuery = usePolicy();
  // Held here, above the form: activation makes a new active version, which remounts the form (keyed by it);
  // what the activation did stays on screen until the admin dismisses it.
  const activate = useActivatePolicy();
  const [report, setReport] = useState<{ simulation: Simulation; result: Activation } | null>(null);
  if (policyQuery.isPending && !report) return <Loading />;
  // Without the policy endpoint the shipped default is the baseline (the server simulates against its own active one).
  const base = policyQuery.data?.active ?? DEFAULT_POLICY;
  return (
    <>
      {policyQuery.isError && <ErrorState error={policyQuery.error} onRetry={() => void policyQuery.refetch()} retrying={policyQuery.isFetching} />}
      {report && <ActivationReport simulation={report.simulation} result={report.result} onDismiss={() => setReport(null)} />}
      <SimulatorForm
        key={base.version}
        base={base}
        date={date}
        canActivate={canActivate}
        versions={policyQuery.data?.versions ?? []}
        title={t('simulator.title')}
        activate={activate}
        onActivated={(simulation, result) => setReport({ simulation, result })}
      />
    </>
  );
}

function VersionList({ versions }: { versions: PolicyVersion[] }) {
  const { t } = useTranslation();
  const lang = useLang();
  return (
    <details className="versions">
      <summary>{t('simulator.versionsTitle')}</summary>
      <TableScroll label={t('simulator.versionsTitle')}>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('simulator.version')}</th>
              <th scope="col">{t('simulator.effectiveFrom')}</th>
              <th scope="col">{t('simulator.createdBy')}</th>
              <th scope="col" className="num">
                {t('simulator.flagRatio')}
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.version}>
                <td className="mono">
                  {v.version} {v.active && <span className="pill pill-accepted">{t('simulator.active')}</span>}
                </td>
                <td>{v.effectiveFrom ? formatDate(v.effectiveFrom, lang) : '—'}</td>
                <td>
                  {v.createdBy} · {formatDateTime(v.createdAt, lang)}
                </td>
                <td className="num">{formatRatio(v.policy?.flagRatio, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}

function SimulatorForm({
  base,
  date,
  canActivate,
  versions,
  title,
  activate,
  onActivated,
}: {
  base: Policy;
  date: string;
  canActivate: boolean;
  versions: PolicyVersion[];
  title: string;
  activate: ActivateMutation;
  onActivated: (simulation: Simulation, result: Activation) => void;
}) {
  const { t } = useTranslation();
  const lang = useLang();
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(base));
  const debouncedDraft = useDebounced(draft, 350);
  const candidateVersion = `${base.version}-candidate`.slice(0, 64);
  const live = useMemo(() => candidateOf(base, draft, candidateVersion), [base, draft, candidateVersion]);
  const sent = useMemo(() => candidateOf(base, debouncedDraft, candidateVersion), [base, debouncedDraft, candidateVersion]);
  const [effectiveFrom, setEffectiveFrom] = useState('');
  const effectiveFromId = useId();
  const sentEffectiveFrom = useDebounced(effectiveFrom, 350);
  const simulation = useSimulation(
    sent.policy ?? base,
    date,
    /^\d{4}-\d{2}-\d{2}$/.test(sentEffectiveFrom) ? sentEffectiveFrom : undefined,
    sent.policy !== null,
  );
  const changed = JSON.stringify(draftOf(base)) !== JSON.stringify(draft);
  // Only the candidate that was simulated, with the day it was simulated from, can be activated.
  const settled =
    sent.policy !== null &&
    JSON.stringify(sent.policy) === JSON.stringify(live.policy) &&
    sentEffectiveFrom === effectiveFrom &&
    !simulation.isPlaceholderData &&
    !simulation.isFetching;

  return (
    <Section title={title} testId="policy-simulator">
      <p className="muted">
        {t('simulator.intro', { version: base.version, date: formatDate(date, lang) })}
        {versions.length > 0 && <> {t('simulator.versions', { count: versions.length })}</>}
      </p>
      <form className="filters sim-form" aria-label={t('simulator.form')} onSubmit={(e) => e.preventDefault()}>
        <NumberField
          name="flagRatio"
          label={t('simulator.flagRatio')}
          step={0.1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: formatRatio(base.flagRatio, lang) })}
        />
        <NumberField
          name="minOrders"
          label={t('simulator.minOrders')}
          step={1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: base.floors.minOrders })}
        />
        <NumberField
          name="minInterventions"
          label={t('simulator.minInterventions')}
          step={1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: base.floors.minInterventions })}
        />
        <NumberField
          name="restrictedAfter"
          label={t('simulator.restrictedAfter')}
          step={1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: base.levels[0].afterFlaggedDays })}
        />
        <NumberField
          name="severeAfter"
          label={t('simulator.severeAfter')}
          step={1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: base.levels[1].afterFlaggedDays })}
        />
        <NumberField
          name="liftAfter"
          label={t('simulator.liftAfter')}
          step={1}
          draft={draft}
          setDraft={setDraft}
          errors={live.errors}
          hint={t('simulator.activeValue', { value: base.lift.afterUnflaggedDays })}
        />
        <div className="field">
          <label htmlFor={effectiveFromId}>{t('simulator.effectiveFromField')}</label>
          <input
            id={effectiveFromId}
            type="date"
            value={effectiveFrom}
            max={date}
            onChange={(e) => setEffectiveFrom(e.target.value)}
            data-testid="sim-effectiveFrom"
          />
          <p className="muted">{t('simulator.effectiveFromHint', { date: formatDate(date, lang) })}</p>
        </div>
        <div className="field field-button">
          <button type="button" className="button" onClick={() => setDraft(draftOf(base))} disabled={!changed}>
            {t('simulator.reset')}
          </button>
        </div>
      </form>
      <div aria-busy={simulation.isFetching} className={simulation.isPlaceholderData || simulation.isFetching ? 'stale' : undefined}>
        {sent.policy === null ? (
          <p className="muted">{t('simulator.fixErrors')}</p>
        ) : simulation.isPending ? (
          <Loading label={t('simulator.running')} />
        ) : (
          <QueryState query={simulation} isEmpty={(data) => data.categories.length === 0} empty={t('simulator.empty')}>
            {(data) => <SimulationResults simulation={data} />}
          </QueryState>
        )}
      </div>
      {canActivate && (
        <ActivatePanel
          candidate={settled ? sent.policy : null}
          simulation={settled ? simulation.data : undefined}
          activeVersion={base.version}
          activate={activate}
          onActivated={onActivated}
        />
      )}
      {versions.length > 0 && <VersionList versions={versions} />}
    </Section>
  );
}

type Counts = Simulation['categories'][number]['candidate'];
const ZERO: Counts = { warning: 0, restricted: 0, severe: 0 };

export interface ActivationComparison {
  /** The activation's answer said what it did on the simulated date. */
  reported: boolean;
  agree: boolean;
  categories: { categoryId: string; categoryName: string; predicted: Counts; actual: Counts; agree: boolean }[];
  /** The shops whose level on the date moved, as activation reports them. */
  moved: NonNullable<Activation['outcome']>['changes'];
  /** Moves the simulation predicted that did not happen, and moves that happened unpredicted. */
  onlyPredicted: Simulation['changes'];
  onlyActual: NonNullable<Activation['outcome']>['changes'];
}

/** Sets what activation did on the simulated date beside what the simulation predicted (they must agree). */
export function compareActivation(simulation: Simulation, result: Activation): ActivationComparison {
  const outcome = result.outcome;
  if (!outcome || outcome.date !== simulation.date) {
    return { reported: false, agree: false, categories: [], moved: outcome?.changes ?? [], onlyPredicted: [], onlyActual: [] };
  }
  const ids = new Map<string, string>();
  for (const c of simulation.categories) ids.set(c.categoryId, c.categoryName);
  for (const c of outcome.categories) if (!ids.has(c.categoryId)) ids.set(c.categoryId, c.categoryName);
  const predictedBy = new Map(simulation.categories.map((c) => [c.categoryId, c.candidate]));
  const actualBy = new Map(outcome.categories.map((c) => [c.categoryId, c.levels]));
  const categories = [...ids]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([categoryId, categoryName]) => {
      const predicted = predictedBy.get(categoryId) ?? ZERO;
      const actual = actualBy.get(categoryId) ?? ZERO;
      return { categoryId, categoryName, predicted, actual, agree: LEVELS.every((l) => predicted[l] === actual[l]) };
    })
    .filter((c) => !c.agree || LEVELS.some((l) => c.actual[l] > 0));
  const key = (c: { shopId: string; from: Level; to: Level }) => `${c.shopId}:${c.from}>${c.to}`;
  const predictedMoves = new Set(simulation.changes.map(key));
  const actualMoves = new Set(outcome.changes.map(key));
  const onlyPredicted = simulation.changes.filter((c) => !actualMoves.has(key(c)));
  const onlyActual = outcome.changes.filter((c) => !predictedMoves.has(key(c)));
  const agree = categories.every((c) => c.agree) && onlyPredicted.length === 0 && onlyActual.length === 0;
  return { reported: true, agree, categories, moved: outcome.changes, onlyPredicted, onlyActual };
}

/** After activation: what it did on the simulated date beside the prediction; loud when they differ. */
function ActivationReport({ simulation, result, onDismiss }: { simulation: Simulation; result: Activation; onDismiss: () => void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const cmp = compareActivation(simulation, result);
  const date = formatDate(simulation.date, lang);
  const previous = result.previousVersion ?? simulation.activeVersion;
  return (
    <Section title={t('gov.activation.title', { date })} testId="activation-report" className={cmp.agree ? 'report-ok' : 'report-bad'}>
      <p role="status" className="field-ok" data-testid="activation-done">
        <span>
          {result.effectiveFrom
            ? t('simulator.activatedFrom', { version: result.version, day: formatDate(result.effectiveFrom, lang) })
            : t('simulator.activated', { version: result.version })}
        </span>{' '}
        <span>{t('gov.activation.replaced', { previous })}</span>
      </p>
      {!cmp.reported ? (
        <p role="alert" className="alert-loud" data-testid="activation-mismatch">
          {t('gov.activation.notReported', { date })}
        </p>
      ) : cmp.agree ? (
        <p className="field-ok" data-testid="activation-agrees">
          {t('gov.activation.agree', { count: cmp.moved.length, date })}
        </p>
      ) : (
        <p role="alert" className="alert-loud" data-testid="activation-mismatch">
          {t('gov.activation.disagree', {
            count: cmp.categories.filter((c) => !c.agree).length + cmp.onlyPredicted.length + cmp.onlyActual.length,
            date,
          })}
        </p>
      )}
      {cmp.reported && (
        <TableScroll label={t('gov.activation.table')}>
          <table className="table" data-testid="activation-table">
            <caption>{t('gov.activation.table')}</caption>
            <thead>
              <LevelHeaderRows columns={[t('gov.activation.predicted'), t('gov.activation.actual')]} />
            </thead>
            <tbody>
              {cmp.categories.map((c) => (
                <tr key={c.categoryId} data-category-id={c.categoryId} data-agree={c.agree} className={c.agree ? undefined : 'row-mismatch'}>
                  <th scope="row">
                    {c.categoryName}
                    {!c.agree && <strong className="mismatch-mark"> {t('gov.activation.differs')}</strong>}
                  </th>
                  {LEVELS.map((level) => [
                    <td key={`${level}-p`} className="num">
                      {formatNumber(c.predicted[level], lang)}
                    </td>,
                    <td key={`${level}-a`} className="num" data-level={level} data-value={c.actual[level]}>
                      {formatNumber(c.actual[level], lang)}
                    </td>,
                  ])}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <h3>{t('gov.activation.moved', { count: cmp.moved.length, date })}</h3>
      {cmp.moved.length === 0 ? (
        <p className="muted">{t('gov.activation.movedNone', { date })}</p>
      ) : (
        <ul className="change-list" data-testid="activation-moved">
          {cmp.moved.slice(0, 200).map((c) => (
            <li key={c.shopId}>
              <span className="mono">{c.shopId}</span> {c.shopName} · <LevelBadge level={c.from} /> → <LevelBadge level={c.to} />
            </li>
          ))}
          {cmp.moved.length > 200 && <li className="muted">{t('simulator.more', { count: cmp.moved.length - 200 })}</li>}
        </ul>
      )}
      {(cmp.onlyPredicted.length > 0 || cmp.onlyActual.length > 0) && (
        <ul className="change-list" data-testid="activation-unexpected">
          {cmp.onlyPredicted.map((c) => (
            <li key={`p-${c.shopId}`}>
              {t('gov.activation.onlyPredicted')}: <span className="mono">{c.shopId}</span> {c.shopName} · <LevelBadge level={c.from} /> →{' '}
              <LevelBadge level={c.to} />
            </li>
          ))}
          {cmp.onlyActual.map((c) => (
            <li key={`a-${c.shopId}`}>
              {t('gov.activation.onlyActual')}: <span className="mono">{c.shopId}</span> {c.shopName} · <LevelBadge level={c.from} /> →{' '}
              <LevelBadge level={c.to} />
            </li>
          ))}
        </ul>
      )}
      <p className="muted">{t('gov.activation.next', { version: result.version })}</p>
      <button type="button" className="button" onClick={onDismiss}>
        {t('gov.activation.dismiss')}
      </button>
    </Section>
  );
}
