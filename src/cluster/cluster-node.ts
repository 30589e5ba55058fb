/**
 * One node's side of cluster ownership: a loop that heartbeats, computes its wished shards by
 * rendezvous hashing over the live nodes, and has PostgreSQL renew, grant and release the
 * leases (lease-store.ts); then it starts and stops the entities of the shards it gained or lost.
 * Invariants:
 * - an entity runs here only while its shard's lease is held here (`owns`);
 * - a shard is released only after its entities stopped and every write sent under its lease
 *   settled (writes-in-flight.ts), so the next owner never overlaps and fences nothing of ours;
 * - starting and stopping entities runs beside the loop, never inside a round: a round only
 *   talks to the database, so slow logins or drains never delay a renewal;
 * - a guard timer, independent of the rounds (which may wait on an unreachable database), fires
 *   one heartbeat before the lease could expire without a renewal (a lost or restarted
 *   database, a stall: SIGSTOP, GC pause); unless one last renewal succeeds before the lease
 *   could end (half a heartbeat when the guard itself was late), every entity stops then, before another node can be granted their shards; any
 *   write they attempt meanwhile is refused by the fence in the database. The shards are then
 *   taken again like free ones (a new epoch);
 * - logins after a takeover go through the entities' runtime-wide login limiter.
 */
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import type { LeaseSignals } from './cluster-metrics.js';
import type { HeldLeases, LeaseRow } from './lease-plan.js';
import { planLeases } from './lease-plan.js';
import { SHARD_COUNT, shardOf, shardsOf } from './shards.js';
import { WritesInFlight } from './writes-in-flight.js';

/** The lease SQL the loop needs (LeaseStore fits; tests may fake it). */
export interface LeaseBackend {
  heartbeat(node: {
    name: string;
    apiUrl: string | null;
    draining: boolean;
    entitiesOnline: number;
  }): Promise<void>;
  liveNodes(leaseMs: number): Promise<string[]>;
  leases(): Promise<LeaseRow[]>;
  renew(node: string, held: HeldLeases, leaseMs: number): Promise<Map<number, number>>;
  acquire(node: string, shards: readonly number[], leaseMs: number): Promise<Map<number, number>>;
  release(node: string, held: HeldLeases): Promise<Map<number, number>>;
  leave(node: string): Promise<void>;
}

/** What the loop drives: the entities running on this node. */
export interface PlacedEntities {
  /** Starts the stored entities among `names` (their shard was granted here). */
  adopt(names: readonly string[]): Promise<void>;
  /** Stops the running entities among `names`; `quiesceMs` for a planned hand-over. */
  release(names: readonly string[], options?: { quiesceMs?: number }): Promise<void>;
  /** Names of the entities running here. */
  running(): string[];
  /** How many are online (for the heartbeat row). */
  online(): number;
  /** Names of every stored profile and component. */
  stored(): Promise<string[]>;
}

export interface ClusterNodeDeps {
  readonly name: string;
  readonly store: LeaseBackend;
  readonly entities: PlacedEntities;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** The advertised control API address (undefined until the API listens). */
  readonly apiUrl: () => string | undefined;
  readonly shardCount?: number;
  /** Lease renewals and losses, for the metrics. */
  readonly signals?: LeaseSignals;
}

/** How long a handed-over entity keeps handling in-flight stanzas after going unavailable. */
const HANDOVER_QUIESCE_MS = 1000;

export class ClusterNode {
  readonly #deps: ClusterNodeDeps;
  readonly #shardCount: number;
  readonly #held = new Map<number, number>();
  #lastRenewedAt: number | undefined;
  #cancelTick: (() => void) | undefined;
  #cancelGuard: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #ticks = 0;
  /** Shards being handed over: still held (their entities' last writes go through), not owned. */
  readonly #releasing = new Set<number>();
  /** Entity starts and stops in progress (awaited when the node stops). */
  readonly #background = new Set<Promise<void>>();
  /** Owner writes sent under this node's leases and not settled yet. */
  readonly writes = new WritesInFlight();

  constructor(deps: ClusterNodeDeps) {
    this.#deps = deps;
    this.#shardCount = deps.shardCount ?? SHARD_COUNT;
  }

  get name(): string {
    return this.#deps.name;
  }

  /** Shard → epoch of the leases held now. */
  get held(): HeldLeases {
    return this.#held;
  }

  shardOf(name: string): number {
    return shardOf(name, this.#shardCount);
  }

  owns(name: string): boolean {
    const shard = this.shardOf(name);
    return this.#held.has(shard) && !this.#releasing.has(shard);
  }

  /** The first round (join, take the share this node may have now), then a round per heartbeat. */
  async start(): Promise<void> {
    await this.#round();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#cancelTick = this.#deps.clock.setTimeout(() => {
      void this.nudge().finally(() => this.#schedule());
    }, this.#deps.heartbeatMs);
  }

  /** A round now (e.g. a peer announced a change); rounds never overlap. */
  nudge(): Promise<void> {
    this.#running = this.#running.then(() => (this.#stopped ? undefined : this.#round()));
    return this.#running;
  }

  async #round(): Promise<void> {
    const { clock, leaseMs } = this.#deps;
    // Past our own lease deadline (a stall, a blocked event loop, a lost database): the
    // shards may have moved. Only a renewal PostgreSQL grants at once — same owner, same
    // epoch, so nobody took them in between — keeps them; every other shard stops now.
    if (this.#lastRenewedAt !== undefined && clock.now() - this.#lastRenewedAt >= leaseMs) {
      const sinceRenewalMs = clock.now() - this.#lastRenewedAt;
      const startedAt = clock.now();
      // A slow answer is no proof of loss (fencing guards the writes meanwhile): wait up to
      // half a lease before giving everything up.
      const kept = await this.#renewWithin(Math.max(this.#deps.heartbeatMs, leaseMs / 2));
      const lost = [...this.#held.keys()].filter((shard) => !kept.has(shard));
      if (lost.length > 0) {
        this.#deps.signals?.lost(lost.length, 'expired');
        this.#deps.log.warn(
          { sinceRenewalMs, lost: lost.length, kept: kept.size },
          'cluster: lease time passed without renewal; stopping the entities of the shards not renewed',
        );
        void this.#drop(lost);
      }
      this.#renewed(kept.size > 0 ? startedAt : undefined);
    }
    try {
      await this.#step(false);
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'cluster: coordination round failed');
    }
  }

  async #step(draining: boolean): Promise<void> {
    const { store, name, leaseMs, clock } = this.#deps;
    const startedAt = clock.now();
    await store.heartbeat({
      name,
      apiUrl: this.#deps.apiUrl() ?? null,
      draining,
      entitiesOnline: this.#deps.entities.online(),
    });
    const live = await store.liveNodes(leaseMs);
    if (!draining && !live.includes(name)) live.push(name);
    const plan = planLeases({
      self: name,
      wished: shardsOf(name, live, this.#shardCount),
      held: this.#held,
      rows: await store.leases(),
      draining,
    });
    this.#deps.signals?.lost(plan.lost.length, 'taken');
    void this.#drop(plan.lost);
    // Shards being handed over keep their lease until their entities stopped.
    const handingOver = plan.release.filter((s) => this.#releasing.has(s));
    const renewing = new Map(
      [...plan.renew, ...handingOver].map((s) => [s, this.#held.get(s) ?? 0]),
    );
    const renewed = await store.renew(name, renewing, leaseMs);
    const notRenewed = [...renewing.keys()].filter((s) => !renewed.has(s));
    this.#deps.signals?.renewed(renewed.size);
    this.#deps.signals?.lost(notRenewed.length, 'taken');
    void this.#drop(notRenewed);
    // Renewed leases run until startedAt + leaseMs by our clock at the latest.
    this.#renewed(startedAt);
    const toRelease = plan.release.filter((s) => !this.#releasing.has(s));
    if (toRelease.length > 0) {
      const releasing = new Map(toRelease.map((s) => [s, this.#held.get(s) ?? 0]));
      for (const shard of toRelease) this.#releasing.add(shard);
      // The entities stop while the lease is still held (their last writes are stored), then
      // the shards are forgotten and released in the database for the next owner.
      const gone = new Set(toRelease);
      this.#spawnTask(async () => {
        try {
          await this.#deps.entities.release(
            this.#deps.entities.running().filter((n) => gone.has(this.shardOf(n))),
            { quiesceMs: HANDOVER_QUIESCE_MS },
          );
          // A stopped entity's last rows may still wait in the storage actor's mailbox.
          await this.writes.settled(gone);
        } finally {
          for (const [shard, epoch] of releasing) {
            this.#releasing.delete(shard);
            if (this.#held.get(shard) === epoch) this.#held.delete(shard);
          }
        }
        await store.release(name, releasing);
        this.#deps.log.info({ shards: releasing.size }, 'cluster: shards handed over');
      });
    }
    if (plan.acquire.length > 0) {
      const granted = await store.acquire(name, plan.acquire, leaseMs);
      for (const [shard, epoch] of granted) this.#held.set(shard, epoch);
      if (granted.size > 0) {
        this.#deps.log.info({ shards: granted.size }, 'cluster: shards taken');
        const shards = new Set(granted.keys());
        this.#spawnTask(() => this.#adopt(shards));
      }
    }
    // Now and then, pick up entities added or removed on other nodes that were not announced.
    if (++this.#ticks % 10 === 0) this.#spawnTask(() => this.reconcile());
  }

  /**
   * Records a renewal sent at `startedAt` (undefined: none holds) and re-arms the guard: the
   * leases renewed then expire at `startedAt + leaseMs` by the database clock at the earliest.
   */
  #renewed(startedAt: number | undefined): void {
    this.#lastRenewedAt = startedAt;
    this.#cancelGuard?.();
    this.#cancelGuard = undefined;
    if (startedAt === undefined || this.#stopped) return;
    const { clock, leaseMs, heartbeatMs } = this.#deps;
    const deadline = startedAt + leaseMs - Math.min(heartbeatMs, leaseMs / 3);
    this.#cancelGuard = clock.setTimeout(
      () => this.#expire(startedAt),
      Math.max(0, deadline - clock.now()),
    );
  }

  /**
   * The guard fired: no renewal since `startedAt`, so the leases may lapse. One last renewal,
   * given until the earliest lease end (half a heartbeat when already past it): PostgreSQL grants it only for shards nobody took (same owner, same
   * epoch), so a node that was merely slow (a starved event loop) keeps them; everything not
   * renewed in time (the database is unreachable, or the shard moved) stops now.
   */
  #expire(startedAt: number): void {
    this.#cancelGuard = undefined;
    if (this.#lastRenewedAt !== startedAt || this.#held.size === 0) return;
    const { clock, heartbeatMs, leaseMs, log } = this.#deps;
    const attemptAt = clock.now();
    // Until the earliest lease end (at least half a heartbeat when the guard itself was late).
    const budgetMs = Math.max(heartbeatMs / 2, startedAt + leaseMs - attemptAt, 1);
    this.#spawnTask(async () => {
      const kept = await this.#renewWithin(budgetMs);
      // A round renewed meanwhile: it decided already.
      if (this.#lastRenewedAt !== startedAt) return;
      const lost = [...this.#held.keys()].filter((shard) => !kept.has(shard));
      if (lost.length > 0) {
        log.warn(
          { sinceRenewalMs: clock.now() - startedAt, lost: lost.length, kept: kept.size },
          'cluster: lease time passed without renewal; stopping the entities of the shards not renewed',
        );
        this.#deps.signals?.lost(lost.length, 'expired');
        void this.#drop(lost);
      }
      if (kept.size > 0) this.#deps.signals?.renewed(kept.size);
      this.#renewed(kept.size > 0 ? attemptAt : undefined);
    });
  }

  /** Renews every held lease if PostgreSQL answers within `ms`; else nothing is renewed. */
  async #renewWithin(ms: number): Promise<Map<number, number>> {
    let cancel: (() => void) | undefined;
    const timeout = new Promise<Map<number, number>>((resolve) => {
      cancel = this.#deps.clock.setTimeout(() => resolve(new Map()), ms);
    });
    const renewal = this.#deps.store
      .renew(this.#deps.name, new Map(this.#held), this.#deps.leaseMs)
      .catch(() => new Map<number, number>());
    const kept = await Promise.race([renewal, timeout]);
    cancel?.();
    return kept;
  }

  /** Runs entity work beside the loop; failures are logged (the next reconcile repairs). */
  #spawnTask(task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'cluster: entity task failed'))
      .finally(() => this.#background.delete(running));
    this.#background.add(running);
  }

  /**
   * Starts stored entities of held shards that do not run; stops running ones gone from
   * storage, and any running here although its shard is not held (a safety net: an entity
   * whose start overlapped the loss of its shard).
   */
  async reconcile(): Promise<void> {
    const stored = await this.#deps.entities.stored();
    const known = new Set(stored);
    await this.#deps.entities.release(
      this.#deps.entities
        .running()
        .filter((n) => !known.has(n) || !this.#held.has(this.shardOf(n))),
    );
    await this.#deps.entities.adopt(stored.filter((n) => this.owns(n)));
  }

  async #adopt(shards: ReadonlySet<number>): Promise<void> {
    const stored = await this.#deps.entities.stored();
    await this.#deps.entities.adopt(stored.filter((n) => shards.has(this.shardOf(n))));
  }

  /** Forgets `shards` at once and stops their entities (the promise ends when they stopped). */
  #drop(shards: readonly number[]): Promise<void> {
    if (shards.length === 0) return Promise.resolve();
    const gone = new Set(shards);
    for (const shard of shards) {
      this.#held.delete(shard);
      this.#releasing.delete(shard);
    }
    const stopped = this.#deps.entities.release(
      this.#deps.entities.running().filter((n) => gone.has(this.shardOf(n))),
    );
    this.#spawnTask(() => stopped);
    return stopped;
  }

  /** A write of `shard` was fenced: the lease is gone, stop its entities now. */
  fenced(shard: number): void {
    if (!this.#held.has(shard)) return;
    this.#deps.log.warn({ shard }, 'cluster: a write was fenced; stopping the shard entities');
    this.#deps.signals?.lost(1, 'fenced');
    void this.#drop([shard]);
  }

  /**
   * The rounds have stopped, but the shards being handed over keep their leases until their
   * entities have stopped: a draining round per heartbeat renews them. On a slow machine the
   * stops can outlast a lease, and a lapsed lease would let another node take a shard while
   * this one still stores what its connections received (those writes would be fenced: lost).
   */
  async #renewWhileHandingOver(): Promise<void> {
    const handingOver = Promise.all([...this.#background]).then(() => true);
    for (;;) {
      let cancel: (() => void) | undefined;
      const beat = new Promise<false>((resolve) => {
        cancel = this.#deps.clock.setTimeout(() => resolve(false), this.#deps.heartbeatMs);
      });
      const done = await Promise.race([handingOver, beat]);
      cancel?.();
      if (done) return;
      await this.#step(true);
    }
  }

  /** Hands every shard over (entities stop first), then leaves the node table. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTick?.();
    this.#cancelGuard?.();
    await this.#running.catch(() => undefined);
    try {
      await this.#step(true);
      await this.#renewWhileHandingOver();
      await Promise.all([...this.#background]);
      await this.#deps.store.leave(this.#deps.name);
    } catch (error) {
      this.#deps.log.warn({ err: error }, 'cluster: could not hand over cleanly; leases expire');
      await this.#drop([...this.#held.keys()]);
    }
    await Promise.all([...this.#background]);
  }
}
