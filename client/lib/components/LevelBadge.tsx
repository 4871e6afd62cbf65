// A level is shown by colour, shape and word together, never by colour alone.
import { useTranslation } from 'react-i18next';
import type { Level } from '../queries';

const SHAPES: Record<Level, string> = { none: '○', warning: '▲', restricted: '■', severe: '◆' };

export function LevelBadge({ level, testId }: { level: Level; testId?: string }) {
  const { t } = useTranslation();
  return (
    <span className={`level-badge level-${level}`} data-testid={testId} data-value={level}>
      <span aria-hidden="true">{SHAPES[level]} </span>
      {t(`level.${level}`)}
    </span>
  );
}

/** Chart colours per level (shading; the legend and badges carry the words). */
export const LEVEL_FILL: Record<Level, string> = { none: 'transparent', warning: '#f5c451', restricted: '#ef8a4c', severe: '#c0392b' };
