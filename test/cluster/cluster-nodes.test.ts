/**
 * Three `aviary run --cluster` processes on one throwaway PostgreSQL and one Prosody, serving
 * 60 profiles: spread over the nodes; a message sent through node A from a profile node B
 * owns; kill -9 of a node (its profiles come back on the others, messages sent meanwhile are
 * in history exactly once); SIGSTOP past the lease (another node takes over; after SIGCONT the
 * stalled node stores nothing and stops its entities); SIGTERM (the profiles move, nothing
 * lost). Needs `npm run build` (the nodes run dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  type ClusterFixture,
  type ClusterNodeProcess,
  startClusterFixture,
} from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';

const PROFILES = 60;

describe('three cluster nodes on one PostgreSQL', () => {
  let cluster: ClusterFixture;
  const node = (name: string) => cluster.nodes.get(name) as ClusterNodeProcess;

  beforeAll(async () => {
    // The product's default lease (10 s), not the fixture's quicker 5 s: on two cores shared
    // with busy loops, three nodes, Prosody and PostgreSQL, a node was once starved for 9 s
    // between renewals during the hand-over test. A node that cannot renew loses its shards by
    // design, and what its sessions receive afterwards cannot be stored (the writes are fenced).
    // That is the SIGSTOP case below, not the SIGTERM promise.
    cluster = await startClusterFixture({ profiles: PROFILES, leaseMs: 10_000 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('spreads 60 profiles over three nodes within 25% of even and reports them', async () => {
    const a = await cluster.launch('node-a');
    const b = await cluster.launch('node-b');
    const c = await cluster.launch('node-c');
    // Node A's event stream carries the connection states of every node's profiles.
    const onlineSeenByA = new Set<string>();
    const stream = cluster.followEvents(a, (event, data) => {
      const state = data as { name?: string; state?: string };
      if (event === 'connectionState' && state.state === 'online' && state.name)
        onlineSeenByA.add(state.name);
    });
    await cluster.addProfiles(a);
    const where = await cluster.allOnline([a, b, c], 90_000);
    await waitFor(() => onlineSeenByA.size === PROFILES, {
      timeoutMs: 30_000,
      intervalMs: 250,
      detail: () => `${onlineSeenByA.size} seen`,
    });
    stream.abort();
    const counts = [a, b, c].map((n) => [...where.values()].filter((w) => w === n.name).length);
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual((PROFILES / 3) * 0.75);
      expect(count).toBeLessThanOrEqual((PROFILES / 3) * 1.25);
    }
    const status = await runCli(['--data-dir', b.dataDir, '--json', 'cluster', 'status']);
    expect(status.stderr).toBe('');
    const report = JSON.parse(status.stdout) as {
      nodes: { name: string; live: boolean; shards: number }[];
      moves: unknown[];
    };
    expect(report.nodes.filter((n) => n.live).map((n) => n.name)).toEqual([
      'node-a',
      'node-b',
      'node-c',
    ]);
    expect(report.nodes.reduce((sum, n) => sum + n.shards, 0)).toBe(256);
    expect(report.moves).toEqual([]);
  }, 300_000);

  it('sends through node A a message from a profile that node B owns', async () => {
    const a = node('node-a');
    const b = node('node-b');
    const owned = await cluster.online(b);
    const from = owned[0] as string;
    expect(await cluster.online(a)).not.toContain(from);
    const received = new Promise<string>((resolve) =>
      cluster.peer.events.on('messageNew', (m) => {
        if (m.direction === 'in' && String(m.from).startsWith(`${from}@`))
          resolve(Object.values(m.message as Record<string, string>)[0] ?? '');
      }),
    );
    const sent = await runCli([
      '--data-dir',
      a.dataDir,
      'message',
      'send',
      from,
      `peer@${cluster.prosody.domain}`,
      'forwarded through node A',
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(await received).toBe('forwarded through node A');
  }, 60_000);

  it('kill -9 of a node: its profiles come back on the others, messages sent meanwhile stored once', async () => {
    const a = node('node-a');
    const b = node('node-b');
    const c = node('node-c');
    const killedAt = Date.now();
    await c.running.stop('SIGKILL');
    // Sent while node C's profiles are offline: the server keeps them until the new owner logs in.
    await cluster.sendToAll('during kill');
    await cluster.allOnline([a, b], 120_000);
    // Measured, not asserted: the lease time plus a heartbeat plus the logins.
    console.log(`cluster: every profile online again ${Date.now() - killedAt} ms after kill -9`);
    await cluster.sendToAll('after kill');
    await cluster.expectStoredOnce(a, ['during kill', 'after kill']);
  }, 300_000);

  it('SIGSTOP past the lease: the other node takes over; after SIGCONT the stalled one stores nothing and stops', async () => {
    const a = node('node-a');
    const b = node('node-b');
    const stalled = await cluster.online(b);
    expect(stalled.length).toBeGreaterThan(0);
    b.running.child.kill('SIGSTOP');
    // Reach node B's sockets while it cannot read them: only it could store these.
    for (const name of stalled) {
      await cluster.peer.sendMessage('peer', {
        to: `${name}@${cluster.prosody.domain}`,
        message: { '': `while stalled to ${name}` },
        type: 'chat',
      });
    }
    await cluster.allOnline([a], 120_000);
    await cluster.sendToAll('after takeover');
    b.running.child.kill('SIGCONT');
    // Node B notices (its lease lapsed or was fenced), stops its entities, then rejoins and
    // gets its share back through PostgreSQL like a new node.
    await waitFor(() => /lease time passed|write was fenced/.test(b.running.output()), {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    await cluster.allOnline([a, b], 120_000);
    await cluster.expectStoredOnce(a, ['after takeover']);
    // What reached the stalled node's sockets was never stored: it held no valid lease.
    for (const name of stalled)
      expect(await cluster.history(a, name)).not.toContain(`while stalled to ${name}`);
  }, 300_000);

  it('SIGTERM hands the profiles over to the remaining node without losing a message', async () => {
    const a = node('node-a');
    const b = node('node-b');
    const sending = cluster.sendToAll('during handover');
    expect(await b.running.stop('SIGTERM')).toBe(0);
    await sending;
    await cluster.allOnline([a], 120_000);
    await cluster.sendToAll('after handover');
    await cluster.expectStoredOnce(a, ['during handover', 'after handover']);
  }, 300_000);
});
