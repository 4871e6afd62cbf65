// The shop's levels over time as one band, plus the restriction episodes with the numbers behind them
// and the decisions taken on them.
import { useTranslation } from 'react-i18next';
import { daysBetween, formatDate, formatDateTime, formatNumber, formatPercent, formatRatio } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import { Section, TableScroll } from '../../lib/components/Section';
import { QueryState } from '../../lib/components/QueryState';
import { LevelBadge } from '../../lib/components/LevelBadge';
import { useHistory, type History } from '../../lib/queries';

function Band({ periods }: { periods: History['periods'] }) {
  const { t } = useTranslation();
  const lang = useLang();
  const first = periods[0].from;
  const last = periods[periods.length - 1].to;
  const total = daysBetween(first, last) + 1;
  return (
    <>
      <div className="timeline-band" aria-hidden="true">
        {periods.map((p) => {
          const days = daysBetween(p.from, p.to) + 1;
          return (
            <span
              key={`${p.from}-${p.level}`}
              className={`timeline-seg level-${p.level}`}
              style={{ width: `${(100 * days) / total}%` }}
              title={`${t(`level.${p.level}`)}: ${formatDate(p.from, lang)} – ${formatDate(p.to, lang)}`}
            />
          );
        })}
      </div>
      <div className="timeline-axis muted" aria-hidden="true">
        <span>{formatDate(first, lang)}</span>
        <span>{formatDate(last, lang)}</span>
      </div>
      <ol className="timeline-list" aria-label={t('history.periods')}>
        {periods
          .filter((p) => p.level !== 'none')
          .map((p) => (
            <li key={`${p.from}-${p.level}`}>
              <LevelBadge level={p.level} /> {formatDate(p.from, lang)} – {formatDate(p.to, lang)} (
              {t('history.days', { count: daysBetween(p.from, p.to) + 1 })})
            </li>
          ))}
      </ol>
    </>
  );
}

/** The days the level changed (the evaluator's automatic changes), from one period to the next. */
export function levelChanges(
  periods: History['periods'],
): { date: string; from: History['periods'][number]['level']; to: History['periods'][number]['level'] }[] {
  return periods.slice(1).map((p, i) => ({ date: p.from, from: periods[i].level, to: p.level }));
}

function LevelChanges({ periods }: { periods: History['periods'] }) {
  const { t } = useTranslation();
  const lang = useLang();
  const changes = levelChanges(periods);
  return (
    <>
      <h3>{t('gov.timeline.changes')}</h3>
      {changes.length === 0 ? (
        <p className="muted">{t('gov.timeline.noChanges')}</p>
      ) : (
        <ol className="level-changes" data-testid="level-changes">
          {changes.map((c) => (
            <li key={c.date} data-date={c.date} data-from={c.from} data-to={c.to}>
              {t('gov.timeline.change', { date: formatDate(c.date, lang), from: t(`level.${c.from}`), to: t(`level.${c.to}`) })}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

export function LevelTimeline({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  const history = useHistory(shopId);
  return (
    <Section title={t('history.title')} testId="level-timeline">
      <QueryState query={history} isEmpty={(data) => data.periods.length === 0 && data.decisions.length === 0} empty={t('history.empty')}>
        {(data) => (
          <>
            {data.periods.length > 0 && <Band periods={data.periods} />}
            {data.periods.length > 0 && <LevelChanges periods={data.periods} />}
            <h3>{t('history.episodes')}</h3>
            {data.episodes.length === 0 ? (
              <p className="muted">{t('history.noEpisodes')}</p>
            ) : (
              <TableScroll label={t('history.episodes')}>
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">{t('metric.level')}</th>
                      <th scope="col">{t('history.start')}</th>
                      <th scope="col">{t('history.end')}</th>
                      <th scope="col" className="num">
                        {t('metric.orders')}
                      </th>
                      <th scope="col" className="num">
                        {t('metric.interventions')}
                      </th>
                      <th scope="col" className="num">
                        {t('metric.rate')}
                      </th>
                      <th scope="col" className="num">
                        {t('metric.categoryMean')}
                      </th>
                      <th scope="col" className="num">
                        {t('metric.ratio')}
                      </th>
                      <th scope="col" className="num">
                        {t('history.flaggedDays')}
                      </th>
                      <th scope="col">{t('history.restrictions')}</th>
                      <th scope="col">{t('history.policy')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.episodes.map((e) => (
                      <tr key={`${e.start}-${e.level}`}>
                        <td>
                          <LevelBadge level={e.level} />
                        </td>
                        <td>{formatDate(e.start, lang)}</td>
                        <td>{e.end ? formatDate(e.end, lang) : t('history.ongoing')}</td>
                        <td className="num">{formatNumber(e.orders, lang)}</td>
                        <td className="num">{formatNumber(e.interventions, lang)}</td>
                        <td className="num">{formatPercent(e.rate, lang)}</td>
                        <td className="num">{formatPercent(e.categoryMean, lang)}</td>
                        <td className="num">{formatRatio(e.ratio, lang)}</td>
                        <td className="num">{formatNumber(e.flaggedDays, lang)}</td>
                        <td>{e.codes.map((code) => t(`restrictionShort.${code}`, { defaultValue: code })).join(lang === 'zh' ? '、' : ', ')}</td>
                        <td className="mono" data-testid="episode-policy-version">
                          {e.policyVersion}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
            <h3>{t('history.decisions')}</h3>
            {data.decisions.length === 0 ? (
              <p className="muted">{t('history.noDecisions')}</p>
            ) : (
              <ul className="decision-list" data-testid="decision-list">
                {data.decisions.map((d) => (
                  <li key={d.id}>
                    <strong>{t(`decision.action.${d.action}`)}</strong>
                    {d.until && <> · {t('decision.untilDate', { date: formatDate(d.until, lang) })}</>} · {d.reason}
                    <div className="muted">
                      {d.actor} · {formatDateTime(d.at, lang)}
                      {d.episodeStart && <> · {t('decision.episode', { date: formatDate(d.episodeStart, lang) })}</>}
                      {d.episodeStart && data.episodes.find((e) => e.start === d.episodeStart) && (
                        <> · {t('gov.timeline.episodePolicy', { version: data.episodes.find((e) => e.start === d.episodeStart)!.policyVersion })}</>
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </QueryState>
    </Section>
  );
}
