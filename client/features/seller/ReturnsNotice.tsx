// When restrictions come back if nothing changes: after an early lift (or an accepted appeal) or under an
// exemption, while the shop is still flagged. The server walks the projected days under the policy in force
// on each (forecast `returns`); the seller and the reviewer see the same sentences. `ifLifted`: what an
// early lift today would leave (shown before accepting an appeal).
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../lib/format';
import { useLang } from '../../lib/i18n';
import type { Forecast } from '../../lib/queries';

type Returns = NonNullable<Forecast['returns']>;

export function ReturnsLines({ returns, testId = 'returns' }: { returns: Returns; testId?: string }) {
  const { t } = useTranslation();
  const lang = useLang();
  // In date order: under an exemption of a restricted episode, severe can come first.
  const lines = [returns.restrictedOn && { key: 'restricted', date: returns.restrictedOn }, returns.severeOn && { key: 'severe', date: returns.severeOn }]
    .filter((line): line is { key: string; date: string } => !!line)
    .sort((a, b) => a.date.localeCompare(b.date));
  return (
    <ul className="returns" data-testid={testId} data-restricted-on={returns.restrictedOn ?? ''} data-severe-on={returns.severeOn ?? ''}>
      {lines.map((line) => (
        <li key={line.key}>{t(`returns.${line.key}`, { date: formatDate(line.date, lang) })}</li>
      ))}
    </ul>
  );
}

export function ReturnsNotice({ returns, flaggedToday }: { returns: Returns; flaggedToday: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-warn" role="note" data-testid="returns-notice">
      <p className="notice-title">{t(flaggedToday ? 'returns.titleFlagged' : 'returns.title')}</p>
      <ReturnsLines returns={returns} />
      <p className="muted">{t('returns.unless')}</p>
    </div>
  );
}
