// npm run cluster -- start [--shards 3] [--dir data/cluster] | stop | status
// A local ClickHouse cluster on loopback (Debian's clickhouse-server), for development, tests and the
// bench. `start` prints, as KEY=VALUE words, the environment with which the server and the tools use it.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../config.js';
import { Cluster } from '../cluster/clickhouse.js';
import { clusterEnv, clusterStatus, startCluster, stopCluster } from '../cluster/local.js';

const USAGE = 'usage: npm run cluster -- start [--shards 3] [--port 18123] [--dir data/cluster] | stop [--dir …] | status [--dir …]';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { shards: { type: 'string' }, dir: { type: 'string' }, port: { type: 'string' } } });
  } catch (error) {
    console.error(`cluster: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  const dir = path.resolve(parsed.values.dir ?? path.join(PROJECT_ROOT, 'data', 'cluster'));
  if (command === 'start') {
    const shards = parsed.values.shards === undefined ? undefined : Number(parsed.values.shards);
    const basePort = parsed.values.port === undefined ? undefined : Number(parsed.values.port);
    if (shards !== undefined && (!Number.isInteger(shards) || shards < 1 || shards > 16)) {
      console.error(`cluster: --shards ${parsed.values.shards}: a whole number from 1 to 16\n${USAGE}`);
      return 2;
    }
    if (basePort !== undefined && (!Number.isInteger(basePort) || basePort < 1024 || basePort > 60000)) {
      console.error(`cluster: --port ${parsed.values.port}: a port from 1024 to 60000\n${USAGE}`);
      return 2;
    }
    try {
      const state = await startCluster(dir, { shards, basePort });
      const env = clusterEnv(state);
      const cluster = new Cluster({ url: env.CLICKHOUSE_URL, cluster: state.name, database: state.database, shards: env.CLICKHOUSE_SHARDS.split(',') });
      await cluster.ensureSchema();
      await cluster.close();
      console.error(`cluster: ${state.shards.length} shard(s) up in ${dir}`);
      console.log(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      );
      return 0;
    } catch (error) {
      console.error(`cluster: ${(error as Error).message}`);
      return 1;
    }
  }
  if (command === 'stop') {
    await stopCluster(dir);
    console.error(`cluster: stopped (${dir})`);
    return 0;
  }
  if (command === 'status') {
    const { state, up } = await clusterStatus(dir);
    if (!state) {
      console.log(`no cluster in ${dir}`);
      return 1;
    }
    state.shards.forEach((s, i) => console.log(`shard ${i + 1}: http ${s.httpPort}, tcp ${s.tcpPort}, ${up[i] ? 'up' : 'down'} (${s.dir})`));
    return up.every(Boolean) ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}

process.exitCode = await main();
