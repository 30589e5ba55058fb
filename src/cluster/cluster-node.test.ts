import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { SimulatedClock } from '../util/clock.js';
import { ClusterNode, type LeaseBackend, type PlacedEntities } from './cluster-node.js';
import type { HeldLeases, LeaseRow } from './lease-plan.js';

const LEASE_MS = 3000;
const HEARTBEAT_MS = 500;
const SHARDS = 16;
const stored = Array.from({ length: 40 }, (_, i) => `entity-${i}`);

/** The lease table with the SQL's rules (lease-store.ts), on the database's own clock. */
class FakeDatabase implements LeaseBackend {
  readonly nodes = new Map<string, { heartbeat: number; draining: boolean }>();
  readonly shards = new Map<number, { owner: string | null; epoch: number; expires: number }>();
  constructor(readonly clock: SimulatedClock) {}
  async heartbeat(node: { name: string; draining: boolean }) {
    this.nodes.set(node.name, { heartbeat: this.clock.now(), draining: node.draining });
  }
  async liveNodes(leaseMs: number) {
    return [...this.nodes]
      .filter(([, n]) => n.heartbeat > this.clock.now() - leaseMs && !n.draining)
      .map(([name]) => name)
      .sort();
  }
  async leases(): Promise<LeaseRow[]> {
    return [...this.shards].map(([shard, r]) => ({
      shard,
      owner: r.owner,
      epoch: r.epoch,
      expired: r.expires <= this.clock.now(),
    }));
  }
  async renew(node: string, held: HeldLeases, leaseMs: number) {
    const kept = new Map<number, number>();
    for (const [shard, epoch] of held) {
      const row = this.shards.get(shard);
      if (row?.owner !== node || row.epoch !== epoch) continue;
      row.expires = this.clock.now() + leaseMs;
      kept.set(shard, epoch);
    }
    return kept;
  }
  async acquire(node: string, shards: readonly number[], leaseMs: number) {
    const granted = new Map<number, number>();
    for (const shard of shards) {
      const row = this.shards.get(shard);
      if (row && row.owner !== null && row.expires > this.clock.now() && row.owner !== node)
        continue;
      const epoch = (row?.epoch ?? 0) + 1;
      this.shards.set(shard, { owner: node, epoch, expires: this.clock.now() + leaseMs });
      granted.set(shard, epoch);
    }
    return granted;
  }
  async release(node: string, held: HeldLeases) {
    const released = new Map<number, number>();
    for (const [shard, epoch] of held) {
      const row = this.shards.get(shard);
      if (row?.owner !== node || row.epoch !== epoch) continue;
      row.owner = null;
      row.expires = this.clock.now();
      released.set(shard, epoch);
    }
    return released;
  }
  async leave(node: string) {
    this.nodes.delete(node);
  }
}

function entities(): PlacedEntities & { readonly running: () => string[]; stopped: string[] } {
  const running = new Set<string>();
  const stopped: string[] = [];
  return {
    stopped,
    adopt: async (names) => {
      for (const name of names) running.add(name);
    },
    release: async (names) => {
      for (const name of names) if (running.delete(name)) stopped.push(name);
    },
    running: () => [...running],
    online: () => running.size,
    stored: async () => stored,
  };
}

function node(name: string, database: FakeDatabase, clock: SimulatedClock) {
  const placed = entities();
  const cluster = new ClusterNode({
    name,
    store: database,
    entities: placed,
    leaseMs: LEASE_MS,
    heartbeatMs: HEARTBEAT_MS,
    clock,
    log: createLogger({ level: 'silent' }),
    apiUrl: () => undefined,
    shardCount: SHARDS,
  });
  return { cluster, placed };
}

describe('cluster node lease loop', () => {
  it('splits the shards between two nodes, each running exactly the entities it holds', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    const b = node('node-b', database, clock);
    await a.cluster.start();
    expect(a.cluster.held.size).toBe(SHARDS); // alone: everything
    await b.cluster.start();
    await clock.advance(HEARTBEAT_MS * 4);
    expect(a.cluster.held.size + b.cluster.held.size).toBe(SHARDS);
    expect(a.cluster.held.size).toBeGreaterThan(0);
    expect(b.cluster.held.size).toBeGreaterThan(0);
    const onA = new Set(a.placed.running());
    const onB = new Set(b.placed.running());
    expect(onA.size + onB.size).toBe(stored.length);
    for (const name of onA) expect(onB.has(name)).toBe(false);
    for (const name of onA) expect(a.cluster.owns(name)).toBe(true);
    await a.cluster.stop();
    await b.cluster.stop();
  });

  it('a stalled node loses its shards to the other and stops its entities when it resumes', async () => {
    const database = new FakeDatabase(new SimulatedClock(1_000_000));
    // Each node has its own clock; the database's clock is the shared truth.
    const clockA = new SimulatedClock(1_000_000);
    const clockB = new SimulatedClock(1_000_000);
    const a = node('node-a', database, clockA);
    const b = node('node-b', database, clockB);
    await a.cluster.start();
    await b.cluster.start();
    const tick = async (ms: number, clocks: SimulatedClock[]) => {
      for (let t = 0; t < ms; t += 100) {
        await database.clock.advance(100);
        for (const c of clocks) await c.advance(100);
      }
    };
    await tick(HEARTBEAT_MS * 4, [clockA, clockB]);
    const stalled = a.placed.running();
    expect(stalled.length).toBeGreaterThan(0);
    a.placed.stopped.length = 0; // forget the hand-over to node-b when it joined
    // node-a is frozen (SIGSTOP): its timers do not run while time passes for the others.
    await tick(LEASE_MS * 2 + HEARTBEAT_MS * 2, [clockB]);
    expect(b.cluster.held.size).toBe(SHARDS);
    expect(b.placed.running().sort()).toEqual([...stored].sort());
    // node-a resumes: its first round finds the shards gone and stops every entity.
    await clockA.advance(LEASE_MS * 2 + HEARTBEAT_MS * 2);
    expect(a.placed.stopped.sort()).toEqual([...stalled].sort());
    await a.cluster.stop();
    await b.cluster.stop();
  });

  it('stops every entity before its lease can expire while the database is unreachable, then takes the shards back', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    await a.cluster.start();
    await clock.advance(HEARTBEAT_MS * 2);
    expect(a.placed.running()).toHaveLength(stored.length);
    // PostgreSQL goes away: every query of the loop now fails.
    const calls = ['heartbeat', 'liveNodes', 'leases', 'renew', 'acquire', 'release'] as const;
    const saved = calls.map((c) => database[c]);
    for (const c of calls)
      (database as unknown as Record<string, unknown>)[c] = () =>
        Promise.reject(new Error('connection refused'));
    const expiries = () => Math.min(...[...database.shards.values()].map((r) => r.expires));
    const firstExpiry = expiries();
    // Just before the earliest lease end by the database clock, nothing runs any more.
    await clock.advance(firstExpiry - clock.now() - 1);
    expect(a.placed.running()).toEqual([]);
    expect(a.cluster.held.size).toBe(0);
    // PostgreSQL is back: the node takes its (own, unexpired or expired) shards again with a new epoch.
    calls.forEach((c, i) => {
      (database as unknown as Record<string, unknown>)[c] = saved[i];
    });
    await clock.advance(HEARTBEAT_MS * 2);
    expect(a.cluster.held.size).toBe(SHARDS);
    expect(a.placed.running()).toHaveLength(stored.length);
    expect([...database.shards.values()].every((r) => r.epoch === 2)).toBe(true);
    await a.cluster.stop();
  });

  it('keeps its shards when its rounds are stuck but PostgreSQL still renews the leases', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    await a.cluster.start();
    await clock.advance(HEARTBEAT_MS * 2);
    // The rounds hang on their first query; only the guard's own renewals reach the database.
    database.heartbeat = () => new Promise(() => undefined);
    await clock.advance(LEASE_MS * 3);
    expect(a.cluster.held.size).toBe(SHARDS);
    expect(a.placed.running()).toHaveLength(stored.length);
    expect(a.placed.stopped).toEqual([]);
    expect([...database.shards.values()].every((r) => r.expires > clock.now())).toBe(true);
  });

  it('hands every shard over on stop, after its entities stopped', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    await a.cluster.start();
    await a.cluster.stop();
    expect(a.placed.running()).toEqual([]);
    expect([...database.shards.values()].every((r) => r.owner === null)).toBe(true);
    expect(database.nodes.has('node-a')).toBe(false);
  });

  it('keeps renewing the shards it hands over while its entities take longer than a lease to stop', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    await a.cluster.start();
    let finishStops: () => void = () => undefined;
    const slowStops = new Promise<void>((resolve) => {
      finishStops = resolve;
    });
    const release = a.placed.release;
    a.placed.release = async (names, options) => {
      await slowStops;
      await release(names, options);
    };
    const stopping = a.cluster.stop();
    for (let t = 0; t < LEASE_MS * 3; t += 100) await clock.advance(100);
    // Three leases later, the shards are still node-a's and unexpired: nobody else may take one.
    const rows = [...database.shards.values()];
    expect(rows).toHaveLength(SHARDS);
    expect(rows.every((r) => r.owner === 'node-a' && r.expires > clock.now())).toBe(true);
    finishStops();
    await stopping;
    expect(a.placed.running()).toEqual([]);
    expect([...database.shards.values()].every((r) => r.owner === null)).toBe(true);
  });

  it('releases a shard it hands over only once the writes sent under its lease have settled', async () => {
    const clock = new SimulatedClock(1_000_000);
    const database = new FakeDatabase(clock);
    const a = node('node-a', database, clock);
    await a.cluster.start();
    // A stopped entity's last history row, still queued behind the storage actor's mailbox.
    const shard = [...a.cluster.held.keys()][0] as number;
    let settleWrite: () => void = () => undefined;
    a.cluster.writes.track(
      shard,
      new Promise<void>((resolve) => {
        settleWrite = resolve;
      }),
    );
    let finished = false;
    const stopping = a.cluster.stop().then(() => {
      finished = true;
    });
    for (let t = 0; t < LEASE_MS * 2; t += 100) await clock.advance(100);
    // The entities have stopped, but the write has not settled: the lease stays node-a's, and
    // renewed, so no other node's epoch can fence that write.
    expect(a.placed.running()).toEqual([]);
    const row = database.shards.get(shard);
    expect(row?.owner).toBe('node-a');
    expect(row?.expires).toBeGreaterThan(clock.now());
    expect(finished).toBe(false);
    settleWrite();
    await stopping;
    expect(a.cluster.writes.count(shard)).toBe(0);
    expect([...database.shards.values()].every((r) => r.owner === null)).toBe(true);
  });
});
