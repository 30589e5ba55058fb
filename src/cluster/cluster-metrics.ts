/**
 * A cluster node's Prometheus metrics, each with a `node` label (the node name), so one
 * dashboard over every node's scrape can sum or split them without relabelling. The series
 * count grows with the number of nodes only, never with the number of accounts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the lease loop reports (ClusterNode's `signals`). */
export interface LeaseSignals {
  /** Leases renewed in one round. */
  renewed(count: number): void;
  /** Leases lost: `expired` (no renewal in time), `taken` (another owner or epoch), `fenced`. */
  lost(count: number, reason: 'expired' | 'taken' | 'fenced'): void;
}

export interface ClusterMetrics extends LeaseSignals {
  /** A request forwarded to the owner of an entity: `ok`, `error` (coded answer) or `unreachable`. */
  forwarded(outcome: 'ok' | 'error' | 'unreachable'): void;
}

const NAMES = [
  'aviary_cluster_shards_owned',
  'aviary_cluster_entities_online',
  'aviary_cluster_lease_renewals_total',
  'aviary_cluster_lease_losses_total',
  'aviary_cluster_forwarded_requests_total',
];

/** Registers the cluster metrics of `node` in `registry`; gauges read `read` at each scrape. */
export function createClusterMetrics(
  registry: Registry,
  node: string,
  read: { shards(): number; online(): number },
): ClusterMetrics {
  const labels = { node };
  // A runtime started again in the same process registers them anew.
  for (const name of NAMES) registry.removeSingleMetric(name);
  new Gauge({
    name: 'aviary_cluster_shards_owned',
    help: 'Shard leases this cluster node holds',
    labelNames: ['node'],
    registers: [registry],
    collect(this: Gauge<'node'>) {
      this.set(labels, read.shards());
    },
  });
  new Gauge({
    name: 'aviary_cluster_entities_online',
    help: 'Profiles and components online on this cluster node',
    labelNames: ['node'],
    registers: [registry],
    collect(this: Gauge<'node'>) {
      this.set(labels, read.online());
    },
  });
  const renewals = new Counter({
    name: 'aviary_cluster_lease_renewals_total',
    help: 'Shard leases renewed by this cluster node',
    labelNames: ['node'],
    registers: [registry],
  });
  const losses = new Counter({
    name: 'aviary_cluster_lease_losses_total',
    help: 'Shard leases this cluster node lost (expired, taken by another node, or fenced)',
    labelNames: ['node', 'reason'],
    registers: [registry],
  });
  const forwarded = new Counter({
    name: 'aviary_cluster_forwarded_requests_total',
    help: 'Control requests this cluster node forwarded to the owner of an entity',
    labelNames: ['node', 'outcome'],
    registers: [registry],
  });
  // Present from the first scrape, at zero.
  renewals.inc(labels, 0);
  for (const reason of ['expired', 'taken', 'fenced']) losses.inc({ node, reason }, 0);
  for (const outcome of ['ok', 'error', 'unreachable']) forwarded.inc({ node, outcome }, 0);
  return {
    renewed: (count) => {
      if (count > 0) renewals.inc(labels, count);
    },
    lost: (count, reason) => {
      if (count > 0) losses.inc({ node, reason }, count);
    },
    forwarded: (outcome) => forwarded.inc({ node, outcome }),
  };
}
