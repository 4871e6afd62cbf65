// Printing: progress lines on stderr while the bench runs, and the result table on stdout.

/** Progress of one piece of work on stderr, at most every 10 % (rewritten in place on a terminal). */
export function progress(what: string): (done: number, total: number) => void {
  const started = performance.now();
  let lastStep = -1;
  return (done, total) => {
    if (total <= 0) return;
    const percent = Math.min(100, Math.floor((done / total) * 100));
    const seconds = (performance.now() - started) / 1000;
    const line = `  ${what}: ${percent}% (${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}, ${seconds.toFixed(1)} s)`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}${percent === 100 ? '\n' : ''}`);
      return;
    }
    const step = Math.floor(percent / 10);
    if (step === lastStep) return;
    lastStep = step;
    process.stderr.write(`${line}\n`);
  };
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n) ? '-' : n < 10 ? `${n.toFixed(2)} ms` : n < 10_000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
export const ratio = (n: number) => (n >= 10 ? `${n.toFixed(1)}×` : `${n.toFixed(2)}×`);
export const pct = (n: number) => `${+(n * 100).toFixed(n < 0.1 ? 2 : 1)} %`;
export const mib = (bytes: number) => (bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : `${Math.round(bytes / (1 << 20))} MiB`);

export interface Line {
  what: string;
  figure: string;
  target?: string;
  /** true: met, false: missed, undefined: no target. */
  met?: boolean;
  /** A related figure, printed after the verdict. */
  note?: string;
}

/** A table of measure, figure, target and verdict, columns sized to their content. */
export function table(title: string, lines: Line[]): string {
  const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0);
  const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));
  const padStart = (s: string, n: number) => ' '.repeat(Math.max(0, n - width(s))) + s;
  const w1 = Math.max(...lines.map((l) => width(l.what)), 7);
  const w2 = Math.max(...lines.map((l) => width(l.figure)), 6);
  const w3 = Math.max(...lines.map((l) => width(l.target ?? '')), 6);
  const out = [title, `${padEnd('measure', w1)}  ${padStart('figure', w2)}  ${padEnd('target', w3)}  verdict  note`, '-'.repeat(w1 + w2 + w3 + 30)];
  for (const l of lines) {
    const verdict = l.met === undefined ? '' : l.met ? 'met' : 'MISSED';
    out.push(`${padEnd(l.what, w1)}  ${padStart(l.figure, w2)}  ${padEnd(l.target ?? '', w3)}  ${padEnd(verdict, 7)}  ${l.note ?? ''}`.trimEnd());
  }
  return out.join('\n');
}
