import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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

  it('feeds the batch counter from cumulative readings and exposes commit latency in seconds', async () => {
    const metrics = createMetrics();
    metrics.storageBatches.set(5);
    metrics.storageBatches.set(8);
    metrics.storageBatches.set(2); // the worker restarted: its count began again
    metrics.storageCommitLatency.set({ quantile: '0.99' }, 12);
    const { value } = await exported(metrics);
    expect(value('aviary_storage_batches_total')).toBe(10);
    expect(value('aviary_storage_commit_seconds', { quantile: '0.99' })).toBeCloseTo(0.012, 9);
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
