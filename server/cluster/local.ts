// A local ClickHouse cluster on loopback for development, tests and the bench: N shards, each a
// `clickhouse-server` process (Debian's package) with its own ports, data folder and config, all of
// them knowing the cluster `iw` (one replica per shard). Production runs against a real cluster; only
// the environment printed by `start` (CLICKHOUSE_URL, CLICKHOUSE_CLUSTER, CLICKHOUSE_SHARDS) matters.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CLUSTER_NAME = 'iw';
export const DATABASE = 'iw';
const SERVER_BINARIES = ['/usr/bin/clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse'];
const USERS_XML = '/etc/clickhouse-server/users.xml';

export interface ShardInfo {
  index: number;
  httpPort: number;
  tcpPort: number;
  dir: string;
  pid: number | null;
}

export interface ClusterState {
  name: string;
  database: string;
  shards: ShardInfo[];
}

/** The environment with which `npm run ingest` and `npm start` use a cluster. */
export function clusterEnv(state: ClusterState): Record<string, string> {
  return {
    CLICKHOUSE_URL: `http://127.0.0.1:${state.shards[0].httpPort}`,
    CLICKHOUSE_CLUSTER: state.name,
    CLICKHOUSE_DATABASE: state.database,
    CLICKHOUSE_SHARDS: state.shards.map((s) => `http://127.0.0.1:${s.httpPort}`).join(','),
  };
}

/** The clickhouse-server binary, or a message that says what to install. */
export function findServerBinary(): { path: string } | { missing: string } {
  for (const candidate of [process.env.CLICKHOUSE_SERVER_BIN, ...SERVER_BINARIES]) {
    if (candidate && fs.existsSync(candidate)) return { path: candidate };
  }
  return {
    missing:
      "no clickhouse-server found: install Debian's package (as root: apt-get update && apt-get install -y clickhouse-server clickhouse-client) or set CLICKHOUSE_SERVER_BIN",
  };
}

function configXml(shard: ShardInfo, all: ShardInfo[]): string {
  const shards = all.map((s) => `      <shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`).join('\n');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${shard.dir}/server.log</log><errorlog>${shard.dir}/error.log</errorlog><size>10M</size><count>2</count></logger>
  <http_port>${shard.httpPort}</http_port>
  <tcp_port>${shard.tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${shard.dir}/data/</path>
  <tmp_path>${shard.dir}/tmp/</tmp_path>
  <format_schema_path>${shard.dir}/format_schemas/</format_schema_path>
  <users_config>${USERS_XML}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <remote_servers>
    <${CLUSTER_NAME}>
${shards}
    </${CLUSTER_NAME}>
  </remote_servers>
</yandex>
`;
}

const STATE_FILE = 'cluster.json';

export function readState(baseDir: string): ClusterState | null {
  const file = path.join(baseDir, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ClusterState;
}

function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ping(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts (or restarts the stopped shards of) a local cluster of `shards` shards under baseDir. */
export async function startCluster(baseDir: string, options: { shards?: number; basePort?: number; timeoutMs?: number } = {}): Promise<ClusterState> {
  const binary = findServerBinary();
  if ('missing' in binary) throw new Error(binary.missing);
  if (!fs.existsSync(USERS_XML)) throw new Error(`${USERS_XML} is missing: the clickhouse-server package installs it`);
  const existing = readState(baseDir);
  const count = options.shards ?? existing?.shards.length ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new Error(`--shards: ${count} is not a whole number from 1 to 16`);
  if (existing && existing.shards.length !== count)
    throw new Error(`a cluster of ${existing.shards.length} shards exists in ${baseDir}; stop it and remove the folder to change the shard count`);
  const basePort = options.basePort ?? 18123;
  const shards: ShardInfo[] =
    existing?.shards ??
    Array.from({ length: count }, (_, index) => ({
      index,
      httpPort: basePort + index * 2,
      tcpPort: basePort + 1000 + index * 2,
      dir: path.resolve(baseDir, `shard-${index + 1}`),
      pid: null,
    }));
  for (const shard of shards) {
    if (alive(shard.pid) && (await ping(shard.httpPort))) continue;
    for (const sub of ['data', 'tmp', 'format_schemas']) fs.mkdirSync(path.join(shard.dir, sub), { recursive: true });
    const configFile = path.join(shard.dir, 'config.xml');
    fs.writeFileSync(configFile, configXml(shard, shards));
    const out = fs.openSync(path.join(shard.dir, 'stdout.log'), 'a');
    const child = spawn(binary.path, [`--config-file=${configFile}`], { detached: true, stdio: ['ignore', out, out] });
    child.unref();
    shard.pid = child.pid ?? null;
  }
  const state: ClusterState = { name: CLUSTER_NAME, database: DATABASE, shards };
  fs.mkdirSync(baseDir, { recursive: true });
  fs.writeFileSync(path.join(baseDir, STATE_FILE), JSON.stringify(state, null, 2));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (const shard of shards) {
    while (!(await ping(shard.httpPort))) {
      if (!alive(shard.pid)) throw new Error(`shard ${shard.index + 1} (port ${shard.httpPort}) exited; see ${shard.dir}/stdout.log and error.log`);
      if (Date.now() > deadline) throw new Error(`shard ${shard.index + 1} (port ${shard.httpPort}) did not answer in time; see ${shard.dir}/error.log`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return state;
}

/** Stops one shard (for tests of a shard that is down) or all of them; waits until they have exited. */
export async function stopCluster(baseDir: string, only?: number): Promise<void> {
  const state = readState(baseDir);
  if (!state) return;
  for (const shard of state.shards) {
    if (only !== undefined && shard.index !== only) continue;
    if (!alive(shard.pid)) continue;
    process.kill(shard.pid!, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(shard.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(shard.pid)) process.kill(shard.pid!, 'SIGKILL');
  }
}

export async function clusterStatus(baseDir: string): Promise<{ state: ClusterState | null; up: boolean[] }> {
  const state = readState(baseDir);
  if (!state) return { state: null, up: [] };
  return { state, up: await Promise.all(state.shards.map((s) => ping(s.httpPort))) };
}

/** The version a clickhouse-server binary reports, for the README and bench. */
export function serverVersion(): string | null {
  const binary = findServerBinary();
  if ('missing' in binary) return null;
  const result = spawnSync(binary.path, ['--version'], { encoding: 'utf8' });
  return /\d+\.\d+\.\d+/.exec(result.stdout + result.stderr)?.[0] ?? null;
}
