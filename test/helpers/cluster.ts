/**
 * A cluster of `aviary run --cluster` node processes on one throwaway PostgreSQL and one
 * Prosody, with a peer runtime that sends to the profiles, for the test/cluster files. Each
 * node's own view (`GET /cluster/entities`: what runs on it) is what placement checks read, so
 * a profile online on two nodes at once is seen. Needs `npm run build` (the nodes run dist/).
 *
 * @example
 * const cluster = await startClusterFixture({ profiles: 60 });
 * const a = await cluster.launch('node-a');
 * await cluster.stop();
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { followEvents as followNodeEvents } from '../../src/api/follow-events.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type RunningCli, startCliRuntime, tempDataDir } from './cli.js';
import { type PostgresFixture, startPostgres } from './postgres.js';
import { type ProsodyFixture, startProsody } from './prosody.js';
import { prosodyAccount, startTestRuntime } from './runtime.js';
import { waitFor } from './wait-for.js';

export interface ClusterNodeProcess {
  readonly name: string;
  readonly dataDir: string;
  readonly running: RunningCli;
  readonly apiUrl: string;
  readonly token: string;
}

/** An entity as a node reports it (`GET /cluster/entities` or the merged `GET /profiles`). */
export interface ReportedEntity {
  readonly name: string;
  readonly state: string;
  readonly reason?: string;
  readonly node?: string | null;
}

export interface ClusterFixture {
  readonly prosody: ProsodyFixture;
  readonly postgres: PostgresFixture;
  readonly peer: Aviary;
  /** The profile names (`target-0` ...), each with a Prosody account. */
  readonly names: readonly string[];
  readonly nodes: Map<string, ClusterNodeProcess>;
  launch(name: string): Promise<ClusterNodeProcess>;
  call(
    node: ClusterNodeProcess,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /** Adds every profile through `node`. */
  addProfiles(node: ClusterNodeProcess): Promise<void>;
  /** Follows a node's `GET /events` stream until aborted. */
  followEvents(
    node: ClusterNodeProcess,
    onEvent: (event: string, data: unknown) => void,
  ): AbortController;
  /** What runs on `node` itself. */
  local(node: ClusterNodeProcess): Promise<ReportedEntity[]>;
  /** Names online on `node` itself. */
  online(node: ClusterNodeProcess): Promise<string[]>;
  /** Which node serves each profile online (fails on a profile online on two nodes). */
  placement(live: readonly ClusterNodeProcess[]): Promise<Map<string, string>>;
  /** Waits until every profile is online on one of `live`; returns the placement. */
  allOnline(live: readonly ClusterNodeProcess[], timeoutMs: number): Promise<Map<string, string>>;
  /** Bodies of the stored messages of `profile` (read from the database by any node). */
  history(node: ClusterNodeProcess, profile: string): Promise<string[]>;
  /** The peer sends `<label> to <name>` to every profile. */
  sendToAll(label: string): Promise<void>;
  /** Every profile has each labelled message exactly once. */
  expectStoredOnce(node: ClusterNodeProcess, labels: readonly string[]): Promise<void>;
  /** Kills the nodes still running, then stops the peer, PostgreSQL and Prosody. */
  stop(): Promise<void>;
}

export async function startClusterFixture(options: {
  profiles: number;
  leaseMs?: number;
  heartbeatMs?: number;
  /** A private PostgreSQL the test may stop and restart. */
  ownPostgres?: boolean;
}): Promise<ClusterFixture> {
  const names = Array.from({ length: options.profiles }, (_, i) => `target-${i}`);
  const key = randomBytes(32).toString('base64');
  const nodes = new Map<string, ClusterNodeProcess>();
  const prosody = await startProsody({
    users: [
      ...names.map((username) => ({ username, password: `${username}-pw` })),
      { username: 'peer', password: 'peer-pw' },
    ],
  });
  const postgres = await startPostgres(options.ownPostgres ? { ownCluster: true } : {});
  const storageUrl = await postgres.createDatabase();
  const caFile = join(tempDataDir('aviary-cluster-shared-'), 'test-ca.pem');
  writeFileSync(caFile, prosody.caCertPem);
  const peer = await startTestRuntime(prosody);
  await peer.addProfile(prosodyAccount(prosody, 'peer', 'peer-pw'));
  await peer.waitForState('peer', 'online', 30_000);

  const launch = async (name: string): Promise<ClusterNodeProcess> => {
    const dataDir = tempDataDir(`aviary-cluster-${name}-`);
    const env: Record<string, string> = {
      AVIARY_STORAGE_URL: storageUrl,
      AVIARY_SECRET_KEY: key,
      AVIARY_XMPP_TLS_CA_FILE: caFile,
      AVIARY_XMPP_RECONNECT_BASE_MS: '200',
      AVIARY_CLUSTER_LEASE_MS: String(options.leaseMs ?? 5000),
      AVIARY_CLUSTER_HEARTBEAT_MS: String(options.heartbeatMs ?? 500),
    };
    // startCliRuntime passes this process's environment to the child.
    Object.assign(process.env, env);
    let running: RunningCli;
    try {
      // At info level: shard moves and hand-overs are in the output a failed test prints.
      running = await startCliRuntime(dataDir, [
        '--cluster',
        '--node-name',
        name,
        '--log-level',
        'info',
      ]);
    } finally {
      for (const variable of Object.keys(env)) delete process.env[variable];
    }
    // The banner arrives in pieces: wait for its last line.
    await waitFor(() => running.output().includes('Press Ctrl-C'), {
      timeoutMs: 10_000,
      intervalMs: 50,
    }).catch(async (error: unknown) => {
      await running.stop('SIGKILL');
      throw error;
    });
    const apiUrl = /API:\s+(\S+)/.exec(running.output())?.[1];
    if (apiUrl === undefined) throw new Error(`no API address in:\n${running.output()}`);
    const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
    const node = { name, dataDir, running, apiUrl, token };
    nodes.set(name, node);
    return node;
  };

  const call: ClusterFixture['call'] = async (node, method, path, body) => {
    // A kept-alive socket the node closed as idle resets the next request: ask once more.
    const send = () =>
      fetch(`${node.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${node.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      });
    const response = await send().catch(send);
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  const followEvents: ClusterFixture['followEvents'] = (node, onEvent) =>
    followNodeEvents(node.apiUrl, node.token, onEvent);

  const local = async (node: ClusterNodeProcess): Promise<ReportedEntity[]> => {
    const { status, body } = await call(node, 'GET', '/cluster/entities');
    expect(status, `${node.name} GET /cluster/entities`).toBe(200);
    return (body as { entities: ReportedEntity[] }).entities;
  };

  const online = async (node: ClusterNodeProcess) =>
    (await local(node)).filter((p) => p.state === 'online').map((p) => p.name);

  const placement = async (live: readonly ClusterNodeProcess[]) => {
    const where = new Map<string, string>();
    for (const node of live) {
      for (const name of await online(node)) {
        expect(where.get(name), `${name} online on two nodes`).toBeUndefined();
        where.set(name, node.name);
      }
    }
    return where;
  };

  const allOnline = async (live: readonly ClusterNodeProcess[], timeoutMs: number) => {
    let where = new Map<string, string>();
    let states = '';
    await waitFor(
      async () => {
        where = await placement(live);
        states = '';
        for (const node of live) {
          const byState: Record<string, number> = {};
          for (const p of await local(node)) {
            const key = `${p.state}${p.reason ? `: ${p.reason}` : ''}`;
            byState[key] = (byState[key] ?? 0) + 1;
          }
          states += `${node.name} ${JSON.stringify(byState)}; `;
        }
        return where.size === names.length;
      },
      { timeoutMs, intervalMs: 250, what: 'every profile online', detail: () => states },
    );
    return where;
  };

  const history = async (node: ClusterNodeProcess, profile: string): Promise<string[]> => {
    const { status, body } = await call(node, 'GET', `/profiles/${profile}/history?limit=1000`);
    expect(status).toBe(200);
    return (body as { message: Record<string, string> }[]).map(
      (r) => Object.values(r.message)[0] ?? '',
    );
  };

  const sendToAll = async (label: string) => {
    for (const name of names) {
      await peer.sendMessage('peer', {
        to: `${name}@${prosody.domain}`,
        message: { '': `${label} to ${name}` },
        type: 'chat',
      });
    }
  };

  const expectStoredOnce = async (node: ClusterNodeProcess, labels: readonly string[]) => {
    let missing: string[] = [];
    await waitFor(
      async () => {
        missing = [];
        for (const name of names) {
          const bodies = await history(node, name);
          for (const label of labels)
            if (!bodies.includes(`${label} to ${name}`)) missing.push(`${label} to ${name}`);
        }
        return missing.length === 0;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: `every message stored (${labels.join(', ')}) as seen through ${node.name}`,
        detail: () => `still missing: ${missing.join('; ')}`,
      },
    );
    for (const name of names) {
      const bodies = await history(node, name);
      for (const label of labels)
        expect(
          bodies.filter((b) => b === `${label} to ${name}`),
          `${label} ${name}`,
        ).toHaveLength(1);
    }
  };

  return {
    prosody,
    postgres,
    peer,
    names,
    nodes,
    launch,
    call,
    addProfiles: async (node) => {
      for (const name of names) {
        const { status } = await call(node, 'POST', '/profiles', {
          ...prosodyAccount(prosody, name, `${name}-pw`),
        });
        expect(status).toBe(201);
      }
    },
    followEvents,
    local,
    online,
    placement,
    allOnline,
    history,
    sendToAll,
    expectStoredOnce,
    stop: async () => {
      for (const node of nodes.values())
        if (node.running.child.exitCode === null && node.running.child.signalCode === null) {
          node.running.child.kill('SIGCONT');
          await node.running.stop('SIGKILL');
        }
      await peer.stop();
      await postgres.stop();
      await prosody.stop();
    },
  };
}
