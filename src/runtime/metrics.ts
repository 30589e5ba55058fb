import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CommitHistogram } from '../storage/storage-stats.js';

/**
 * Mailbox depths without a per-actor series (actor ids name accounts and change on restart,
 * so a label per actor would grow without bound): the depths reported for one scrape become
 * the total of queued messages and the deepest mailbox, then are forgotten, so an actor that
 * stopped leaves nothing behind.
 */
function mailboxDepthMetrics(registry: Registry) {
  const depths = new Map<string, number>();
  // Set once a scrape has read the depths: the next report starts a fresh set.
  let scraped = false;
  const summarise = (pick: (values: number[]) => number) =>
    function (this: Gauge) {
      scraped = true;
      this.set(pick([...depths.values()]));
    };
  new Gauge({
    name: 'aviary_mailbox_messages',
    help: 'Messages queued in all actor mailboxes',
    registers: [registry],
    collect: summarise((values) => values.reduce((sum, value) => sum + value, 0)),
  });
  new Gauge({
    name: 'aviary_mailbox_depth_max',
    help: 'Messages queued in the deepest actor mailbox',
    registers: [registry],
    collect: summarise((values) => Math.max(0, ...values)),
  });
  return {
    /** Reports one actor's depth for the next scrape (every live actor is reported before each). */
    set(labels: { readonly actor: string }, depth: number): void {
      if (scraped) {
        depths.clear();
        scraped = false;
      }
      depths.set(labels.actor, depth);
    },
  };
}

/**
 * A `_total` counter fed with a cumulative count read elsewhere (the storage worker counts its
 * batches): `set(total)` adds what grew since the last reading. A count that went down (the
 * worker restarted) starts again from it, as Prometheus' `rate()` expects of a counter reset.
 */
function cumulativeCounter(counter: Counter) {
  let last = 0;
  return {
    set(total: number): void {
      counter.inc(total >= last ? total - last : total);
      last = total;
    },
  };
}

/**
 * The runtime's Prometheus metrics, in a registry owned by the runtime (no global default
 * registry, so several runtimes can live in one process). Names follow the Prometheus naming
 * conventions (https://prometheus.io/docs/practices/naming/): base units (seconds, bytes),
 * counters end in `_total`, and Node's default metrics keep their standard `process_*` and
 * `nodejs_*` names so stock Node.js dashboards match. No series is labelled per account.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    mailboxDepth: mailboxDepthMetrics(registry),
    mailboxOverflow: new Counter({
      name: 'aviary_mailbox_overflow_total',
      help: 'Messages refused or dropped by a full mailbox',
      labelNames: ['actor_kind', 'reason'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'aviary_dead_letters_total',
      help: 'Messages that reached no handler',
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'aviary_connections',
      help: 'Profiles and components by connection state',
      labelNames: ['kind', 'state'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'aviary_messages_total',
      help: 'Messages through the workflow',
      labelNames: ['direction', 'outcome'],
      registers: [registry],
    }),
    hookFailures: new Counter({
      name: 'aviary_hook_failures_total',
      help: 'Workflow hooks that threw',
      labelNames: ['plugin', 'stage'],
      registers: [registry],
    }),
    storageBatchSize: new Gauge({
      name: 'aviary_storage_batch_size',
      help: 'Requests per storage batch (group commit): mean and max since start',
      labelNames: ['stat'],
      registers: [registry],
    }),
    storageBatches: cumulativeCounter(
      new Counter({
        name: 'aviary_storage_batches_total',
        help: 'Storage batches applied',
        registers: [registry],
      }),
    ),
    storageCommitSeconds: commitHistogram(registry),
    journalBytes: new Gauge({
      name: 'aviary_storage_journal_bytes',
      help: 'Size of the storage journal since the last snapshot',
      registers: [registry],
    }),
    storageHealthy: new Gauge({
      name: 'aviary_storage_healthy',
      help: '1 when the storage can make writes durable',
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'aviary_cache_requests_total',
      help: 'Pubsub item requests by cache outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    cacheSyncSeconds: new Histogram({
      name: 'aviary_cache_sync_seconds',
      help: 'Time to synchronise a pubsub node',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    parserTasks: new Counter({
      name: 'aviary_parser_tasks_total',
      help: 'Parser pool tasks by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    parserUtilisation: new Gauge({
      name: 'aviary_parser_pool_utilisation',
      help: 'Parser pool utilisation (0..1)',
      registers: [registry],
    }),
    logins: new Counter({
      name: 'aviary_logins_total',
      help: 'Profiles and components that came online (a login that succeeded)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'aviary_auth_failures_total',
      help: 'Logins the server refused (bad credentials or component secret; not retried)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    reconnects: new Counter({
      name: 'aviary_reconnects_total',
      help: 'Connections lost or failed and retried after a backoff',
      labelNames: ['kind'],
      registers: [registry],
    }),
    storedMessages: new Counter({
      name: 'aviary_stored_messages_total',
      help: 'Messages written durably to the history',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
  return metrics;
}

/**
 * `aviary_storage_commit_seconds`: a Prometheus histogram (`_bucket{le}`, `_sum`, `_count`) of
 * the commit latency of every write batch (apply + journal + fdatasync), in seconds. The storage
 * worker counts the batches into buckets as it commits them; each health reading hands over its
 * cumulative counts, and `update` adds what grew since the last one. A reading that went down
 * (the worker restarted, its counts began again) is added whole, as a counter reset.
 */
function commitHistogram(registry: Registry) {
  const name = 'aviary_storage_commit_seconds';
  const help = 'Storage commit latency per write batch (apply, journal, fdatasync)';
  let bounds: readonly number[] = [];
  let counts: number[] = [];
  let sum = 0;
  let last: CommitHistogram | undefined;
  registry.registerMetric({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      let cumulative = 0;
      const buckets = [...bounds, Number.POSITIVE_INFINITY].map((bound, i) => {
        cumulative += counts[i] ?? 0;
        return {
          metricName: `${name}_bucket`,
          labels: { le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound },
          value: cumulative,
        };
      });
      return {
        name,
        help,
        type: 'histogram',
        aggregator: 'sum',
        values: [
          ...buckets,
          { metricName: `${name}_sum`, labels: {}, value: sum },
          { metricName: `${name}_count`, labels: {}, value: cumulative },
        ],
      };
    },
    reset: () => undefined,
  } as unknown as Parameters<Registry['registerMetric']>[0]);
  return {
    update(reading: CommitHistogram): void {
      const restarted = last === undefined || reading.count < last.count;
      if (bounds.length === 0) {
        bounds = reading.bounds;
        counts = new Array<number>(bounds.length + 1).fill(0);
      }
      reading.counts.forEach((n, i) => {
        counts[i] = (counts[i] ?? 0) + (restarted ? n : n - (last?.counts[i] ?? 0));
      });
      sum += restarted ? reading.sumSeconds : reading.sumSeconds - (last?.sumSeconds ?? 0);
      last = reading;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
