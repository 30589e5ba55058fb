/**
 * The SQL of cluster coordination, on its own small pool in the main thread (the storage
 * worker's pool serves entity data). PostgreSQL decides everything here, with its own clock
 * (`now()`), so node clocks never matter:
 * - a node is live while its heartbeat is younger than the lease time and it is not draining;
 * - a lease is granted only when the shard has no owner, its lease expired, or it is already
 *   this node's (a restart under the same name); every grant raises the epoch by one;
 * - renewals and releases name the epoch held, so a node that lost a shard cannot touch it.
 * Concurrent grants of one shard serialise on its row (`INSERT … ON CONFLICT DO UPDATE … WHERE`
 * re-evaluates the condition on the latest row version), so exactly one node wins.
 */
import pg from 'pg';
import type { LeaseRow } from './lease-plan.js';

/** One node row as `aviary cluster status` shows it. */
export interface ClusterNodeRow {
  readonly name: string;
  readonly apiUrl: string | null;
  readonly heartbeatAgeMs: number;
  readonly draining: boolean;
  readonly live: boolean;
  readonly entitiesOnline: number;
  /** Shards whose unexpired lease this node holds. */
  readonly shards: number;
}

export class LeaseStore {
  /** Leases and heartbeats only: never queued behind event traffic. */
  readonly #pool: pg.Pool;
  /** NOTIFY traffic (event fan-out, announcements). */
  readonly #notifyPool: pg.Pool;

  /**
   * @param queryTimeoutMs a query unanswered this long fails (a half-open connection to a
   *   restarted or unreachable server never hangs the lease loop); the pools open new
   *   connections on the next query, so they recover by themselves when the server is back.
   */
  constructor(url: string, options: { queryTimeoutMs?: number } = {}) {
    const pool = (name: string, max: number) => {
      const created = new pg.Pool({
        connectionString: url,
        max,
        query_timeout: options.queryTimeoutMs ?? 10_000,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 30_000,
        application_name: name,
      });
      // Lost idle clients are dropped by the pool; the next query reports the failure.
      created.on('error', () => undefined);
      return created;
    };
    this.#pool = pool('aviary-cluster', 2);
    this.#notifyPool = pool('aviary-cluster-notify', 1);
  }

  /** Registers or refreshes this node (database clock). */
  async heartbeat(node: {
    name: string;
    apiUrl: string | null;
    draining: boolean;
    entitiesOnline: number;
  }): Promise<void> {
    await this.#pool.query(
      `INSERT INTO cluster_nodes (name, api_url, heartbeat_at, draining, entities_online)
       VALUES ($1, $2, now(), $3, $4)
       ON CONFLICT (name) DO UPDATE SET api_url = EXCLUDED.api_url, heartbeat_at = now(),
         draining = EXCLUDED.draining, entities_online = EXCLUDED.entities_online`,
      [node.name, node.apiUrl, node.draining, node.entitiesOnline],
    );
  }

  /** Names of the live, non-draining nodes. */
  async liveNodes(leaseMs: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ name: string }>(
      `SELECT name FROM cluster_nodes
       WHERE heartbeat_at > now() - $1 * interval '1 millisecond' AND NOT draining
       ORDER BY name`,
      [leaseMs],
    );
    return rows.map((r) => r.name);
  }

  async leases(): Promise<LeaseRow[]> {
    const { rows } = await this.#pool.query<{
      shard: number;
      owner: string | null;
      epoch: string;
      expired: boolean;
    }>('SELECT shard, owner, epoch, expires_at <= now() AS expired FROM cluster_shards');
    return rows.map((r) => ({ ...r, epoch: Number(r.epoch) }));
  }

  /** Extends held leases; returns the shards still held (the others were lost). */
  async renew(node: string, held: ReadonlyMap<number, number>, leaseMs: number) {
    return this.#held(
      `UPDATE cluster_shards s SET expires_at = now() + $4 * interval '1 millisecond'
       FROM unnest($2::int[], $3::bigint[]) AS h(shard, epoch)
       WHERE s.shard = h.shard AND s.epoch = h.epoch AND s.owner = $1
       RETURNING s.shard, s.epoch`,
      node,
      held,
      [leaseMs],
    );
  }

  /** Tries to take `shards`; returns shard → new epoch for the ones granted. */
  async acquire(node: string, shards: readonly number[], leaseMs: number) {
    if (shards.length === 0) return new Map<number, number>();
    const { rows } = await this.#pool.query<{ shard: number; epoch: string }>(
      `INSERT INTO cluster_shards AS c (shard, owner, epoch, expires_at)
       SELECT s, $1, 1, now() + $3 * interval '1 millisecond' FROM unnest($2::int[]) AS s
       ON CONFLICT (shard) DO UPDATE
         SET owner = EXCLUDED.owner, epoch = c.epoch + 1, expires_at = EXCLUDED.expires_at
         WHERE c.owner IS NULL OR c.expires_at <= now() OR c.owner = EXCLUDED.owner
       RETURNING shard, epoch`,
      [node, shards, leaseMs],
    );
    return new Map(rows.map((r) => [r.shard, Number(r.epoch)]));
  }

  /** Gives shards up (after their entities stopped); returns the ones released. */
  async release(node: string, held: ReadonlyMap<number, number>) {
    return this.#held(
      `UPDATE cluster_shards s SET owner = NULL, expires_at = now()
       FROM unnest($2::int[], $3::bigint[]) AS h(shard, epoch)
       WHERE s.shard = h.shard AND s.epoch = h.epoch AND s.owner = $1
       RETURNING s.shard, s.epoch`,
      node,
      held,
      [],
    );
  }

  async #held(
    sql: string,
    node: string,
    held: ReadonlyMap<number, number>,
    extra: readonly unknown[],
  ): Promise<Map<number, number>> {
    if (held.size === 0) return new Map();
    const { rows } = await this.#pool.query<{ shard: number; epoch: string }>(sql, [
      node,
      [...held.keys()],
      [...held.values()],
      ...extra,
    ]);
    return new Map(rows.map((r) => [r.shard, Number(r.epoch)]));
  }

  /** Removes this node's row (it left cleanly). */
  async leave(node: string): Promise<void> {
    await this.#pool.query('DELETE FROM cluster_nodes WHERE name = $1', [node]);
  }

  /** Nodes with their heartbeat age and live shard count; nodes silent for an hour are left out. */
  async nodes(leaseMs: number): Promise<ClusterNodeRow[]> {
    const { rows } = await this.#pool.query<{
      name: string;
      api_url: string | null;
      age_ms: number;
      draining: boolean;
      entities_online: number;
      shards: string;
    }>(
      `SELECT n.name, n.api_url, n.draining, n.entities_online,
         (EXTRACT(EPOCH FROM now() - n.heartbeat_at) * 1000)::float8 AS age_ms,
         (SELECT count(*) FROM cluster_shards s WHERE s.owner = n.name AND s.expires_at > now()) AS shards
       FROM cluster_nodes n WHERE n.heartbeat_at > now() - interval '1 hour' ORDER BY n.name`,
    );
    return rows.map((r) => ({
      name: r.name,
      apiUrl: r.api_url,
      heartbeatAgeMs: Math.round(r.age_ms),
      draining: r.draining,
      live: r.age_ms < leaseMs && !r.draining,
      entitiesOnline: r.entities_online,
      shards: Number(r.shards),
    }));
  }

  /** The advertised API address of the node holding `shard`'s unexpired lease. */
  async ownerOf(shard: number): Promise<{ node: string; apiUrl: string | null } | undefined> {
    const { rows } = await this.#pool.query<{ owner: string; api_url: string | null }>(
      `SELECT s.owner, n.api_url FROM cluster_shards s LEFT JOIN cluster_nodes n ON n.name = s.owner
       WHERE s.shard = $1 AND s.owner IS NOT NULL AND s.expires_at > now()`,
      [shard],
    );
    const row = rows[0];
    return row === undefined ? undefined : { node: row.owner, apiUrl: row.api_url };
  }

  /** A dedicated connection for LISTEN (released by `close`). */
  async listener(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#pool.options.connectionString });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** Sends the payloads on `channel` in one statement (in order). */
  async notify(channel: string, ...payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) return;
    await this.#notifyPool.query(
      'SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n',
      [channel, payloads],
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.end(), this.#notifyPool.end()]);
  }
}
