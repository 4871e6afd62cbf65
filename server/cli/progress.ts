// Progress on stderr for long work: a line rewritten in place on a terminal, every 10 % otherwise.
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (what: string, done: number, total: number) => void {
  const lastStep = new Map<string, number>();
  return (what, done, total) => {
    if (total <= 0) return;
    const percent = Math.min(100, Math.floor((done / total) * 100));
    if (stream.isTTY) {
      stream.write(`\r${what}: ${percent}%${percent === 100 ? '\n' : ''}`);
      return;
    }
    const step = Math.floor(percent / 10);
    if (lastStep.get(what) === step) return;
    lastStep.set(what, step);
    // Small files need no progress: only speak past a few megabytes.
    if (total >= 8 << 20) stream.write(`${what}: ${percent}%\n`);
  };
}
