/**
 * `npm run bench -- cluster [--profiles 60] [--rounds 3] [--messages 2000] [--concurrency 20]`
 *
 * Three `aviary run --cluster` nodes on one throwaway PostgreSQL and one Prosody:
 * - failover: kill -9 of the node serving the most profiles, time until every profile is online
 *   again on the others (lease time + heartbeat + logins), then a fresh node joins and the
 *   shards rebalance before the next round; p50/p99 over the rounds;
 * - throughput: a peer sends `--messages` chats spread over every profile; messages/s until
 *   all are in history, with the profiles spread over three nodes and then all on one node
 *   (a single cluster node), in the same run. The peer runs in this process: on a small
 *   machine it may be what limits both figures.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Aviary } from '../src/runtime/default-runtime.js';
import { tempDataDir } from '../test/helpers/cli.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startProsody } from '../test/helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../test/helpers/runtime.js';
import { type BenchRow, median, percentile, publish } from './report.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The built CLI beside this compiled module (dist/bench → dist/src/cli). */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface RunningCli {
  readonly child: ChildProcess;
  output(): string;
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** `aviary run` in the background, resolved once its banner is complete. */
async function startNode(dataDir: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    [CLI, '--data-dir', dataDir, 'run', '--log-level', 'warn', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Press Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`aviary run did not start:\n${output}`);
    }
    await sleep(50);
  }
  const running: RunningCli = {
    child,
    output: () => output,
    async stop(signal) {
      child.kill(signal);
      await exited;
    },
  };
  return running;
}
const LEASE_MS = 10_000;

interface Node {
  readonly name: string;
  readonly running: RunningCli;
  readonly apiUrl: string;
  readonly token: string;
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'options: --profiles N (60) --rounds N (3) --messages N (2000) --concurrency N (20)\n',
    );
    return;
  }
  const profiles = option(args, 'profiles', 60);
  const rounds = option(args, 'rounds', 3);
  const messages = option(args, 'messages', 2000);
  const concurrency = option(args, 'concurrency', 20);
  const names = Array.from({ length: profiles }, (_, i) => `bench-${i}`);
  const prosody = await startProsody({
    users: [
      ...names.map((username) => ({ username, password: `${username}-pw` })),
      { username: 'peer', password: 'peer-pw' },
    ],
  });
  const server = await startPostgres();
  const key = randomBytes(32).toString('base64');
  const caFile = join(tempDataDir('aviary-bench-cluster-'), 'ca.pem');
  writeFileSync(caFile, prosody.caCertPem);
  let peer: Aviary | undefined;
  const nodes: Node[] = [];
  try {
    peer = await startTestRuntime(prosody);
    await peer.addProfile(prosodyAccount(prosody, 'peer', 'peer-pw'));
    await peer.waitForState('peer', 'online', 30_000);

    const launch = async (url: string, name: string): Promise<Node> => {
      const dataDir = tempDataDir(`aviary-bench-${name}-`);
      const env: Record<string, string> = {
        AVIARY_STORAGE_URL: url,
        AVIARY_SECRET_KEY: key,
        AVIARY_XMPP_TLS_CA_FILE: caFile,
        AVIARY_CLUSTER_LEASE_MS: String(LEASE_MS),
      };
      const running = await startNode(dataDir, ['--cluster', '--node-name', name], env);
      const apiUrl = /API:\s+(\S+)/.exec(running.output())?.[1] ?? '';
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      const node = { name, running, apiUrl, token };
      nodes.push(node);
      return node;
    };
    const get = async (node: Node, path: string) => {
      const send = () =>
        fetch(`${node.apiUrl}${path}`, { headers: { authorization: `Bearer ${node.token}` } });
      return (await (await send().catch(send)).json()) as unknown;
    };
    // The node's own view (`GET /profiles` lists the whole cluster).
    const onlineOn = async (node: Node) =>
      ((await get(node, '/cluster/entities')) as { entities: { state: string }[] }).entities.filter(
        (p) => p.state === 'online',
      ).length;
    const waitAllOnline = async (live: readonly Node[]) => {
      const deadline = performance.now() + 300_000;
      for (;;) {
        if (performance.now() > deadline) throw new Error('profiles not all online after 300 s');
        let total = 0;
        for (const node of live) total += await onlineOn(node);
        if (total === profiles) return;
        await sleep(100);
      }
    };
    const waitBalanced = async (node: Node) => {
      const deadline = performance.now() + 300_000;
      for (;;) {
        if (performance.now() > deadline) throw new Error('shards not balanced after 300 s');
        const status = (await get(node, '/cluster')) as { moves: unknown[] };
        if (status.moves.length === 0) return;
        await sleep(200);
      }
    };
    const throughput = async (url: string, live: readonly Node[]) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const count = async () =>
        Number((await client.query('SELECT count(*) AS n FROM history')).rows[0].n);
      const before = await count();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < messages) {
            const i = next++;
            await peer?.sendMessage('peer', {
              to: `${names[i % profiles]}@${prosody.domain}`,
              message: { '': `bench ${i}` },
              type: 'chat',
            });
          }
        }),
      );
      // The peer stores its copies elsewhere: this database grows by one row per message.
      // Messages never stored (a shard moved under them) end the wait after 15 s of no growth.
      let stored = 0;
      let lastGrowth = performance.now();
      let finished = performance.now();
      while (stored < messages && performance.now() - lastGrowth < 15_000) {
        const now = (await count()) - before;
        if (now > stored) {
          stored = now;
          lastGrowth = finished = performance.now();
        }
        await sleep(50);
      }
      const seconds = (finished - started) / 1000;
      await client.end();
      return { nodes: live.length, sent: messages, stored, seconds, msgs_per_s: stored / seconds };
    };

    // Three nodes.
    const url = await server.createDatabase();
    await launch(url, 'node-1');
    await launch(url, 'node-2');
    await launch(url, 'node-3');
    const first = nodes[0] as Node;
    for (const name of names) {
      await fetch(`${first.apiUrl}/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(prosodyAccount(prosody, name, `${name}-pw`)),
      });
    }
    let live = [...nodes];
    await waitAllOnline(live);
    await waitBalanced(first);
    const spread = await throughput(url, live);

    const failovers: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const counts = await Promise.all(live.map(onlineOn));
      const victim = live[counts.indexOf(Math.max(...counts))] as Node;
      const killedAt = performance.now();
      await victim.running.stop('SIGKILL');
      live = live.filter((n) => n !== victim);
      await waitAllOnline(live);
      failovers.push(performance.now() - killedAt);
      live.push(await launch(url, `node-${nodes.length + 1}`));
      await waitBalanced(live[0] as Node);
      await waitAllOnline(live);
    }

    // The same load on one node holding every profile.
    for (const node of live) await node.running.stop('SIGTERM');
    const singleUrl = await server.createDatabase();
    const single = await launch(singleUrl, 'single');
    for (const name of names) {
      await fetch(`${single.apiUrl}/profiles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${single.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(prosodyAccount(prosody, name, `${name}-pw`)),
      });
    }
    await waitAllOnline([single]);
    const alone = await throughput(singleUrl, [single]);

    const rows: BenchRow[] = [
      {
        case: 'failover after kill -9 (ms)',
        rounds,
        p50: median(failovers),
        p99: percentile(failovers, 99),
        lease_ms: LEASE_MS,
      },
      { case: 'messages, 3 nodes', ...spread },
      { case: 'messages, 1 node', ...alone },
    ];
    publish({
      name: 'cluster',
      rows,
      summary: {
        profiles,
        failover_p50_ms: median(failovers),
        failover_p99_ms: percentile(failovers, 99),
        throughput_ratio_3_nodes_to_1: spread.msgs_per_s / alone.msgs_per_s,
        // Lease losses seen by the nodes (stalls, fenced writes): each may drop messages.
        lease_warnings: nodes.reduce(
          (sum, n) =>
            sum + (n.running.output().match(/lease time passed|write was fenced/g)?.length ?? 0),
          0,
        ),
      },
    });
  } finally {
    for (const node of nodes)
      if (node.running.child.exitCode === null && node.running.child.signalCode === null)
        await node.running.stop('SIGKILL');
    await peer?.stop();
    await server.stop();
    await prosody.stop();
  }
}
