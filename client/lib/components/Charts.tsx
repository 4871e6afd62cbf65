// Shared chart pieces: a sized frame, the series colours, percent ticks and a tooltip in the UI language.
import type { ReactElement, ReactNode } from 'react';
import { ResponsiveContainer } from 'recharts';

export const COLORS = {
  rate: '#1d4ed8',
  mean: '#475467',
  threshold: '#b42318',
  complaints: '#7c3aed',
  bar: '#2563eb',
  you: '#b42318',
  grid: '#e4e7ec',
};

export function ChartFrame({
  label,
  title,
  height = 280,
  children,
  summary,
  testId,
}: {
  label: string;
  title?: string;
  height?: number;
  children: ReactElement;
  summary?: ReactNode;
  testId?: string;
}) {
  return (
    <figure className="chart" data-testid={testId} aria-label={label}>
      {title && <h3 className="chart-title">{title}</h3>}
      <div className="chart-canvas" style={{ height }}>
        <ResponsiveContainer width="100%" height="100%" minWidth={200}>
          {children}
        </ResponsiveContainer>
      </div>
      {summary && <figcaption className="chart-summary">{summary}</figcaption>}
    </figure>
  );
}
