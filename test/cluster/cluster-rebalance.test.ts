/**
 * Three cluster nodes serving 60 profiles, then: a fourth node joins (it takes about a quarter,
 * the moved profiles reconnect at most once, no profile is ever online on two nodes); one
 * control surface (any node's API and CLI get, list, disconnect, connect and edit the roster of
 * a profile another node runs; `GET /events` carries its messages); PostgreSQL restarted under
 * the cluster, fast and immediate (ownership kept or regained, never two sessions, no `conflict`
 * ping-pong, the LISTEN connection back, a message then stored exactly once). One PostgreSQL,
 * Prosody and node set for the whole file. Needs `npm run build` (the nodes run dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import {
  type ClusterFixture,
  type ClusterNodeProcess,
  type ReportedEntity,
  startClusterFixture,
} from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait-for.js';

const PROFILES = 60;

describe('a cluster that grows, answers as one, and outlives a PostgreSQL restart', () => {
  let cluster: ClusterFixture;
  let all: ClusterNodeProcess[] = [];
  /** Every connectionState event node A streamed, for every node's profiles. */
  const states: { name: string; state: string; reason?: string }[] = [];
  const messagesSeenByA: { profile: string; body: string }[] = [];
  let stream: AbortController | undefined;

  beforeAll(async () => {
    // The default lease (10 s): on a loaded machine a node's event loop may starve for seconds.
    cluster = await startClusterFixture({
      profiles: PROFILES,
      ownPostgres: true,
      leaseMs: 10_000,
      heartbeatMs: 1000,
    });
    const a = await cluster.launch('node-a');
    const b = await cluster.launch('node-b');
    const c = await cluster.launch('node-c');
    stream = cluster.followEvents(a, (event, data) => {
      if (event === 'connectionState') states.push(data as (typeof states)[number]);
      if (event === 'messageNew') {
        const m = data as { profile: string; direction: string; message: Record<string, string> };
        if (m.direction === 'in')
          messagesSeenByA.push({ profile: m.profile, body: Object.values(m.message)[0] ?? '' });
      }
    });
    await cluster.addProfiles(a);
    all = [a, b, c];
    await cluster.allOnline(all, 120_000);
  }, 300_000);

  afterAll(async () => {
    stream?.abort();
    await cluster?.stop();
  });

  /**
   * Samples every node's own view until `stop()`: a profile online on two nodes at once, or a
   * profile stopped by a `conflict` stream error, is recorded.
   */
  const watchSessions = (nodes: readonly ClusterNodeProcess[]) => {
    const doubles = new Set<string>();
    const conflicts = new Set<string>();
    let running = true;
    const loop = (async () => {
      while (running) {
        const seen = new Map<string, string>();
        const reports = await Promise.all(
          nodes.map(async (n) => [n.name, await cluster.local(n)] as const),
        ).catch(() => [] as (readonly [string, ReportedEntity[]])[]);
        for (const [node, entities] of reports) {
          for (const e of entities) {
            if (/conflict/i.test(e.reason ?? '')) conflicts.add(`${e.name} on ${node}`);
            if (e.state !== 'online') continue;
            const other = seen.get(e.name);
            if (other !== undefined) doubles.add(`${e.name} on ${other} and ${node}`);
            seen.set(e.name, node);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { doubles: [...doubles], conflicts: [...conflicts] };
      },
    };
  };

  /** `online` events per profile streamed by node A since `from` (an index into `states`). */
  const onlineEventsSince = (from: number) => {
    const counts = new Map<string, number>();
    for (const s of states.slice(from))
      if (s.state === 'online') counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
    return counts;
  };

  it('a fourth node joins: it takes about a quarter, each moved profile reconnects at most once, none served twice', async () => {
    const before = await cluster.placement(all);
    const mark = states.length;
    const watch = watchSessions([...all]);
    const d = await cluster.launch('node-d');
    all = [...all, d];
    let where = new Map<string, string>();
    await waitFor(
      async () => {
        // Settled shards first, then the placement (taken after the last move ended).
        const status = await cluster.call(d, 'GET', '/cluster');
        if ((status.body as { moves: unknown[] }).moves.length > 0) return false;
        where = await cluster.allOnline(all, 120_000);
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'shards settled over four nodes' },
    );
    const sessions = await watch.stop();
    expect(sessions.doubles).toEqual([]);
    expect(sessions.conflicts).toEqual([]);
    const counts = all.map((n) => [...where.values()].filter((w) => w === n.name).length);
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual((PROFILES / 4) * 0.75);
      expect(count).toBeLessThanOrEqual((PROFILES / 4) * 1.25);
    }
    // Only profiles that went to node D moved; the others stayed where they were.
    const moved = cluster.names.filter((n) => where.get(n) !== before.get(n));
    expect(moved.length).toBeGreaterThan(0);
    for (const name of moved) expect(where.get(name)).toBe('node-d');
    // Node A's stream saw each moved profile come online once on node D, the others not at all.
    await waitFor(() => moved.every((n) => onlineEventsSince(mark).get(n) === 1), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'an online event of every moved profile',
    });
    const online = onlineEventsSince(mark);
    for (const name of cluster.names)
      expect(online.get(name) ?? 0, name).toBe(moved.includes(name) ? 1 : 0);
    // Node D reports its shards with its node label; its first lease renewal comes a heartbeat
    // after it took the shards, which may still be ahead right after the moves ended.
    const scrape = () =>
      fetch(`${d.apiUrl}/metrics`, { headers: { authorization: `Bearer ${d.token}` } }).then((r) =>
        r.text(),
      );
    const renewed = /aviary_cluster_lease_renewals_total\{node="node-d"\} [1-9]/;
    await waitFor(async () => renewed.test(await scrape()), {
      timeoutMs: 30_000,
      what: 'a lease renewal counted in node D metrics',
    });
    const metrics = await scrape();
    const shards = /aviary_cluster_shards_owned\{node="node-d"\} (\d+)/.exec(metrics)?.[1];
    expect(Number(shards)).toBeGreaterThan(0);
    expect(metrics).toMatch(/aviary_cluster_entities_online\{node="node-d"\} \d+/);
  }, 300_000);

  it('one surface: any node gets, lists, disconnects, connects and edits the roster of a profile another node runs', async () => {
    const [a, b, c, d] = all as [
      ClusterNodeProcess,
      ClusterNodeProcess,
      ClusterNodeProcess,
      ClusterNodeProcess,
    ];
    const where = await cluster.allOnline(all, 60_000);
    const target = cluster.names.find((n) => where.get(n) === 'node-b') as string;
    // profile get on node D: the owner's live state and name.
    const got = await cluster.call(d, 'GET', `/profiles/${target}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ name: target, state: 'online', node: 'node-b' });
    // profile list on node C: every profile of the cluster, each with the node running it.
    const listed = await cluster.call(c, 'GET', '/profiles');
    const rows = listed.body as ReportedEntity[];
    expect(rows.map((r) => r.name).sort()).toEqual([...cluster.names].sort());
    for (const row of rows) expect(row.node, row.name).toBe(where.get(row.name));
    // disconnect through node A, connect through node C: both act on node B's session.
    const off = await cluster.call(a, 'POST', `/profiles/${target}/disconnect`);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: target });
    await waitFor(
      async () => (await cluster.local(b)).find((e) => e.name === target)?.state === 'offline',
      { timeoutMs: 30_000, intervalMs: 200, what: `${target} offline on node B` },
    );
    const on = await cluster.call(c, 'POST', `/profiles/${target}/connect`);
    expect(on.status).toBe(202);
    await waitFor(async () => (await cluster.online(b)).includes(target), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `${target} online again on node B`,
    });
    expect(await cluster.online(a)).not.toContain(target);
    // The roster, through the CLI of node A and of node D (it needs node B's live connection).
    const contact = `friend@${cluster.prosody.domain}`;
    const added = await runCli(['--data-dir', a.dataDir, 'roster', 'add', target, contact]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    await waitFor(
      async () => {
        const listed = await runCli(['--data-dir', d.dataDir, '--json', 'roster', 'list', target]);
        return listed.code === 0 && listed.stdout.includes(contact);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the contact in the roster seen from node D' },
    );
    // Node A's GET /events carries the messages of a profile node B runs.
    await cluster.peer.sendMessage('peer', {
      to: `${target}@${cluster.prosody.domain}`,
      message: { '': `through the events of A to ${target}` },
      type: 'chat',
    });
    await waitFor(
      () =>
        messagesSeenByA.some(
          (m) => m.profile === target && m.body === `through the events of A to ${target}`,
        ),
      { timeoutMs: 30_000, intervalMs: 200, what: 'messageNew of a node B profile on node A' },
    );
  }, 300_000);

  for (const mode of ['fast', 'immediate'] as const) {
    it(`PostgreSQL restarted (${mode}): no profile on two nodes, no conflict, then every message stored once`, async () => {
      const watch = watchSessions(all);
      const mark = states.length;
      await cluster.postgres.halt(mode);
      // Down for a while (about a heartbeat), as a restart by a supervisor would be.
      await new Promise((r) => setTimeout(r, 500));
      await cluster.postgres.resume();
      await cluster.allOnline(all, 120_000);
      // A few more samples once everything is back.
      await new Promise((r) => setTimeout(r, 1000));
      const sessions = await watch.stop();
      expect(sessions.doubles).toEqual([]);
      expect(sessions.conflicts).toEqual([]);
      // At most one reconnect for each profile (if its lease lapsed during the outage).
      for (const [name, count] of onlineEventsSince(mark))
        expect(count, `${name} online events`).toBeLessThanOrEqual(1);
      const label = `after a ${mode} restart`;
      await cluster.sendToAll(label);
      await cluster.expectStoredOnce(all[0] as ClusterNodeProcess, [label]);
      // The LISTEN connection came back: node A streams the messages of every node's profiles.
      await waitFor(
        () =>
          cluster.names.every((n) =>
            messagesSeenByA.some((m) => m.profile === n && m.body === `${label} to ${n}`),
          ),
        { timeoutMs: 30_000, intervalMs: 250, what: 'messageNew of every profile on node A' },
      );
    }, 300_000);
  }
});
