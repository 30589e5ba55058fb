import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineStats } from '../storage/storage-stats.js';
import { createMetrics } from './metrics.js';

async function exported(metrics = createMetrics()) {
  const list = await metrics.registry.getMetricsAsJSON();
  return {
    list,
    names: new Set(list.map((metric) => metric.name)),
    value: (name: string, labels: Record<string, string> = {}) =>
      list
        .find((metric) => metric.name === name)
        ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value,
  };
}

/** Sample names a metric exposes: a histogram's are `_bucket`, `_sum` and `_count`. */
function sampleNames(list: Awaited<ReturnType<typeof exported>>['list']): Set<string> {
  return new Set(
    list.flatMap((metric) =>
      String(metric.type) === 'histogram' || String(metric.type) === 'summary'
        ? [metric.name, `${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
        : [metric.name],
    ),
  );
}

describe('runtime metrics', () => {
  it('keep the standard process_* and nodejs_* names of Node default metrics', async () => {
    const { names } = await exported();
    expect(names).toContain('process_cpu_user_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
    expect([...names].filter((name) => name.startsWith('aviary_process'))).toEqual([]);
  });

  it('name counters _total, use base units, and label no series per actor or account', async () => {
    const { list } = await exported();
    for (const metric of list) {
      if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/);
      expect(metric.name).not.toMatch(/_ms$|_milliseconds/);
      const labels = new Set(metric.values.flatMap((v) => Object.keys(v.labels)));
      for (const label of ['actor', 'profile', 'account', 'jid'])
        expect(labels).not.toContain(label);
    }
  });

  it('sums mailbox depths per scrape and forgets actors that were not reported again', async () => {
    const metrics = createMetrics();
    metrics.mailboxDepth.set({ actor: 'profile:alice' }, 3);
    metrics.mailboxDepth.set({ actor: 'profile:bob' }, 7);
    const first = await exported(metrics);
    expect(first.value('aviary_mailbox_messages')).toBe(10);
    expect(first.value('aviary_mailbox_depth_max')).toBe(7);
    metrics.mailboxDepth.set({ actor: 'profile:alice' }, 1);
    const second = await exported(metrics);
    expect(second.value('aviary_mailbox_messages')).toBe(1);
    expect(second.value('aviary_mailbox_depth_max')).toBe(1);
  });

  it('feeds the batch counter from cumulative readings', async () => {
    const metrics = createMetrics();
    metrics.storageBatches.set(5);
    metrics.storageBatches.set(8);
    metrics.storageBatches.set(2); // the worker restarted: its count began again
    const { value } = await exported(metrics);
    expect(value('aviary_storage_batches_total')).toBe(10);
  });

  it('exposes commit latency as a histogram in seconds, fed per batch by the storage worker', async () => {
    const metrics = createMetrics();
    const stats = new EngineStats();
    // Batches of 0.3 ms, 3 ms and 30 ms, as the worker records them (milliseconds).
    for (const ms of [0.3, 3, 30]) stats.recordBatch(1, 1, ms);
    metrics.storageCommitSeconds.update(stats.snapshot().commitSeconds);
    stats.recordBatch(1, 1, 3000); // beyond the last bound: only +Inf holds it
    metrics.storageCommitSeconds.update(stats.snapshot().commitSeconds);
    const restarted = new EngineStats(); // a new worker: its counts begin again
    restarted.recordBatch(1, 1, 0.3);
    metrics.storageCommitSeconds.update(restarted.snapshot().commitSeconds);

    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE aviary_storage_commit_seconds histogram');
    const sample = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}".+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('aviary_storage_commit_seconds_bucket{le="0.0005"}')).toBe(2);
    expect(sample('aviary_storage_commit_seconds_bucket{le="0.005"}')).toBe(3);
    expect(sample('aviary_storage_commit_seconds_bucket{le="0.05"}')).toBe(4);
    expect(sample('aviary_storage_commit_seconds_bucket{le="2.5"}')).toBe(4);
    expect(sample('aviary_storage_commit_seconds_bucket{le="+Inf"}')).toBe(5);
    expect(sample('aviary_storage_commit_seconds_count')).toBe(5);
    expect(sample('aviary_storage_commit_seconds_sum')).toBeCloseTo(3.0336, 9);
  });

  it('counts logins, authentication failures, reconnects and stored messages by kind only', async () => {
    const metrics = createMetrics();
    metrics.logins.inc({ kind: 'client' });
    metrics.authFailures.inc({ kind: 'client' });
    metrics.reconnects.inc({ kind: 'component' });
    metrics.storedMessages.inc({ kind: 'client' }, 3);
    const { value, list } = await exported(metrics);
    expect(value('aviary_logins_total', { kind: 'client' })).toBe(1);
    expect(value('aviary_auth_failures_total', { kind: 'client' })).toBe(1);
    expect(value('aviary_reconnects_total', { kind: 'component' })).toBe(1);
    expect(value('aviary_stored_messages_total', { kind: 'client' })).toBe(3);
    for (const name of [
      'aviary_logins_total',
      'aviary_auth_failures_total',
      'aviary_reconnects_total',
      'aviary_stored_messages_total',
    ]) {
      const labels = list
        .find((m) => m.name === name)
        ?.values.flatMap((v) => Object.keys(v.labels));
      expect(new Set(labels), name).toEqual(new Set(['kind']));
    }
  });

  it('the Grafana dashboard in docs/ references only metrics the runtime exports', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../docs/grafana/aviary-dashboard.json', import.meta.url), 'utf8'),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const available = sampleNames((await exported()).list);
    const referenced = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) =>
        [...target.expr.matchAll(/\b(?:aviary|process|nodejs)_[a-z0-9_]+/g)].map((m) => ({
          panel: panel.title,
          name: m[0],
        })),
      ),
    );
    expect(referenced.length).toBeGreaterThan(5);
    const missing = referenced.filter(({ name }) => !available.has(name));
    expect(missing).toEqual([]);
  });
});
