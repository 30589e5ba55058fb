import type { Command } from 'commander';
import { globalOptions } from '../context.js';
import { CliError, emit, renderTable } from '../output.js';

/** `aviary cluster status`: the cluster as the node on this data folder sees it in PostgreSQL. */
export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('several Aviary nodes on one PostgreSQL (see docs/cluster.md)');
  cluster
    .command('status')
    .description(
      'nodes (name, API address, heartbeat age, shards, entities online) and shard moves in progress, asked from the node running on the data folder',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const [{ connectToRuntime }, { readApiToken }] = await Promise.all([
        import('../api-client.js'),
        import('../../runtime/runtime-files.js'),
      ]);
      const client = connectToRuntime(global.dataDir);
      const token = readApiToken(global.dataDir);
      if (client === undefined || token === undefined) {
        throw new CliError(
          `no Aviary node is running on ${global.dataDir} (start one with "aviary run --cluster")`,
          { code: 'cli.no-runtime' },
        );
      }
      const response = await fetch(`${client.apiUrl}/cluster`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status === 404) {
        throw new CliError(
          `the runtime on ${global.dataDir} is not in cluster mode (start it with "aviary run --cluster")`,
        );
      }
      if (!response.ok) {
        const { errorFromAnswer } = await import('../api-client.js');
        throw errorFromAnswer(response.status, await response.text());
      }
      const status = (await response.json()) as {
        self: string;
        shardCount: number;
        nodes: {
          name: string;
          apiUrl: string | null;
          heartbeatAgeMs: number;
          live: boolean;
          draining: boolean;
          shards: number;
          entitiesOnline: number;
        }[];
        moves: { shard: number; from: string | null; to: string }[];
      };
      emit(global.json, status, () =>
        [
          `cluster of ${status.nodes.filter((n) => n.live).length} live node(s), ${status.shardCount} shards (asked ${status.self})`,
          '',
          renderTable(
            status.nodes.map((n) => ({
              node: n.name,
              state: n.draining ? 'draining' : n.live ? 'live' : 'silent',
              api: n.apiUrl ?? '-',
              heartbeat: `${(n.heartbeatAgeMs / 1000).toFixed(1)}s ago`,
              shards: String(n.shards),
              online: String(n.entitiesOnline),
            })),
          ),
          '',
          status.moves.length === 0
            ? 'no shard moves in progress'
            : `${status.moves.length} shard move(s) in progress: ${status.moves
                .slice(0, 10)
                .map((m) => `${m.shard} ${m.from ?? '(free)'} -> ${m.to}`)
                .join(', ')}${status.moves.length > 10 ? ', ...' : ''}`,
        ].join('\n'),
      );
    });
}
