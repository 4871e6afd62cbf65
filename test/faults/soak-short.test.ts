// The soak (bench/soak.ts) in short: ~10 s at 16 connections with uploads every 3 s. It must exit 0
// with no failed request, every upload loaded and a clean server shutdown. The long run is
// `npm run soak`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface SoakResult {
  pass: boolean;
  requests: number;
  errors: number;
  uploads: number;
  failedUploads: number;
  p50: number;
  p95: number;
  p99: number;
  memory: { samples: number };
  serverExitCode: number | null;
}

async function runSoak(extra: string[]): Promise<{ code: number | null; output: string; result: SoakResult | null }> {
  const args = ['--import', 'tsx', 'bench/soak.ts', '--seconds', '10', '--shops', '150', '--days', '45', '--batch-every', '3', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  console.log(
    output
      .split('\n')
      .filter((l) => /^(errors| {2}\d+ ×|latency|memory|uploads|shutdown|verdict):?/.test(l))
      .join('\n'),
  );
  const line = output.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
  return { code, output, result: line ? (JSON.parse(line.slice('SOAK_RESULT '.length)) as SoakResult) : null };
}

describe.sequential('faults: soak (short)', () => {
  it('serves a mixed load while batches arrive, with 0 errors, and shuts down cleanly', async () => {
    const { code, output, result } = await runSoak(['--connections', '16']);
    expect(code, output).toBe(0);
    expect(result, output).not.toBeNull();
    expect(result!.pass).toBe(true);
    expect(result!.errors).toBe(0);
    expect(result!.requests).toBeGreaterThan(100);
    expect(result!.uploads).toBeGreaterThanOrEqual(2);
    expect(result!.failedUploads).toBe(0);
    expect(result!.serverExitCode).toBe(0);
    expect(result!.memory.samples).toBeGreaterThanOrEqual(8); // RSS was read from /proc each second
    expect(result!.p50).toBeLessThanOrEqual(result!.p95);
    expect(result!.p95).toBeLessThanOrEqual(result!.p99);
  }, 120_000);

  // Only failed authentications count against the limiter: 64 honest connections from one address pass.
  it('serves 64 connections from one address without a single 429', async () => {
    const { code, output, result } = await runSoak(['--connections', '64']);
    expect(result, output).not.toBeNull();
    expect(result!.errors).toBe(0);
    expect(code).toBe(0);
  }, 120_000);
});
