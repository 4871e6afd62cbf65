// Run by `npm test` before vitest: makes sure the browser tests have a Chromium and the cluster tests a
// ClickHouse server. Finds them (CHROMIUM_PATH, /usr/bin/chromium, …; CLICKHOUSE_SERVER_BIN,
// /usr/bin/clickhouse-server, …); when one is missing and this runs as root on a machine with apt-get
// (a fresh Debian CI box), installs Debian's packages (chromium and fonts-noto-cjk; clickhouse-server and
// clickhouse-client), saying so; when one is still missing, fails with what to run. It never lets a
// test be skipped silently.
import { spawnSync } from 'node:child_process';
import { findServerBinary } from '../../server/cluster/local.js';
import { chromiumMissingMessage, findChromium } from './chromium.js';

const say = (line: string) => console.log(`ensure-tools: ${line}`);

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const canApt = process.platform === 'linux' && process.getuid?.() === 0 && has('apt-get');

/** Runs apt-get update, then apt-get install -y PACKAGES; true when both succeed. apt's output is shown only when it fails. */
function aptInstall(packages: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    say(`apt-get ${args.join(' ')}`);
    const step = spawnSync('apt-get', args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (step.status !== 0) {
      const output = `${step.stdout ?? ''}${step.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n');
      console.error(`${output}\nensure-tools: apt-get ${args[0]} failed (${step.error?.message ?? `exit ${step.status}`})`);
      return false;
    }
  }
  return true;
}

/** Chinese labels in screenshots need a CJK font; without one the tests still pass (the text is read from the DOM). */
function hasCjkFont(): boolean | null {
  if (!has('fc-list')) return null;
  const list = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return list.status === 0 && list.stdout.trim().length > 0;
}

function main(): number {
  let chromium = findChromium();
  let clickhouse = findServerBinary();
  const packages = [
    ...(!chromium && !process.env.CHROMIUM_PATH ? ['chromium', 'fonts-noto-cjk'] : []),
    ...('missing' in clickhouse && !process.env.CLICKHOUSE_SERVER_BIN ? ['clickhouse-server', 'clickhouse-client'] : []),
  ];
  if (packages.length > 0 && canApt) {
    say(`installing Debian's ${packages.join(', ')} for the browser and cluster tests (a minute or two)…`);
    if (aptInstall(packages)) say(`installed ${packages.join(', ')}`);
    chromium = findChromium();
    clickhouse = findServerBinary();
  }
  if (!chromium) {
    console.error(`\nnpm test: ${chromiumMissingMessage()}\n`);
    return 1;
  }
  if ('missing' in clickhouse) {
    console.error(`\nnpm test: the cluster tests need ClickHouse: ${clickhouse.missing}\n`);
    return 1;
  }
  say(`cluster tests use ${clickhouse.path}`);
  say(`browser tests use ${chromium}`);
  if (hasCjkFont() === false) {
    if (canApt) {
      say('no CJK font; installing fonts-noto-cjk so that Chinese labels are legible in screenshots…');
      if (!aptInstall(['fonts-noto-cjk'])) say('could not install fonts-noto-cjk; screenshots will show boxes for Chinese text (the tests still run)');
    } else {
      say('note: no CJK font (apt-get install fonts-noto-cjk); screenshots will show boxes for Chinese text (the tests still run)');
    }
  }
  return 0;
}

process.exitCode = main();
