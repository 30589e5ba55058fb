import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The runtime's Prometheus metrics, in a registry owned by the runtime (no global default
 * registry, so several runtimes can live in one process). Default Node metrics include the
 * event-loop delay.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'aviary_process_' });
  const metrics = {
    registry,
    mailboxDepth: new Gauge({
      name: 'aviary_mailbox_depth',
      help: 'Messages queued in an actor mailbox',
      labelNames: ['actor'],
      registers: [registry],
    }),
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
    storageBatches: new Gauge({
      name: 'aviary_storage_batches',
      help: 'Storage batches applied since start',
      registers: [registry],
    }),
    storageCommitLatency: new Gauge({
      name: 'aviary_storage_commit_latency_ms',
      help: 'Apply + journal + fdatasync per write batch over the last 1024 batches',
      labelNames: ['quantile'],
      registers: [registry],
    }),
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
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
