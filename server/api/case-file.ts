// The case file (server/governance/case-file.ts) as CSV and as a printable page. The CSV is one table of six
// columns — section, id, date, field, value, detail — one row per number, restriction, episode, case, decision,
// appeal, review and audit entry, so that it sorts and filters in a spreadsheet; every text cell goes through
// escapeCsvText (no cell runs as a formula). The page is plain HTML (no script), every value escaped, with a
// print style sheet.
import { stringify } from 'csv-stringify/sync';
import type { CaseFile } from '../contracts/governance.js';
import { escapeCsvText } from './csv.js';

type Row = [section: string, id: string, date: string, field: string, value: string | number | boolean | null, detail: string];

const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const join = (parts: (string | null | undefined | false)[]) => parts.filter((p): p is string => !!p).join('; ');

export function caseFileRows(file: CaseFile): Row[] {
  const m = file.metrics;
  const rows: Row[] = [
    ['file', file.shopId, file.date, 'generated', file.generatedAt, `by ${file.generatedBy}`],
    ['shop', file.shopId, file.date, 'name', file.shopName, ''],
    ['shop', file.shopId, file.date, 'category', file.categoryId, file.categoryName],
    ['shop', file.shopId, file.date, 'window', `${file.window.from}..${file.window.to}`, `count basis ${file.countBasis}`],
  ];
  const numbers: [string, number | string | boolean | null][] = [
    ['orders', m.orders],
    ['interventions', m.interventions],
    ['complaints', m.complaints],
    ['rate', m.rate],
    ['category_mean', m.categoryMean],
    ['ratio', m.ratio],
    ['judged', m.judged],
    ['flagged', m.flagged],
    ['level', m.level],
    ['consecutive_flagged_days', m.consecutiveFlaggedDays],
    ['policy_version', m.policyVersion],
  ];
  for (const [field, value] of numbers) rows.push(['numbers', file.shopId, file.date, field, value, '']);
  for (const r of m.restrictions)
    rows.push(['restriction', r.code, r.since, 'policy_version', r.policyVersion ?? '', r.exemptUntil ? `exempt until ${r.exemptUntil}` : '']);
  for (const e of file.episodes)
    rows.push([
      'episode',
      e.level,
      e.start,
      'end',
      e.end ?? '',
      join([`policy ${e.policyVersion}`, `${e.interventions} of ${e.orders} orders`, e.ratio !== null && `ratio ${e.ratio}`, `${e.flaggedDays} flagged days`]),
    ]);
  for (const c of file.cases)
    rows.push([
      'case',
      c.caseId,
      c.openedDay,
      c.kind,
      c.why,
      join([
        `order ${c.orderId}`,
        c.reason && `reason ${c.reason}`,
        `status ${c.status}`,
        c.outcome && `outcome ${c.outcome}`,
        c.excluded && `excluded: ${c.exclusionReason ?? ''}`,
        c.countsOn && c.why !== 'excluded' && `counts on ${c.countsOn}`,
        c.sameOrderAs && `same order as ${c.sameOrderAs}`,
      ]),
    ]);
  for (const d of file.decisions)
    rows.push([
      'decision',
      String(d.id),
      d.at,
      d.action,
      d.actor,
      join([d.reason, d.until && `until ${d.until}`, d.episodeStart && `episode ${d.episodeStart}`]),
    ]);
  for (const a of file.appeals)
    rows.push([
      'appeal',
      String(a.id),
      a.createdAt,
      a.state,
      a.createdBy,
      join([a.text, a.answeredBy && `answered by ${a.answeredBy} ${a.answeredAt ?? ''}: ${a.answerReason ?? ''}`]),
    ]);
  const r = file.review.review;
  if (r)
    rows.push([
      'review',
      file.shopId,
      r.enteredOn,
      r.state,
      r.assignee ?? '',
      join([`${r.ageDays} days in the queue`, r.pastService && 'past the service time', r.decidedBy && `decided by ${r.decidedBy} ${r.decidedAt ?? ''}`]),
    ]);
  for (const e of file.audit) rows.push(['audit', String(e.id), e.at, e.action, e.actor, text(e.details)]);
  return rows;
}

export function caseFileCsv(file: CaseFile): string {
  // A BOM so that spreadsheet programs read the Chinese names as UTF-8.
  return (
    '\ufeff' +
    stringify(
      caseFileRows(file).map((row) => row.map((v) => (v === null ? '' : v))),
      {
        header: true,
        columns: ['section', 'id', 'date', 'field', 'value', 'detail'],
        cast: { string: escapeCsvText, boolean: (v) => String(v) },
      },
    )
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: unknown): string => text(v).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);

const SECTION_TITLES: Record<string, string> = {
  numbers: 'Numbers 指标',
  restriction: 'Restrictions in force 生效中的限制（policy version 策略版本）',
  episode: 'Restriction episodes 限制周期',
  case: 'Cases in the window 窗口内的案件（why 是否计入）',
  decision: 'Decisions 决定',
  appeal: 'Appeals 申诉',
  review: 'Shared queue 共享队列',
  audit: 'Audit log 审计日志',
};
/** Per section, the page's headers for the CSV's id, date, field, value and detail columns ('': not shown). */
const HEADERS: Record<string, [string, string, string, string, string]> = {
  numbers: ['', 'date', 'measure', 'value', ''],
  restriction: ['code', 'since', '', 'policy version', 'exemption'],
  episode: ['level', 'start', '', 'end', 'numbers'],
  case: ['case', 'opened', 'kind', 'why', 'detail'],
  decision: ['id', 'at', 'action', 'by', 'reason'],
  appeal: ['id', 'filed', 'state', 'by', 'text and answer'],
  review: ['shop', 'entered', 'state', 'assignee', 'detail'],
  audit: ['id', 'at', 'action', 'by', 'details'],
};

/** The case file as one printable HTML page (no script; print with the browser). */
export function caseFileHtml(file: CaseFile): string {
  const rows = caseFileRows(file);
  const sections = Object.keys(SECTION_TITLES).map((section) => {
    const mine = rows.filter((r) => r[0] === section);
    // A column without a header says nothing in that section (the shop id on every number, a fixed field name).
    const shown = HEADERS[section].flatMap((h, k) => (h ? [{ h, k: k + 1 }] : []));
    const body =
      mine.length === 0
        ? `<p class="none">None. 无。</p>`
        : `<table><thead><tr>${shown.map(({ h }) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${mine
            .map((r) => `<tr>${shown.map(({ k }) => `<td>${esc(r[k])}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`;
    return `<section><h2>${esc(SECTION_TITLES[section])}</h2>${body}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Case file ${esc(file.shopId)} ${esc(file.date)}</title>
<style>
body{font:14px/1.45 system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem;color:#111}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#eee}.meta{color:#444}.none{color:#555}
@media print{.screen-only{display:none}body{margin:0;font-size:11px}section{break-inside:avoid-page}th{background:none}}
</style></head><body>
<p class="meta screen-only">Print this page (Ctrl+P or ⌘P) for the decision record. 打印本页（Ctrl+P 或 ⌘P）存档。</p>
<h1>Case file 案卷 — ${esc(file.shopName)} (${esc(file.shopId)})</h1>
<p class="meta">Stat date 统计日 ${esc(file.date)} · window 窗口 ${esc(file.window.from)} … ${esc(file.window.to)} · category 类目 ${esc(file.categoryName)} (${esc(
    file.categoryId,
  )}) · policy 策略 ${esc(file.metrics.policyVersion)} · generated 生成于 ${esc(file.generatedAt)} by ${esc(file.generatedBy)}</p>
${sections.join('\n')}
</body></html>
`;
}
